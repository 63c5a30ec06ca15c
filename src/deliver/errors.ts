// Errors the engine raises, and how it sorts the errors Kinesis returns into three kinds:
// retry (throttling, internal, network), split (size/validation), fatal (stream gone, not writable).

export type DeliveryFailure = 'queue_full' | 'overloaded' | 'deadline' | 'stream_unavailable' | 'shutting_down';

/** Seconds a client should wait: a full queue drains fast, a missing stream takes an operator. */
const RETRY_AFTER: Record<DeliveryFailure, number> = { queue_full: 1, overloaded: 1, deadline: 2, shutting_down: 2, stream_unavailable: 10 };

/**
 * Builds an error that is an answer to a client (503, 413), an expected outcome rather than a fault, without
 * a stack trace: V8 captures one per Error, about a tenth of the CPU of an early 503, and nobody reads it.
 */
export function answer<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A submit that was not delivered. Upstream: 503 with Retry-After. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly retryAfterSeconds: number;
  /** True when the write was refused before any of its records was sent: the client's retry duplicates nothing. */
  readonly nothingSent: boolean;
  constructor(
    readonly reason: DeliveryFailure,
    readonly stream: string,
    message?: string,
    retryAfterSeconds?: number,
    opts: { nothingSent?: boolean } = {},
  ) {
    super(message ?? defaultMessage(reason, stream));
    this.retryAfterSeconds = retryAfterSeconds ?? RETRY_AFTER[reason];
    this.nothingSent = opts.nothingSent === true;
  }
}

/**
 * A write whose points for one shard are more than that shard can take within the delivery deadline,
 * whatever the backlog: retrying it can never succeed. Upstream: 413 naming the size that fits.
 */
export class WriteTooLargeError extends Error {
  override readonly name = 'WriteTooLargeError';
  constructor(
    readonly stream: string,
    /** Bytes of line protocol (about) that fit in one write for one shard. */
    readonly maxBytes: number,
    /** Lines of this write's average size that fit. */
    readonly maxLines: number,
    message: string,
  ) {
    super(message);
  }
}

function defaultMessage(reason: DeliveryFailure, stream: string): string {
  switch (reason) {
    case 'queue_full':
      return `delivery queue of stream "${stream}" is full`;
    case 'overloaded':
      return `the shards of stream "${stream}" cannot take this write before the delivery deadline now; retry later`;
    case 'deadline':
      return `Kinesis did not accept the points for stream "${stream}" before the delivery deadline`;
    case 'stream_unavailable':
      return `stream "${stream}" is not available`;
    case 'shutting_down':
      return 'kinflux is shutting down';
  }
}

/** The stream does not exist (at startup the CLI logs it and exits 1). */
export class StreamNotFoundError extends Error {
  override readonly name = 'StreamNotFoundError';
  constructor(
    readonly stream: string,
    message?: string,
  ) {
    super(message ?? `Kinesis stream "${stream}" not found`);
  }
}

export type ErrorKind = 'retry' | 'split' | 'fatal';

const FATAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);
// Real AWS answers an oversize record or request with either of these; kinesis-local answers
// InvalidArgumentException per entry. All mean "smaller, please".
const SPLIT = new Set(['InvalidArgumentException', 'ValidationException', 'SerializationException']);

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

/**
 * Whole-call errors after which nobody knows whether Kinesis stored the records: the connection was reset
 * or the call timed out once the request could have reached Kinesis. The records are sent again (nothing
 * may be lost), so these are the one way kinflux itself can store a point twice. A refused connection or a
 * failed DNS lookup sent nothing and is not among them.
 */
const UNKNOWN_OUTCOME = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'AbortError']);

/** True when a whole PutRecords call failed in a way that leaves its outcome unknown (see UNKNOWN_OUTCOME). */
export function isUnknownOutcome(code: string): boolean {
  return UNKNOWN_OUTCOME.has(code);
}

/** Kind of a whole-request error or of a per-entry ErrorCode. Unknown codes are retried (until the deadline). */
export function classify(code: string): ErrorKind {
  if (FATAL.has(code)) return 'fatal';
  if (SPLIT.has(code)) return 'split';
  return 'retry'; // ProvisionedThroughputExceeded, LimitExceeded, KMSThrottling, InternalFailure, 5xx, sockets, timeouts
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${errorCode(err)}: ${err.message}`;
  return String(err);
}
