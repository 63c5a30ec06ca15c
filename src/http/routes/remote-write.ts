// POST /api/v1/write (Prometheus' path) and /api/v1/prom/write (InfluxDB 1.x's): Prometheus remote_write 1.0
// and 2.0, chosen by Content-Type → snappy → protobuf → points (Telegraf's mapping) → delivery → 204.
// The same promise as the line-protocol writes: a 204 means every sample is in Kinesis; 5xx and 429 make
// senders retry the whole request, which is safe (delivery is at least once anyway). 2.0 answers carry the
// three written-count headers on every outcome.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DeliveryError, WriteTooLargeError } from '../../deliver/engine.js';
import { submitPoints } from '../submit-points.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../deps.js';
import { nowNs } from '../clock.js';
import { selectPoints } from '../select-points.js';
import { RateLimitedWarning } from '../../log/rate-limited-warning.js';
import { BodyBudget, holdClaim, installBodyBudget, reserveFor } from '../body-budget.js';
import { SnappyError, snappyDeclaredLength } from '../../decode/snappy.js';
import { MAX_ERRORS, RemoteWriteError } from '../../parse/remote-write/remote-write.js';
import { RemoteWriteDecoder, type DecodedRequest } from '../../parse/remote-write/off-thread.js';

export { LINE_BYTES_PER_PROTOBUF_BYTE } from '../../parse/remote-write/request.js';

export const PATHS = ['/api/v1/write', '/api/v1/prom/write'] as const;
const V2_PROTO = 'io.prometheus.write.v2.Request';
const V1_PROTO = 'prometheus.WriteRequest';
const H_SAMPLES = 'x-prometheus-remote-write-samples-written';
const H_HISTOGRAMS = 'x-prometheus-remote-write-histograms-written';
const H_EXEMPLARS = 'x-prometheus-remote-write-exemplars-written';

/** The schema the Content-Type names: 1 or 2, or undefined (415). */
export function remoteWriteVersion(contentType: string | undefined): 1 | 2 | undefined {
  if (contentType === undefined || contentType.trim() === '') return 1;
  const parts = contentType.split(';').map((p) => p.trim());
  if (parts[0].toLowerCase() !== 'application/x-protobuf') return undefined;
  const proto = parts.slice(1).find((p) => p.toLowerCase().startsWith('proto='));
  if (proto === undefined) return 1;
  const name = proto.slice(6).trim().replace(/^"|"$/g, '');
  return name === V2_PROTO ? 2 : name === V1_PROTO ? 1 : undefined;
}

function versionOf(req: FastifyRequest): 1 | 2 | undefined {
  return remoteWriteVersion(req.headers['content-type']);
}

export function remoteWriteRoutes(app: FastifyInstance, deps: HttpDeps, budget: BodyBudget): void {
  const { settings } = deps;
  const unavailable = new RateLimitedWarning(app.log, 'remote_write requests answered 503: samples may or may not be stored, Prometheus sends them again');
  app.addHook('onRequest', async (req, reply) => {
    const version = versionOf(req);
    if (version === 2) reply.header(H_SAMPLES, '0').header(H_HISTOGRAMS, '0').header(H_EXEMPLARS, '0');
    if (version === undefined) {
      return sendError(reply, 'prom', 415, `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: remote_write sends application/x-protobuf (1.0) or application/x-protobuf;proto=${V2_PROTO} (2.0)`);
    }
    const enc = (req.headers['content-encoding'] ?? 'snappy').trim().toLowerCase();
    if (enc !== 'snappy' && enc !== '' && enc !== 'identity') {
      return sendError(reply, 'prom', 415, `unsupported Content-Encoding ${JSON.stringify(enc)}: remote_write bodies are snappy (block format)`);
    }
    if (deps.shuttingDown()) return sendError(reply, 'prom', 503, 'samples not stored: kinflux is shutting down; send them again', { retryAfter: 2 });
    const target = remoteWriteTarget(req, deps);
    if ('refusal' in target) return sendError(reply, 'prom', target.status, target.refusal);
    const refusal = deps.delivery.saturated?.(target.stream, 0);
    if (refusal instanceof WriteTooLargeError) return sendError(reply, 'prom', 413, refusal.message);
    if (refusal) {
      unavailable.note({ stream: target.stream, reason: 'overloaded' });
      return sendError(reply, 'prom', 503, `samples not stored: ${refusal.message}`, { retryAfter: refusal instanceof DeliveryError ? refusal.retryAfterSeconds : 1 });
    }
  });
  // Decodes large requests on the remote_write thread, others inline; each keeps the series keys Prometheus sends in every batch (bounded).
  const decoder = new RemoteWriteDecoder();
  installBodyBudget(app, budget, settings.http.maxBodyBytes, app.log);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.http.maxBodyBytes }, (_req, body, done) => done(null, body));
  for (const url of PATHS) {
    app.post(url, { config: { api: 'prom', auth: true } }, (req, reply) => handleRemoteWrite(req, reply, deps, unavailable, budget, decoder));
  }
}

/** The stream: `?db=` routes as a v1 database does; without it, KINFLUX_REMOTE_WRITE_STREAM. */
function remoteWriteTarget(req: FastifyRequest, deps: HttpDeps): { stream: string; db?: string } | { status: 404; refusal: string } {
  const db = (req.query as Record<string, string | undefined>).db;
  if (!db) return { stream: deps.settings.remoteWrite.stream };
  const route = deps.router.resolve(db);
  if ('notFound' in route) return { status: 404, refusal: `database not found: "${db}"` };
  return { stream: route.stream, db };
}

