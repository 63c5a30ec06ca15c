// POST /v1/metrics: OTLP/HTTP metrics (protobuf or JSON, by Content-Type) → otel2influx points → delivery.
// Same promise as the line-protocol writes: a 200 means every accepted point is in Kinesis; otherwise a 503
// with Retry-After (OTLP clients retry it). Refused data points are named in partial_success.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyError, decodeBody } from '../../decode/body.js';
import { DeliveryError } from '../../deliver/engine.js';
import { submitPoints } from '../submit-points.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../deps.js';
import { selectPoints } from '../select-points.js';
import { RateLimitedWarning } from '../../log/rate-limited-warning.js';
import { BodyBudget, holdClaim, installBodyBudget, reserveFor } from '../body-budget.js';
import { convertRequest } from '../../parse/otlp/convert.js';
import { MAX_QUOTED } from '../../parse/otlp/map.js';
import { CONTENT_TYPES, encodingOf, exportResponse, type OtlpEncoding } from '../otlp-response.js';

export function otlpRoutes(app: FastifyInstance, deps: HttpDeps, budget: BodyBudget): void {
  const { settings } = deps;
  const unavailable = new RateLimitedWarning(app.log, 'OTLP exports answered 503: points may or may not be stored, clients send them again');
  app.addHook('onRequest', async (req, reply) => {
    if (encodingOf(req.headers['content-type']) === undefined) {
      return sendError(reply, 'otlp', 415, `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: OTLP/HTTP sends application/x-protobuf or application/json`);
    }
    if (deps.shuttingDown()) return sendError(reply, 'otlp', 503, 'points not stored: kinflux is shutting down; send them again', { retryAfter: 2 });
    // The stream is backlogged past admission: refused before the body is read (a flood of refused exports costs little).
    const refusal = deps.delivery.saturated?.(settings.otlp.stream, 0);
    if (refusal) {
      unavailable.note({ stream: settings.otlp.stream, reason: 'overloaded' });
      return sendError(reply, 'otlp', 503, `points not stored: ${refusal.message}`, { retryAfter: refusal instanceof DeliveryError ? refusal.retryAfterSeconds : 1 });
    }
  });
  installBodyBudget(app, budget, settings.http.maxBodyBytes, app.log);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.http.maxBodyBytes }, (_req, body, done) => done(null, body));
  app.post('/v1/metrics', { config: { api: 'otlp', auth: true } }, (req, reply) => handleExport(req, reply, deps, unavailable, budget));
}

async function handleExport(req: FastifyRequest, reply: FastifyReply, deps: HttpDeps, unavailable: RateLimitedWarning, budget: BodyBudget): Promise<FastifyReply> {
  const { metrics, delivery, settings } = deps;
  const enc = encodingOf(req.headers['content-type']) as OtlpEncoding;
  const stream = settings.otlp.stream;

  let body: Buffer;
  // The claim stays until the inflate lets go of the body, even if the client hangs up meanwhile.
  const release = holdClaim(req, reply, budget);
  try {
    body = await decodeBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers['content-encoding'], settings.http.maxDecodedBytes, reserveFor(req, reply, budget));
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    metrics.pointsRejected.inc({ reason: err.reason });
    return sendError(reply, 'otlp', err.status, err.status === 503 ? `points not stored: ${err.message}` : err.message, err.status === 503 ? { retryAfter: 1 } : {});
  } finally {
    release();
  }

  const converted = convertRequest(body, enc, settings.otlp.schema, { maxPoints: settings.http.maxLinesPerRequest, maxBytes: settings.http.maxDecodedBytes });
  if (!converted.ok) {
    metrics.pointsRejected.inc({ reason: converted.reason }, Math.max(1, converted.points));
    return sendError(reply, 'otlp', converted.status, converted.message);
  }
  const { mapped } = converted;
  let points = converted.points;
  let rejected = mapped.rejected;
  const errors = [...mapped.errors];
  if (mapped.rejected) metrics.pointsRejected.inc({ reason: 'otlp_unmappable' }, mapped.rejected);
  if (mapped.skipped) metrics.pointsRejected.inc({ reason: 'otlp_no_value' }, mapped.skipped);

  // A point no record can carry is refused like an unmappable one, never dropped in silence.
  const unfit = points.count > 0 ? delivery.unencodable(stream, points) : [];
  if (unfit.length > 0) {
    for (const u of unfit) metrics.pointsRejected.inc({ reason: u.kind });
    rejected += unfit.length;
    for (const u of unfit.slice(0, Math.max(0, MAX_QUOTED - errors.length))) errors.push(`a point of ${points.data.toString('utf8', points.starts[u.index], Math.min(points.starts[u.index] + 40, points.starts[u.index + 1] - 1))}…: ${u.reason}`);
    points = selectPoints(points, new Set(unfit.map((u) => u.index)));
  }

  if (points.count === 0 && rejected > 0) {
    return sendError(reply, 'otlp', 400, `no data point could be stored: ${describe(errors, rejected)}`);
  }

  const refused = await submitPoints(deps, unavailable, stream, points);
  if (refused?.status === 413) return sendError(reply, 'otlp', 413, refused.message);
  if (refused) return sendError(reply, 'otlp', 503, refused.message, { retryAfter: refused.retryAfter });

  reply.code(200).type(CONTENT_TYPES[enc]);
  return reply.send(exportResponse(enc, rejected > 0 ? { rejected, message: describe(errors, rejected) } : undefined));
}

/** The first refusals, then how many more. */
function describe(errors: string[], total: number): string {
  const more = total - errors.length;
  return `${total} data point${total === 1 ? '' : 's'} refused: ${errors.join('; ')}${more > 0 ? `; … and ${more} more` : ''}`;
}
