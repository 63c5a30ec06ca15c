// The line-protocol write endpoints: HTTP → decode → parse → route → delivery → acknowledge.
// One handler serves InfluxDB 1.x /write, 2.x /api/v2/write and 3.x /api/v3/write_lp; a dialect holds what differs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyError, decodeBody, isGzip } from '../../decode/body.js';
import { BodyParser, describeLineErrorAt, parsePrecision, precisionError } from '../../parse/index.js';
import type { LineError, Precision } from '../../parse/types.js';
import { DeliveryError, WriteTooLargeError } from '../../deliver/engine.js';
import { submitPoints, type SubmitRefusal } from '../submit-points.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../deps.js';
import { nowNs } from '../clock.js';
import { selectPoints } from '../select-points.js';
import { RateLimitedWarning } from '../../log/rate-limited-warning.js';
import { BodyBudget, expectsContinue, holdClaim, installBodyBudget, reserveFor } from '../body-budget.js';
import type { Router } from '../../route/router.js';
import { applyAutoPrecision } from '../auto-precision.js';

type Precisionish = Precision | 'auto';

interface Dialect {
  readonly api: 'v1' | 'v2' | 'v3';
  readonly url: string;
  /** The query's precision (absent: the API's default), or undefined with the API's error text in precisionError. */
  precision(raw: string | undefined): Precisionish | undefined;
  precisionError(raw: string): string;
  /** The database or bucket the points are for, or an error message. */
  database(q: Record<string, string | undefined>): string | { readonly missing: string };
  readonly allowUnsigned: boolean;
  readonly allowCRLF: boolean;
}

/** At most this many bad lines are quoted in one error body; the rest are counted. */
const MAX_QUOTED_ERRORS = 10;

