// Exponential backoff with full jitter (AWS architecture blog): spreads retries of many records so
// they do not hit a throttled shard again in lockstep.
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Delay before attempt `attempt` (1 = first retry). */
export function fullJitterDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(p.capMs, p.baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.floor(random() * ceiling);
}

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']);

/**
 * Backoff before re-sending a record that failed with `code`: throttling starts slower (the shard
 * needs time to refill), and the cap leaves room for a few attempts within the delivery deadline.
 */
export function retryDelay(code: string, attempt: number, deliveryTimeoutMs: number): number {
  const capMs = Math.max(200, deliveryTimeoutMs / 4);
  return fullJitterDelay({ baseMs: THROTTLING.has(code) ? 200 : 100, capMs }, attempt);
}
