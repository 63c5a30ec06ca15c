// The stream a request body is read through (every route that installs the body budget: writes, /query, and
// routes added later). Three bounds on what a client can make kinflux hold, whatever its pace or chunking:
// - bytes are claimed from the process-wide budget as they arrive, never as announced, so a head promising
//   32 MiB that then idles holds nothing;
// - small chunks are joined as they arrive: a body of 1-byte chunks once cost ~140 B of heap per byte (one
//   Buffer per chunk kept until the body was whole), now memory follows bytes, and each chunk is charged
//   at least CHUNK_FLOOR_BYTES, so the number of chunks is bounded too;
// - a body that makes no progress for `idleMs` is cut off (the connection closed), long before the whole
//   request's deadline.
// This runs per chunk (a body of 1-byte chunks has millions): no timer, map or allocation per chunk.
import { Readable } from 'node:stream';

/** Chunks smaller than this are copied into a buffer of this size instead of being kept one by one. */
export const JOIN_BYTES = 16 * 1024;
/**
 * Every chunk is charged at least this much of the budget: memory follows bytes once chunks are joined, but
 * each chunk still costs Node a Buffer and a callback, so a body of millions of tiny chunks is refused (503)
 * once its charges pass the budget or the connection's cap, instead of taking seconds of CPU. Real clients'
 * chunks are kilobytes (a line per chunk, ~100 B, is charged ~10x: still far below the budget).
 */
export const CHUNK_FLOOR_BYTES = 1024;
/**
 * A body whose chunks average under this many bytes after TINY_CHUNKS_AFTER chunks is cut off (connection
 * closed): no line-protocol client streams chunks smaller than a line, and each 64 KiB read of 1-byte chunks
 * holds the event loop ~10-15 ms in Node's parser alone.
 */
export const TINY_CHUNK_BYTES = 8;
export const TINY_CHUNKS_AFTER = 4096;

export interface IntakeOptions {
  /** The route's body limit: a body past it is Fastify's 413 (permanent), never this budget's 503. */
  maxBytes: number;
  /** Claims bytes as they arrive; false when the budget is spent (the body is then refused with `refused()`). */
  reserve(bytes: number): boolean;
  /** The error the body fails with when a claim is refused (a 503). */
  refused(): Error;
  /** Cut-off after about this long without a byte (checked every idleMs / 2). */
  idleMs: number;
  /** Called once (after `source` is destroyed) when the body stalled past idleMs, or came in chunks far too small: closes the connection. */
  onIdle(): void;
}

/**
 * The body `source` as the stream the route's parser reads. A 'data' listener rather than a Transform: a
 * Transform costs a nextTick per written chunk, and a body of 1-byte chunks has millions. The consumer (Fastify's
 * body reader) never applies backpressure, so none is passed on.
 */
export function bodyIntake(source: Readable, o: IntakeOptions): Readable {
  let staging: Buffer | undefined;
  let used = 0;
  /** Claimed but not yet charged: claims are taken JOIN_BYTES at a time, not per chunk. */
  let credit = 0;
  const charge = (bytes: number): boolean => {
    if (bytes > credit) {
      const need = bytes - credit;
      const want = Math.max(need, JOIN_BYTES);
      // Near a full budget the exact need may still fit where a whole step does not.
      const got = o.reserve(want) ? want : need < want && o.reserve(need) ? need : 0;
      if (got === 0) return false;
      credit += got;
    }
    credit -= bytes;
    return true;
  };
  let received = 0;
  let seen = 0;
  let quiet = 0;
  let stopped = false;
  const out = new Readable({
    read() {},
    destroy(err, cb) {
      stop();
      cb(err);
    },
  });
  // Checked twice per idle window: two checks in a row without a new byte cut the body off.
  const timer = setInterval(() => {
    if (received !== seen) {
      seen = received;
      quiet = 0;
      return;
    }
    if (++quiet < 2) return;
    cutOff();
  }, Math.max(1, Math.floor(o.idleMs / 2)));
  timer.unref();
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    staging = undefined;
    source.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
  }
  // The source is destroyed too, not only left: Node's parser goes on through the rest of the socket read it is
  // in (a 64 KiB read is ~11k chunks of 6 bytes) and hands each chunk to the source, which then refuses it at
  // once instead of emitting it. Measured: ~20-27 -> ~12-18 ms of CPU per cut-off connection of 1-byte chunks.
  function cutOff(): void {
    stop();
    out.destroy();
    source.destroy();
    o.onIdle();
  }
  const takeStaging = (): Buffer => {
    const b = used < JOIN_BYTES / 2 ? Buffer.from((staging as Buffer).subarray(0, used)) : (staging as Buffer).subarray(0, used);
    staging = undefined;
    used = 0;
    return b;
  };
  const fail = (err: Error): void => {
    stop();
    out.destroy(err);
  };
  let chunks = 0;
  function onData(chunk: Buffer): void {
    received += chunk.length;
    if (++chunks > TINY_CHUNKS_AFTER && received < chunks * TINY_CHUNK_BYTES) return cutOff();
    if (received > o.maxBytes) {
      // Passed on uncharged: Fastify counts past its limit and answers 413 (a body too large must never get the
      // budget's 503, which Telegraf resends for ever); the rest of the body is Fastify's to drain, not ours.
      if (used > 0) out.push(takeStaging());
      out.push(chunk);
      return stop();
    }
    if (!charge(Math.max(chunk.length, CHUNK_FLOOR_BYTES))) return fail(o.refused());
    if (chunk.length >= JOIN_BYTES) {
      if (used > 0) out.push(takeStaging());
      out.push(chunk);
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      staging ??= Buffer.allocUnsafeSlow(JOIN_BYTES);
      const n = chunk.copy(staging, used, at);
      used += n;
      at += n;
      if (used === JOIN_BYTES) out.push(takeStaging());
    }
  }
  function onEnd(): void {
    if (used > 0) out.push(takeStaging());
    stop();
    out.push(null);
  }
  const onError = (err: Error): void => fail(err);
  const onAborted = (): void => {
    stop();
    out.destroy();
  };
  source.on('data', onData).once('end', onEnd).once('error', onError).once('aborted', onAborted);
  return out;
}
