// The process-wide memory budget for request bodies (KINFLUX_MAX_INFLIGHT_BODY_BYTES): bytes of bodies being
// received and decoded, across all connections, count against one bound until their request is answered.
// Bytes are claimed as they arrive (body-intake.ts), never as announced: a head promising a large
// Content-Length that then idles holds nothing. A write whose Content-Length does not fit what is free now gets
// 503 + Retry-After before its body is read; a body that passes the bound while arriving, or its gzip while
// inflating, gets the same 503. A body bigger than the whole budget alone gets 413. One connection's claims are
// capped (pipelined requests cannot stack up past one request's worth). /query form bodies count too. A client
// that sends `Expect: 100-continue` gets these answers instead of the 100 (server.ts sends the 100 only once a
// request has passed them), so it never sends a body that would be refused.
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Reserve } from '../decode/body.js';
import type { Logger } from '../log/logger.js';
import { RateLimitedWarning } from '../log/rate-limited-warning.js';
import { sendError, type Api } from './errors.js';
import { collectGarbage } from '../reclaim.js';
import { bodyIntake, CHUNK_FLOOR_BYTES } from './body-intake.js';

/** Seconds a refused client waits: bodies in flight take about that long to be parsed and handed on. */
const RETRY_AFTER_S = 1;

/**
 * A burst that claimed at least this much in total since the last collection (one body, or many small ones in a
 * row) gets a garbage collection once it is over, so RSS returns near idle. Small: the buffers a body leaves
 * (inflated, parsed, encoded, sent) are ~2.5x its claims, and a pause of a second mid-load collects what came
 * before it, so only the load after it is left; at 32 MiB, the last three bodies of a load (27 MiB claimed)
 * left 74 MiB of dead buffers for good in an idle process. The quiet second keeps this to one collection a second.
 */
const RECLAIM_AFTER_BYTES = 4 * 1024 * 1024;
const RECLAIM_DELAY_MS = 1000;

/** A body that sends nothing for this long (or KINFLUX_REQUEST_TIMEOUT_MS, if shorter) is cut off. */
export const BODY_IDLE_MS = 5000;

export class BodyBudget {
  private used = 0;
  /** What each connection holds: claims of its requests (pipelined ones included) until each is answered. */
  private readonly perSocket = new WeakMap<Socket, number>();
  /** Bytes claimed since the last collection: bodies sent one after another free nothing until a GC finds them. */
  private claimed = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly max: number,
    private readonly reclaim: () => void = collectGarbage,
    /** Most one connection may hold at once: one request's worst (its raw body plus what it inflates to). */
    readonly perConnection = max,
    /** Cut-off for a body that makes no progress. */
    readonly idleMs = BODY_IDLE_MS,
  ) {}
  /** Claims `bytes` for a request on `socket`; false past the bound or past the connection's cap. */
  tryReserveOn(socket: Socket, bytes: number): boolean {
    const held = this.perSocket.get(socket) ?? 0;
    if (held + bytes > this.perConnection || !this.tryReserve(bytes)) return false;
    this.perSocket.set(socket, held + bytes);
    return true;
  }
  releaseOn(socket: Socket, bytes: number): void {
    const held = (this.perSocket.get(socket) ?? 0) - bytes;
    if (held > 0) this.perSocket.set(socket, held);
    else this.perSocket.delete(socket);
    this.release(bytes);
  }
  /** Bytes not claimed now. */
  get free(): number {
    return Math.max(0, this.max - this.used);
  }
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

/**
 * Each request's claim, released once when its response has closed (sent, or the connection gone) and no work holds
 * it: a body decoded on a thread after its client hung up is still in memory, so its bytes stay claimed until then.
 */
interface Claim {
  bytes: number;
  holds: number;
  closed: boolean;
  readonly socket: Socket;
  readonly budget: BodyBudget;
}
const claims = new WeakMap<FastifyRequest, Claim>();

function settle(claim: Claim): void {
  if (!claim.closed || claim.holds > 0 || claim.bytes === 0) return;
  const bytes = claim.bytes;
  claim.bytes = 0;
  claim.budget.releaseOn(claim.socket, bytes);
}

/** The request's claim, made at its first use; it lets go at the response's close (settle). */
function claimOf(req: FastifyRequest, reply: FastifyReply, budget: BodyBudget): Claim {
  const known = claims.get(req);
  if (known) return known;
  // A response closed already (its client gone before the first claim) fires no 'close' any more.
  const claim: Claim = { bytes: 0, holds: 0, closed: reply.raw.closed, socket: req.raw.socket, budget };
  claims.set(req, claim);
  // 'close' on the response fires once, whether the answer was sent or the client went away mid-body.
  if (!claim.closed) {
    reply.raw.once('close', () => {
      claim.closed = true;
      settle(claim);
    });
  }
  return claim;
}

/** The reserve function of one request (for decodeBody): claims add up to what is released at its end. */
export function reserveFor(req: FastifyRequest, reply: FastifyReply, budget: BodyBudget): Reserve {
  return (bytes) => {
    const claim = claimOf(req, reply, budget);
    if (!budget.tryReserveOn(claim.socket, bytes)) return false;
    claim.bytes += bytes;
    // Claimed after the response closed (a decode still running): released when the work holding it lets go.
    settle(claim);
    return true;
  };
}

/**
 * Keeps the request's claim past its response's close until the returned function is called: for work that still
 * holds the body (an inflate, or a decode or parse queued on a thread), so a client that hangs up cannot free the
 * budget while its bytes wait there, and send more.
 */
export function holdClaim(req: FastifyRequest, reply: FastifyReply, budget: BodyBudget): () => void {
  const claim = claimOf(req, reply, budget);
  claim.holds++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    claim.holds--;
    settle(claim);
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
    if (waits && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined && budget.free < CHUNK_FLOOR_BYTES) {
      busy.note({ inUse: budget.inUse, wanted: 'chunked' });
      return sendError(reply, api, 503, busyMessage(what), { retryAfter: RETRY_AFTER_S });
    }
    // Past maxBodyBytes Fastify answers 413 itself, reading nothing into memory.
    if (!Number.isFinite(length) || length <= 0 || length > maxBodyBytes) return;
    if (length > budget.max) {
      return sendError(reply, api, 413, `request body too large: ${length} bytes alone pass the in-flight body budget of ${budget.max} bytes (KINFLUX_MAX_INFLIGHT_BODY_BYTES)`, { maxLength: budget.max });
    }
    // Nothing is claimed yet (bytes are claimed as they arrive), but a body that cannot fit beside what is
    // held now is refused before it is read.
    if (length > budget.free) {
      busy.note({ inUse: budget.inUse, wanted: length });
      // Node discards the unread body without buffering it, and the client reads the 503.
      reply.header('connection', 'close');
      return sendError(reply, api, 503, busyMessage(what), { retryAfter: RETRY_AFTER_S });
    }
  });

  // Every body is read through the intake: claimed as it arrives, small chunks joined, cut off when it stalls.
  // A body over the size limit is left to Fastify's 413 (which drains it so the client reads the answer).
  app.addHook('preParsing', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const length = Number(req.headers['content-length']);
    if (length > maxBodyBytes) return payload;
    const socket = req.raw.socket;
    let noted = false;
    return bodyIntake(payload, {
      maxBytes: maxBodyBytes,
      reserve: reserveFor(req, reply, budget),
      refused: () => {
        if (!noted) busy.note({ inUse: budget.inUse, wanted: 'more of a body' });
        noted = true;
        return new BodyBudgetError(busyMessage(what));
      },
      idleMs: budget.idleMs,
      onIdle: () => socket.destroy(),
    });
  });
}
