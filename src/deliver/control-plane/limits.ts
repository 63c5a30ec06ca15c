// How hard kinflux may lean on the Kinesis control plane. A fleet shares the account's limits
// (DescribeStreamSummary: 20 calls/s per account), so each stream's calls are spaced and, once throttled or
// failing, back off with jitter (pacing/backoff.ts) so the replicas do not come back in step.
import type { BackoffPolicy } from '../../pacing/backoff.js';

/** One DescribeStreamSummary or ListShards page may take this long. */
export const CONTROL_TIMEOUT_MS = 5000;
/** Checks of one stream are spaced at least this much (DescribeStreamSummary allows 20 TPS per account). */
export const MIN_CHECK_GAP_MS = 1000;
/** The longest pause between describes of a stream whose describes are throttled or failing. */
export const MAX_BACKOFF_MS = 60_000;
/** Describes and listings that are throttled or failing: 2 s after a first failure, doubling up to MAX_BACKOFF_MS. */
export const CONTROL_BACKOFF: BackoffPolicy = { baseMs: 2 * MIN_CHECK_GAP_MS, capMs: MAX_BACKOFF_MS };
