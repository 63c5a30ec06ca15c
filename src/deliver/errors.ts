// The engine's answers to its callers: a write not delivered (503), too large to deliver (413), a stream that
// does not exist. What each Kinesis error code means is in kinesis/error-codes.ts.

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

/** Kinesis did not answer within KINFLUX_STARTUP_TIMEOUT_MS at startup (the CLI says so in one line and exits 1). */
export class KinesisUnreachableError extends Error {
  override readonly name = 'KinesisUnreachableError';
  constructor(
    readonly stream: string,
    readonly timeoutMs: number,
    /** Why the last attempt failed (error code and text). */
    readonly reason: string,
  ) {
    super(`Kinesis unreachable for stream "${stream}" within ${timeoutMs} ms: ${reason}`);
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
