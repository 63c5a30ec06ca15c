// The process-wide memory budget for request bodies (KINFLUX_MAX_INFLIGHT_BODY_BYTES): bytes of write bodies
// being received and decoded, across all connections, count against one bound until their request is answered.
// Past it a new write gets 503 + Retry-After before its body is read: with a Content-Length the whole body is
// claimed up front; a chunked body is claimed as it arrives and refused when the next chunk would pass the bound;
// inflated gzip is claimed as it is inflated. A body bigger than the whole budget alone gets 413. /query form bodies
// count too. A client that sends `Expect: 100-continue` gets these answers instead of the 100 (server.ts sends
// the 100 only once a request has passed them), so it never sends a body that would be refused.
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Reserve } from '../decode/body.js';
import type { Logger } from '../log/logger.js';
import { RateLimitedWarning } from '../log/rate-limited-warning.js';
import { sendError, type Api } from './errors.js';
import { collectGarbage } from '../reclaim.js';

/** Seconds a refused client waits: bodies in flight take about that long to be parsed and handed on. */
const RETRY_AFTER_S = 1;

/**
 * A burst that claimed at least this much in total (one large body, or many small ones in a row) gets a
 * garbage collection once it is over, so RSS returns near idle.
 */
const RECLAIM_AFTER_BYTES = 32 * 1024 * 1024;
const RECLAIM_DELAY_MS = 1000;

export class BodyBudget {
  private used = 0;
  /** Bytes claimed since the last collection: bodies sent one after another free nothing until a GC finds them. */
  private claimed = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly max: number,
    private readonly reclaim: () => void = collectGarbage,
  ) {}
  /** Claims `bytes`; false (and nothing claimed) when that would pass the bound. */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    this.claimed += bytes;
    return true;
  }
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    if (this.used === 0 && this.claimed >= RECLAIM_AFTER_BYTES && !this.timer) {
      // Once the bodies are gone and no new one arrived for a moment, their memory is handed back.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.used > 0) return;
        this.claimed = 0;
        this.reclaim();
      }, RECLAIM_DELAY_MS);
      this.timer.unref();
    }
  }
  get inUse(): number {
    return this.used;
  }
}

/** A 503 raised while reading a chunked body; server.ts's error handler answers it. */
export class BodyBudgetError extends Error {
  readonly statusCode = 503;
  readonly retryAfterSeconds = RETRY_AFTER_S;
  constructor(message: string) {
    super(message);
  }
}

/** The 503's text; `what` says what was not done ("points not stored" for writes). */
const busyMessage = (what: string): string =>
  `${what}: kinflux is busy: request bodies being received and parsed fill its memory budget (KINFLUX_MAX_INFLIGHT_BODY_BYTES); retry shortly`;

/** The 413 of a body over its route's limit: the one sent instead of a 100 Continue, and Fastify's own (server.ts). */
export function sendBodyTooLarge(reply: FastifyReply, api: Api, limit: number): FastifyReply {
  return sendError(reply, api, 413, `request body too large: more than ${limit} bytes`, { maxLength: limit });
}

/** Each request's claim, released once when its response closes: sent, or the connection gone. */
const claims = new WeakMap<FastifyRequest, { bytes: number }>();

/** The reserve function of one request (for decodeBody): claims add up to what is released at its end. */
export function reserveFor(req: FastifyRequest, reply: FastifyReply, budget: BodyBudget): Reserve {
  return (bytes) => {
    if (!budget.tryReserve(bytes)) return false;
    const claim = claims.get(req);
    if (claim) {
      claim.bytes += bytes;
      return true;
    }
    const created = { bytes };
    claims.set(req, created);
    // 'close' on the response fires once, whether the answer was sent or the client went away mid-body.
    reply.raw.once('close', () => {
      claims.delete(req);
      budget.release(created.bytes);
    });
    return true;
  };
}

/** True when the client waits for `100 Continue` before sending its body (server.ts sends it only when the body is read). */
export function expectsContinue(req: FastifyRequest): boolean {
  const expect = req.headers.expect;
  return typeof expect === 'string' && /^\s*100-continue\s*$/i.test(expect);
}

/** Installs the budget on a scope whose routes read bodies of at most `maxBodyBytes` (writes; /query forms). */
export function installBodyBudget(app: FastifyInstance, budget: BodyBudget, maxBodyBytes: number, log: Logger, what = 'points not stored'): void {
  const busy = new RateLimitedWarning(log, `requests answered 503: request bodies in flight reached KINFLUX_MAX_INFLIGHT_BODY_BYTES (${budget.max} bytes)`);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return;
    const api = req.routeOptions.config.api ?? 'v1';
    const length = Number(req.headers['content-length']);
    // A client waiting for 100 Continue is answered now, and never sends the body: 413 when the body is too
    // big, 503 when a chunked body would find no room at all (one with a length is checked below).
    const waits = expectsContinue(req);
    if (waits && length > maxBodyBytes) {
      return sendBodyTooLarge(reply, api, maxBodyBytes);
    }
    if (waits && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined && budget.inUse >= budget.max) {
      busy.note({ inUse: budget.inUse, wanted: 'chunked' });
      return sendError(reply, api, 503, busyMessage(what), { retryAfter: RETRY_AFTER_S });
    }
    // Past maxBodyBytes Fastify answers 413 itself, reading nothing into memory.
    if (!Number.isFinite(length) || length <= 0 || length > maxBodyBytes) return;
    if (length > budget.max) {
      return sendError(reply, api, 413, `request body too large: ${length} bytes alone pass the in-flight body budget of ${budget.max} bytes (KINFLUX_MAX_INFLIGHT_BODY_BYTES)`, { maxLength: budget.max });
    }
    if (!reserveFor(req, reply, budget)(length)) {
      busy.note({ inUse: budget.inUse, wanted: length });
      // Node discards the unread body without buffering it, and the client reads the 503.
      reply.header('connection', 'close');
      return sendError(reply, api, 503, busyMessage(what), { retryAfter: RETRY_AFTER_S });
    }
  });

  // A body without Content-Length (chunked) is claimed as it arrives. One with a Content-Length was claimed
  // above, or is left alone for Fastify's 413 (which drains it so the client reads the answer).
  app.addHook('preParsing', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (claims.has(req) || req.headers['content-length'] !== undefined) return payload;
    const reserve = reserveFor(req, reply, budget);
    let noted = false;
    return payload.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb: TransformCallback) {
          if (reserve(chunk.length)) return cb(null, chunk);
          if (!noted) busy.note({ inUse: budget.inUse, wanted: chunk.length });
          noted = true;
          cb(new BodyBudgetError(busyMessage(what)));
        },
      }),
    );
  });
}
