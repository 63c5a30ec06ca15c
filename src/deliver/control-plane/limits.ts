// How hard kinflux may lean on the Kinesis control plane. A fleet shares the account's limits
// (DescribeStreamSummary: 20 calls/s per account), so each stream's calls are spaced and, once throttled or
// failing, back off with jitter so the replicas do not come back in step.

/** One DescribeStreamSummary or ListShards page may take this long. */
export const CONTROL_TIMEOUT_MS = 5000;
/** Checks of one stream are spaced at least this much (DescribeStreamSummary allows 20 TPS per account). */
export const MIN_CHECK_GAP_MS = 1000;
/** The longest pause between describes of a stream whose describes are throttled or failing. */
export const MAX_BACKOFF_MS = 60_000;
/** Error codes of a control plane that is busy, not of a stream in trouble. */
export const CONTROL_THROTTLES: ReadonlySet<string> = new Set(['LimitExceededException', 'ThrottlingException', 'TooManyRequestsException']);

/** 2 s after a first failure, doubling up to MAX_BACKOFF_MS. */
export function nextBackoff(prev: number): number {
  return Math.min(MAX_BACKOFF_MS, Math.max(2 * MIN_CHECK_GAP_MS, prev * 2));
}

/** ±25%: keeps a fleet's replicas from calling in step after a shared throttle. */
export function jitter(ms: number): number {
  return ms * (0.75 + Math.random() * 0.5);
}