export function writeRoutes(app: FastifyInstance, deps: HttpDeps, budget: BodyBudget): void {
  const { settings } = deps;
  // Under overload every write may get 503: say so in the log, not once per request.
  const unavailable = new RateLimitedWarning(app.log, 'writes answered 503: points may or may not be stored, clients send them again');
  const dialects: Dialect[] = [
    {
      api: 'v1',
      url: '/write',
      database: (q) => (q.db ? q.db : { missing: 'database is required' }),
      precision: (raw) => parsePrecision(raw, 'v1'),
      precisionError: (raw) => precisionError(raw, 'v1'),
      allowUnsigned: settings.http.v1AllowUnsigned,
      allowCRLF: settings.http.v1AllowCRLF,
    },
    {
      api: 'v2',
      url: '/api/v2/write',
      // InfluxDB 2.x answers a missing bucket with 404 "bucket not found"; the status stays, the text says what to add.
      database: (q) => (q.bucket ? q.bucket : { missing: 'bucket is required: add ?bucket=<name> to the URL (InfluxDB 2.x answers this 404 as "bucket not found")' }),
      precision: (raw) => parsePrecision(raw, 'v2'),
      precisionError: (raw) => precisionError(raw, 'v2'),
      allowUnsigned: true,
      allowCRLF: true,
    },
    {
      api: 'v3',
      url: '/api/v3/write_lp',
      database: (q) => (q.db ? q.db : { missing: 'missing query parameter "db": add ?db=<name> to the URL' }),
      precision: (raw) => (raw === undefined ? 'auto' : Object.hasOwn(V3_PRECISION, raw) ? V3_PRECISION[raw] : undefined),
      precisionError: (raw) => `invalid precision ${JSON.stringify(raw)}: use auto, nanosecond, microsecond, millisecond, second, or ns, n, us, u, ms, s`,
      allowUnsigned: true,
      allowCRLF: true,
    },
  ];

  // Bodies reach the handler as raw bytes whatever their Content-Type: InfluxDB ignores it too. The influx CLI
  // sends an empty Content-Type, which Fastify would refuse with 415, so the header is set before parsing.
  app.addHook('onRequest', async (req, reply) => {
    req.headers['content-type'] = 'text/plain';
    // Writes arriving on kept-alive connections after SIGTERM: a 503 the client retries elsewhere or later.
    if (deps.shuttingDown()) {
      const api = req.routeOptions.config.api ?? 'v1';
      return sendError(reply, api, 503, 'points not stored: kinflux is shutting down; send them again', { retryAfter: 2 });
    }
    // A shard of the target stream is backlogged past admission: the write would be refused after parsing,
    // so it is refused before its body is read (a flood of writes the stream cannot take then costs little).
    const api = req.routeOptions.config.api;
    // A body over the size limits can never be taken, whatever the backlog: its 413 (Fastify's, or the
    // budget's below) must not become a 503 that a client such as Telegraf retries for ever.
    const announced = Number(req.headers['content-length']);
    const neverFits = announced > Math.min(settings.http.maxBodyBytes, budget.max);
    if (api !== undefined && deps.delivery.saturated && !neverFits) {
      const q = req.query as Record<string, unknown>;
      const db = api === 'v2' ? q.bucket : q.db;
      const route = typeof db === 'string' && db ? deps.router.resolve(db) : undefined;
      // A plain body's size says what the write will weigh on each shard; a compressed one's does not.
      const plain = !req.headers['content-encoding'] || req.headers['content-encoding'] === 'identity';
      const bodyBytes = plain ? Number(req.headers['content-length']) || 0 : 0;
      const refusal = route && 'stream' in route ? deps.delivery.saturated(route.stream, bodyBytes) : undefined;
      if (route && 'stream' in route && refusal instanceof WriteTooLargeError) {
        // Never deliverable whatever the backlog: sending it again cannot help, so no Retry-After.
        return sendError(reply, api, 413, refusal.message, { maxLength: refusal.maxBytes });
      }
      if (route && 'stream' in route && refusal) {
        unavailable.note({ stream: route.stream, reason: 'overloaded' });
        return sendError(reply, api, 503, `points not stored: ${refusal.message}`, { retryAfter: refusal instanceof DeliveryError ? refusal.retryAfterSeconds : 1 });
      }
    }
  });
  // One budget for the bodies of every request in this process (README "Memory budget").
  installBodyBudget(app, budget, settings.http.maxBodyBytes, app.log);
  // A client waiting for 100 Continue gets the refusal its query string alone earns (bad precision, no or an
  // unrouted db) instead of the 100, and never sends a body only to have it refused. After the budget's checks,
  // so every refusal comes in the order it would once the body is read; without Expect the handler answers them.
  app.addHook('onRequest', async (req, reply) => {
    const d = dialects.find((x) => x.api === req.routeOptions.config.api);
    if (reply.sent || d === undefined || !expectsContinue(req)) return;
    const target = writeTarget(req.query as Record<string, string | undefined>, d, deps.router);
    if ('refusal' in target) return sendError(reply, d.api, target.status, target.refusal);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.http.maxBodyBytes }, (_req, body, done) => done(null, body));

  // The parse thread and this thread's parse scratch, shared by both APIs.
  const parser = new BodyParser();
  for (const d of dialects) {
    if (!settings.inputs.has(d.api)) continue; // KINFLUX_INPUTS: an input left out answers 404
    app.post(d.url, { config: { api: d.api, auth: true } }, (req, reply) => handleWrite(req, reply, d, deps, unavailable, budget, parser));
  }
}

/** A write either answered already (a refusal before delivery) or handed to delivery and waiting for its answer. */
type Accepted = { readonly answered: FastifyReply } | { readonly pending: Promise<SubmitRefusal | undefined>; readonly errors: LineError[]; readonly errorCount: number };

async function handleWrite(req: FastifyRequest, reply: FastifyReply, d: Dialect, deps: HttpDeps, unavailable: RateLimitedWarning, budget: BodyBudget, parser: BodyParser): Promise<FastifyReply> {
  // Decoded, parsed and handed to delivery in a frame of its own: while the write waits for Kinesis (a round
  // trip, pacing) this frame holds only its errors, not the body or the parse output, which then die young
  // instead of being promoted and left for a full collection.
  // The body's claim stays until decode and parse let go of it, even if the client hangs up meanwhile.
  const release = holdClaim(req, reply, budget);
  let step: Accepted;
  try {
    step = await acceptWrite(req, reply, d, deps, unavailable, budget, parser);
  } finally {
    release();
  }
  if ('answered' in step) return step.answered;
  const { errors, errorCount } = step;
  const refused = await step.pending;
  // Telegraf's v2 output splits a batch on 413; a 503 is sent again.
  if (refused?.status === 413) return sendError(reply, d.api, 413, refused.message, { maxLength: refused.maxBytes });
  if (refused) return sendError(reply, d.api, 503, refused.message, { retryAfter: refused.retryAfter });

  if (errorCount > 0 && d.api === 'v3') {
    // InfluxDB 3 partial write: the valid lines are in Kinesis; `data` names the first rejected lines.
    return sendError(reply, 'v3', 400, 'partial write of line protocol occurred', { data: errors.slice(0, MAX_QUOTED_ERRORS).map(v3LineError) });
  }
  if (errorCount > 0) {
    // 1.x partial write: the valid lines are in Kinesis, the 400 names the rest.
    return sendError(reply, d.api, 400, `partial write: ${describeErrors(errors, errorCount)} dropped=${errorCount}`);
  }
  return reply.code(204).send();
}

