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
 * needs time to refill), unless the shard is paced (`paced`: its rate was just cut, and the pacer
 * spaces the retry already); the cap leaves room for a few attempts within the delivery deadline.
 */
export function retryDelay(code: string, attempt: number, deliveryTimeoutMs: number, paced = false, random: () => number = Math.random): number {
  const capMs = Math.max(200, deliveryTimeoutMs / 4);
  const baseMs = THROTTLING.has(code) && !paced ? 200 : paced ? 50 : 100;
  return fullJitterDelay({ baseMs, capMs }, attempt, random);
}