async function handleRemoteWrite(req: FastifyRequest, reply: FastifyReply, deps: HttpDeps, unavailable: RateLimitedWarning, budget: BodyBudget, decoder: RemoteWriteDecoder): Promise<FastifyReply> {
  const { metrics, delivery, settings, router } = deps;
  const receivedAtNs = nowNs();
  const version = versionOf(req) as 1 | 2;
  const target = remoteWriteTarget(req, deps);
  if ('refusal' in target) return sendError(reply, 'prom', target.status, target.refusal);
  const { stream } = target;
  if (target.db !== undefined) router.noteDatabase(target.db);

  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  // The declared length is checked against the limit, then claimed from the body budget, before allocating.
  const declared = snappyDeclaredLength(raw);
  if (declared > 0 && declared <= settings.http.maxDecodedBytes && !reserveFor(req, reply, budget)(declared)) {
    metrics.pointsRejected.inc({ reason: 'over_budget' });
    return sendError(reply, 'prom', 503, 'samples not stored: kinflux is busy: request bodies being decoded fill its memory budget (KINFLUX_MAX_INFLIGHT_BODY_BYTES); retry shortly', { retryAfter: 1 });
  }
  const maxPoints = settings.http.maxLinesPerRequest || Number.MAX_SAFE_INTEGER;
  let r: DecodedRequest;
  // The claim stays until the decode lets go of the body (it may wait on the remote_write thread), even if the
  // client hangs up meanwhile: else a client that sends and hangs up could queue any number of bodies there.
  const release = holdClaim(req, reply, budget);
  try {
    r = await decoder.decode(raw, { version, metricVersion: settings.remoteWrite.metricVersion, receivedAtNs, maxPoints, maxDecodedBytes: settings.http.maxDecodedBytes });
  } catch (err) {
    if (err instanceof SnappyError) {
      metrics.pointsRejected.inc({ reason: err.status === 413 ? 'too_large' : 'bad_snappy' });
      return sendError(reply, 'prom', err.status, err.message);
    }
    if (!(err instanceof RemoteWriteError)) throw err;
    metrics.pointsRejected.inc({ reason: 'remote_write_invalid' });
    return sendError(reply, 'prom', 400, `invalid remote_write ${version === 2 ? '2.0' : '1.0'} request: ${err.message}`);
  } finally {
    release();
  }
  const { maxOutputBytes } = r;
  if (r.staleMarkers) metrics.remoteWriteDropped.inc({ kind: 'stale_marker' }, r.staleMarkers);
  if (r.nanSamples) metrics.remoteWriteDropped.inc({ kind: 'nan' }, r.nanSamples);
  if (r.exemplars) metrics.remoteWriteDropped.inc({ kind: 'exemplar' }, r.exemplars);
  if (r.metadata) metrics.remoteWriteDropped.inc({ kind: 'metadata' }, r.metadata);
  if (r.tooManyPoints || r.tooLarge) {
    metrics.pointsRejected.inc({ reason: 'too_many_lines' }, r.points.count);
    const what = r.tooManyPoints ? `more than ${maxPoints} points (KINFLUX_MAX_LINES)` : `more than ${maxOutputBytes} bytes of line protocol`;
    return sendError(reply, 'prom', 413, `the request maps to ${what}: send fewer samples per request (queue_config.max_samples_per_send)`);
  }

  let points = r.points;
  const errors = r.errors.map((e) => `series ${e.series} ${e.labels}: ${e.reason}`);
  let refused = r.refused;
  if (refused) metrics.pointsRejected.inc({ reason: 'remote_write_refused' }, refused);
  const unfit = points.count > 0 ? delivery.unencodable(stream, points) : [];
  if (unfit.length > 0) {
    for (const u of unfit) metrics.pointsRejected.inc({ reason: u.kind });
    refused += unfit.length;
    for (const u of unfit.slice(0, Math.max(0, MAX_ERRORS - errors.length))) {
      errors.push(`${points.data.toString('utf8', points.starts[u.index], Math.min(points.starts[u.index] + 64, points.starts[u.index + 1] - 1))}…: ${u.reason}`);
    }
    points = selectPoints(points, new Set(unfit.map((u) => u.index)));
  }
  // Histogram points are the rest of the batch's points; counted as histograms in the headers, not samples.
  const stored = { samples: r.samples, histograms: r.histograms };
  if (unfit.length > 0) { stored.samples = Math.min(stored.samples, points.count); stored.histograms = Math.max(0, Math.min(stored.histograms, points.count - stored.samples)); }

  if (points.count === 0 && refused > 0) {
    return sendError(reply, 'prom', 400, `no sample could be stored: ${describe(errors, refused)}`);
  }
  const notStored = await submitPoints(deps, unavailable, stream, points, 'samples');
  if (notStored?.status === 413) return sendError(reply, 'prom', 413, `${notStored.message} (lower queue_config.max_samples_per_send)`);
  if (notStored) return sendError(reply, 'prom', 503, notStored.message, { retryAfter: notStored.retryAfter });
  if (version === 2) reply.header(H_SAMPLES, String(stored.samples)).header(H_HISTOGRAMS, String(stored.histograms)).header(H_EXEMPLARS, '0');
  // remote_write: 400 when a sample is invalid; the valid ones are stored (the spec allows it), and senders do not retry.
  if (refused > 0) return sendError(reply, 'prom', 400, `partial write: ${describe(errors, refused)}`);
  return reply.code(204).send();
}

function describe(errors: string[], total: number): string {
  const more = total - errors.length;
  return `${total} sample${total === 1 ? '' : 's'} or series refused: ${errors.join('; ')}${more > 0 ? `; … and ${more} more` : ''}`;
}
