// Every Kinesis error code kinflux treats specially, and what it does about it, in one table. A code not in
// the table (InternalFailure, 5xx, sockets, timeouts, anything new) is retried until the submit's deadline.

export type ErrorKind = 'retry' | 'split' | 'fatal';

interface CodeAction {
  /** retry: send again after backoff; split: smaller, please (bisect the call, halve the record); fatal: the stream cannot be written. */
  readonly kind: ErrorKind;
  /** The retry's backoff starts slower: the limit needs time to refill (unless the shard is paced). */
  readonly slowRetry?: true;
  /** A shard's write limit: its pacer cuts the rate, and a large record is split before its retry. */
  readonly shardThrottle?: true;
  /** The control plane is busy (account limits): says nothing about the stream, so health stays as it was. */
  readonly controlThrottle?: true;
  /**
   * A whole call failed after the request could have reached Kinesis (reset, timeout): nobody knows whether it
   * stored the records. They are sent again (nothing may be lost), so these are the one way kinflux itself can
   * store a point twice. A refused connection or a failed DNS lookup sent nothing and is not among them.
   */
  readonly unknownOutcome?: true;
}

const FATAL: CodeAction = { kind: 'fatal' };
// Real AWS answers an oversize record or request with InvalidArgument or Validation; kinesis-local answers
// InvalidArgumentException per entry. All mean "smaller, please".
const SPLIT: CodeAction = { kind: 'split' };

const ACTIONS: ReadonlyMap<string, CodeAction> = new Map<string, CodeAction>([
  ['ProvisionedThroughputExceededException', { kind: 'retry', slowRetry: true, shardThrottle: true }],
  ['LimitExceededException', { kind: 'retry', slowRetry: true, controlThrottle: true }],
  ['KMSThrottlingException', { kind: 'retry', slowRetry: true }],
  ['ThrottlingException', { kind: 'retry', controlThrottle: true }],
  ['TooManyRequestsException', { kind: 'retry', controlThrottle: true }],
  ['ResourceNotFoundException', FATAL],
  ['AccessDeniedException', FATAL],
  ['KMSAccessDeniedException', FATAL],
  ['KMSDisabledException', FATAL],
  ['KMSInvalidStateException', FATAL],
  ['KMSNotFoundException', FATAL],
  ['KMSOptInRequired', FATAL],
  ['InvalidArgumentException', SPLIT],
  ['ValidationException', SPLIT],
  ['SerializationException', SPLIT],
  ...['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'AbortError'].map(
    (code): [string, CodeAction] => [code, { kind: 'retry', unknownOutcome: true }],
  ),
]);

const RETRY: CodeAction = { kind: 'retry' };

function action(code: string): CodeAction {
  return ACTIONS.get(code) ?? RETRY;
}

/** Kind of a whole-request error or of a per-entry ErrorCode. Unknown codes are retried (until the deadline). */
export function classify(code: string): ErrorKind {
  return action(code).kind;
}

/** The shard's write limit (ProvisionedThroughputExceeded): pace the shard down. */
export function isShardThrottle(code: string): boolean {
  return action(code).shardThrottle === true;
}

/** The control plane's account limits: back off, change no health. */
export function isControlThrottle(code: string): boolean {
  return action(code).controlThrottle === true;
}

/** A retry after this code waits longer before its first attempt. */
export function retriesSlowly(code: string): boolean {
  return action(code).slowRetry === true;
}

/** True when a whole PutRecords call failed in a way that leaves its outcome unknown (see CodeAction.unknownOutcome). */
export function isUnknownOutcome(code: string): boolean {
  return action(code).unknownOutcome === true;
}

/** Code of an SDK or network error, for the failures metric and logs. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
    if (typeof e.code === 'string' && e.code) return e.code; // ECONNRESET, ECONNREFUSED, ...
    if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
    if (e.$metadata?.httpStatusCode) return `HTTP${e.$metadata.httpStatusCode}`;
  }
  return 'UnknownError';
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${errorCode(err)}: ${err.message}`;
  return String(err);
}
