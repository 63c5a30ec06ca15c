// Exponential backoff, the one schedule kinflux waits by after a failure: a ceiling that doubles from
// baseMs up to capMs, and a wait drawn under it with jitter so that many waiters (records of a throttled
// shard, replicas of a fleet) do not come back in step.
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** The ceiling before attempt `attempt` (1 = first retry): baseMs doubled per attempt, at most capMs. */
export function backoffCeiling(p: BackoffPolicy, attempt: number): number {
  return Math.min(p.capMs, p.baseMs * 2 ** Math.min(attempt - 1, 20));
}

/** The ceiling after `prevMs` (0: none yet), for state kept in ms: baseMs, then doubling up to capMs. */
export function nextBackoff(p: BackoffPolicy, prevMs: number): number {
  return Math.min(p.capMs, Math.max(p.baseMs, prevMs * 2));
}

/** Full jitter (AWS architecture blog): anywhere below the ceiling. Spreads the retries of many records. */
export function fullJitterDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(p, attempt));
}

/** ±25% around `ms`: keeps a fleet's replicas from calling in step after a shared throttle. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return ms * (0.75 + random() * 0.5);
}

/**
 * Backoff before re-sending a record: after a throttle (`slow`, see kinesis/error-codes.ts) it starts
 * slower (the shard needs time to refill), unless the shard is paced (`paced`: its rate was just cut, and
 * the pacer spaces the retry already); the cap leaves room for a few attempts within the delivery deadline.
 */
export function retryDelay(slow: boolean, attempt: number, deliveryTimeoutMs: number, paced = false, random: () => number = Math.random): number {
  const capMs = Math.max(200, deliveryTimeoutMs / 4);
  const baseMs = slow && !paced ? 200 : paced ? 50 : 100;
  return fullJitterDelay({ baseMs, capMs }, attempt, random);
}