async function acceptWrite(req: FastifyRequest, reply: FastifyReply, d: Dialect, deps: HttpDeps, unavailable: RateLimitedWarning, budget: BodyBudget, parser: BodyParser): Promise<Accepted> {
  const { metrics, delivery, router, settings } = deps;
  const receivedAtNs = nowNs();
  const q = req.query as Record<string, string | undefined>;

  const target = writeTarget(q, d, router);
  if ('refusal' in target) return { answered: sendError(reply, d.api, target.status, target.refusal) };
  const { precision, db, stream, acceptPartial } = target;
  // SHOW DATABASES then lists it, as InfluxDB would after a write (clients check before `use`).
  router.noteDatabase(db);

  let body: Buffer;
  try {
    // A gzip body is weighed by what it inflates to, as it inflates: one too large for the stream whatever the
    // backlog gets its 413 as soon as its inflated size says so (the check before the body could not weigh it).
    const tooLarge = (bytes: number): Error | undefined => {
      const refusal = delivery.saturated?.(stream, bytes);
      return refusal instanceof WriteTooLargeError ? refusal : undefined;
    };
    body = await decodeBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers['content-encoding'], settings.http.maxDecodedBytes, reserveFor(req, reply, budget), tooLarge);
  } catch (err) {
    if (err instanceof WriteTooLargeError) return { answered: sendError(reply, d.api, 413, err.message, { maxLength: err.maxBytes }) };
    if (!(err instanceof BodyError)) throw err;
    metrics.pointsRejected.inc({ reason: err.reason });
    const extra = err.status === 413 ? { maxLength: settings.http.maxDecodedBytes } : err.status === 503 ? { retryAfter: 1 } : {};
    return { answered: sendError(reply, d.api, err.status, err.status === 503 ? `points not stored: ${err.message}` : err.message, extra) };
  }

  // Inflated, a gzip body is weighed whole before the parse: the backlog's 503 too.
  if (isGzip(req.headers['content-encoding']) && delivery.saturated) {
    const refusal = delivery.saturated(stream, body.length);
    if (refusal instanceof WriteTooLargeError) {
      return { answered: sendError(reply, d.api, 413, refusal.message, { maxLength: refusal.maxBytes }) };
    }
    if (refusal) {
      unavailable.note({ stream, reason: 'overloaded' });
      return { answered: sendError(reply, d.api, 503, `points not stored: ${refusal.message}`, { retryAfter: refusal instanceof DeliveryError ? refusal.retryAfterSeconds : 1 }) };
    }
  }

  // The parse counts every bad line but keeps only the first few, and stops at the line past the limit.
  const maxLines = settings.http.maxLinesPerRequest;
  const parsed = await parser.parse(body, { precision: precision === 'auto' ? 'ns' : precision, receivedAtNs, allowUnsigned: d.allowUnsigned, allowCRLF: d.allowCRLF, maxErrors: MAX_QUOTED_ERRORS, maxLines });
  body = parsed.body; // a large body went to the parse thread and came back
  if (parsed.tooManyLines) {
    metrics.pointsRejected.inc({ reason: 'too_many_lines' }, maxLines + 1);
    return { answered: sendError(reply, d.api, 413, `request has at least ${maxLines + 1} lines, more than the limit of ${maxLines}`) };
  }
  let points = precision === 'auto' ? applyAutoPrecision(parsed.points) : parsed.points;
  const errors: LineError[] = [...parsed.errors];
  let errorCount = parsed.errorCount;

  // A point no record can carry (too big for any record; not UTF-8 in json records) is a rejected line, never a silent drop.
  const unfit = points.count > 0 ? delivery.unencodable(stream, points) : [];
  if (unfit.length > 0) {
    // Quoted from the canonical line, at the body line the point came from (the batch's line column).
    for (const { index, reason } of unfit.slice(0, MAX_QUOTED_ERRORS)) {
      const s = points.starts[index];
      errors.push({ line: points.lines[index], column: 1, text: points.data.toString('utf8', s, Math.min(points.starts[index + 1] - 1, s + 64)), reason });
    }
    errors.sort((a, b) => a.line - b.line);
    errors.length = Math.min(errors.length, MAX_QUOTED_ERRORS);
    errorCount += unfit.length;
    points = selectPoints(points, new Set(unfit.map((u) => u.index)));
  }
  if (parsed.errorCount) metrics.pointsRejected.inc({ reason: 'parse' }, parsed.errorCount);
  for (const u of unfit) metrics.pointsRejected.inc({ reason: u.kind });

  if (d.api === 'v3' && errorCount > 0 && !acceptPartial) {
    // InfluxDB 3 with accept_partial=false: nothing is written; `data` is the first rejected line, as one object.
    if (points.count > 0) metrics.pointsRejected.inc({ reason: 'batch_rejected' }, points.count);
    return { answered: sendError(reply, 'v3', 400, 'parsing failed for write_lp endpoint', { data: v3LineError(errors[0]) }) };
  }
  if (d.api !== 'v3' && errorCount > 0 && (d.api === 'v2' || points.count === 0)) {
    // InfluxDB 2.x rejects the whole batch; 1.x does so only when no line is valid.
    if (points.count > 0) metrics.pointsRejected.inc({ reason: 'batch_rejected' }, points.count);
    return { answered: sendError(reply, d.api, 400, describeErrors(errors, errorCount), { line: errors[0].line }) };
  }

  // Let go, so the request does not keep the raw body alive while the write waits (the budget still counts it).
  req.body = undefined;
  return { pending: submitPoints(deps, unavailable, stream, points), errors, errorCount };
}

type WriteTarget = { readonly precision: Precisionish; readonly db: string; readonly stream: string; readonly acceptPartial: boolean } | { readonly status: 400 | 404; readonly refusal: string };

/** InfluxDB 3's precision words (PR #26926 added the short forms); `auto` guesses per timestamp. */
const V3_PRECISION: Readonly<Record<string, Precisionish>> = {
  auto: 'auto', nanosecond: 'ns', ns: 'ns', n: 'ns', microsecond: 'us', us: 'us', u: 'us', millisecond: 'ms', ms: 'ms', second: 's', s: 's',
};

/** A v3 boolean query parameter: absent gives the default; anything but true/false is refused. */
function v3Flag(q: Record<string, string | undefined>, name: string, dflt: boolean): boolean | string {
  const v = q[name];
  if (v === undefined) return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return `invalid query parameter "${name}": use true or false`;
}

/** One rejected line as InfluxDB 3 reports it in a write_lp error's `data`. */
function v3LineError(e: LineError): { original_line: string; line_number: number; error_message: string } {
  return { original_line: e.text, line_number: e.line, error_message: e.reason };
}

/** What the query string alone decides: the precision and the stream, or the 400/404 that refuses the write. */
function writeTarget(q: Record<string, string | undefined>, d: Dialect, router: Router): WriteTarget {
  const precision = d.precision(q.precision);
  if (precision === undefined) return { status: 400, refusal: d.precisionError(q.precision ?? '') };
  let acceptPartial = true;
  if (d.api === 'v3') {
    // no_sync is accepted and changes nothing: every answer waits for Kinesis (README "InfluxDB 3").
    const flags = [v3Flag(q, 'accept_partial', true), v3Flag(q, 'no_sync', false)];
    const bad = flags.find((f) => typeof f === 'string');
    if (typeof bad === 'string') return { status: 400, refusal: bad };
    acceptPartial = flags[0] === true;
  }
  const db = d.database(q);
  if (typeof db !== 'string') return { status: d.api === 'v2' ? 404 : 400, refusal: db.missing };
  const route = router.resolve(db);
  if ('notFound' in route) return { status: 404, refusal: d.api === 'v2' ? `bucket "${db}" not found` : `database not found: "${db}"` };
  return { precision, db, stream: route.stream, acceptPartial };
}

/** The first errors quoted, then how many more there were (`total` counts every bad line). */
function describeErrors(errors: LineError[], total: number): string {
  const quoted = errors.slice(0, MAX_QUOTED_ERRORS).map(describeLineErrorAt);
  const more = total - quoted.length;
  return quoted.join('\n') + (more > 0 ? `\n… and ${more} more invalid line${more === 1 ? '' : 's'}` : '');
}
