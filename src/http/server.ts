// The HTTP source: a Fastify server with InfluxDB's headers, auth, error bodies and request metrics.
// Each group of routes is an encapsulated plugin, so the write routes' raw-body parser stays theirs.
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpSettings } from '../config/types.js';
import { sendError, type Api } from './errors.js';
import { INFLUX_VERSION, type HttpDeps } from './deps.js';
import { writeRoutes } from './routes/write.js';
import { pingRoutes } from './routes/ping.js';
import { queryRoutes } from './routes/query.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { openapiRoutes } from './routes/openapi.js';
import { otlpRoutes } from './routes/otlp.js';
import { remoteWriteRoutes } from './routes/remote-write.js';
import { parseQueryString, queryProblem } from './query-params.js';
import { clientErrorHandler } from './client-error.js';
import { RateLimitedWarning } from '../log/rate-limited-warning.js';
import { trackOpenRequests } from './open-requests.js';
import { BODY_IDLE_MS, BodyBudget, BodyBudgetError, expectsContinue, sendBodyTooLarge } from './body-budget.js';
import { collectGarbage } from '../reclaim.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which InfluxDB dialect the route's errors use. */
    api?: Api;
    /** Needs a token when KINFLUX_AUTH_TOKENS is set. */
    auth?: boolean;
    /** A probe (/ping, /health, /ready, /metrics): open unless KINFLUX_AUTH_PROBES. */
    probe?: boolean;
  }
}

export interface ServerOptions {
  /** The app's pino logger; none when absent (tests). */
  logger?: FastifyBaseLogger;
}

export function buildServer(deps: HttpDeps, opts: ServerOptions = {}): FastifyInstance {
  const http = deps.settings.http;
  const common = {
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false as const }),
    // One debug line per request, below, without query strings (they may hold a token).
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    bodyLimit: http.maxBodyBytes,
    // Writes during shutdown get kinflux's own 503 (write.ts), with Retry-After and the dialect's body.
    return503OnClosing: false,
    // One string per parameter; repeats, arrays and bad encodings are refused below with 400.
    routerOptions: {
      querystringParser: parseQueryString,
      // A path that does not percent-decode to UTF-8: InfluxDB's error shape, not Fastify's.
      onBadUrl: (_path: string, _req: IncomingMessage, res: ServerResponse) => {
        const message = 'malformed URL: the path is not valid percent-encoded UTF-8';
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'x-influxdb-error': message, 'x-influxdb-version': INFLUX_VERSION });
        res.end(JSON.stringify({ error: message }));
      },
    },
    // Malformed HTTP: answered without Fastify's default log entry, which carries the raw bytes (tokens, bodies).
    clientErrorHandler: clientErrorHandler(opts.logger, http.requestTimeoutMs),
  };
  const transport = { maxHeaderSize: http.maxHeaderBytes, ...connectionTimeouts(http.requestTimeoutMs) };
  const tls = tlsOptions(http);
  // Routes and hooks do not depend on the server's transport, so the HTTPS instance is typed as the HTTP one.
  const app: FastifyInstance = tls
    ? (Fastify({ ...common, https: { ...tls, ...transport, handshakeTimeout: transport.headersTimeout } }) as unknown as FastifyInstance)
    : Fastify({ ...common, http: transport });

  // `Expect: 100-continue`: Node would send 100 as soon as the head arrives, before auth, the body budget or
  // the size checks, and the client would then send a body only to be refused. Instead the request goes
  // through its onRequest hooks first; refused there, the client gets the refusal (and Node closes the
  // connection, since the body never came); accepted, the 100 goes out just before the body is read.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => app.server.emit('request', req, res));
  app.addHook('preParsing', async (req, reply, payload) => {
    if (expectsContinue(req)) reply.raw.writeContinue();
    return payload;
  });

  trackOpenRequests(app);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-influxdb-version', INFLUX_VERSION).header('x-influxdb-build', 'kinflux');
    const cfg = req.routeOptions.config;
    const badQuery = queryProblem(req.query);
    if (badQuery !== undefined) return sendError(reply, cfg.api ?? (req.url.startsWith('/api/v2/') ? 'v2' : 'v1'), 400, badQuery);
    const needsToken = cfg.auth === true || (cfg.probe === true && http.authProbes);
    if (needsToken && !deps.tokens.check(req, cfg.api ?? 'v1')) {
      return sendError(reply, cfg.api ?? 'v1', 401, 'authorization failed: a valid token is required');
    }
  });

  // Node's requestTimeout does not cover a body that stalls after the headers, so each request gets its own
  // deadline for arriving whole; a slow client cannot hold a connection and a partial body for long.
  const bodyDeadlines = new WeakMap<object, NodeJS.Timeout>();
  app.addHook('onRequest', async (req) => {
    const timer = setTimeout(() => req.raw.socket.destroy(), http.requestTimeoutMs);
    timer.unref();
    bodyDeadlines.set(req, timer);
  });
  const clearDeadline = async (req: object): Promise<void> => clearTimeout(bodyDeadlines.get(req));
  app.addHook('preHandler', clearDeadline);
  app.addHook('onRequestAbort', clearDeadline);

  app.addHook('onResponse', async (req, reply) => {
    clearTimeout(bodyDeadlines.get(req));
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ route, code: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
    req.log.debug({ method: req.method, route, code: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setNotFoundHandler((req, reply) => {
    const api: Api = req.url.startsWith('/api/v2/') ? 'v2' : 'v1';
    return sendError(reply, api, 404, `not found: ${req.method} ${req.url.split('?')[0]}`);
  });

  // A 5xx is kinflux's fault and worth a log entry, but never one per request: a client retrying for ever
  // must not flood the log.
  const failures = new RateLimitedWarning(app.log, 'requests failed with 500 (internal error)', 10_000, 'error');
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const api = req.routeOptions.config?.api ?? 'v1';
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // The route's own limit (1 MiB on /query), else KINFLUX_MAX_BODY_BYTES.
      const limit = req.routeOptions.bodyLimit ?? http.maxBodyBytes;
      // Closing on a client still sending makes the kernel reset the connection, and the client may never
      // read the 413 (Telegraf would then retry the batch forever). So the rest of the body is read and
      // discarded first, up to a bound, as Go's servers do.
      await discardBody(req.raw, 4 * limit, http.requestTimeoutMs);
      return sendBodyTooLarge(reply, api, limit);
    }
    if (err instanceof BodyBudgetError) {
      reply.header('connection', 'close');
      return sendError(reply, api, 503, err.message, { retryAfter: err.retryAfterSeconds });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) return sendError(reply, api, status, err.message);
    failures.note({ route: req.routeOptions.url ?? 'unmatched', err: { type: err.name, code: err.code, message: err.message, stack: err.stack } });
    return sendError(reply, api, 500, 'internal error: the request could not be processed');
  });

  // One budget for the bodies of every request in this process (README "Memory budget"): writes and /query forms.
  // One connection holds at most one request's worst (its body plus what it inflates to); a body idle for
  // BODY_IDLE_MS (at most the request timeout) is cut off.
  const budget = new BodyBudget(http.maxInflightBodyBytes, collectGarbage, http.maxBodyBytes + http.maxDecodedBytes, Math.min(BODY_IDLE_MS, http.requestTimeoutMs));
  app.register(async (scope) => writeRoutes(scope, deps, budget));
  app.register(async (scope) => queryRoutes(scope, deps, budget));
  if (deps.settings.inputs.has('otlp')) app.register(async (scope) => otlpRoutes(scope, deps, budget));
  if (deps.settings.inputs.has('remote_write')) app.register(async (scope) => remoteWriteRoutes(scope, deps, budget));
  app.register(async (scope) => {
    pingRoutes(scope);
    healthRoutes(scope, deps);
    metricsRoutes(scope, deps);
    openapiRoutes(scope);
  });
  // A cap on open connections: past it Node closes new ones at once, so idle keep-alive connections cannot
  // exhaust file descriptors or memory (5,000 were once all held, 65 s each).
  app.server.maxConnections = http.maxConnections;
  const dropped = new RateLimitedWarning(app.log, `connections refused: KINFLUX_MAX_CONNECTIONS (${http.maxConnections}) are open`);
  app.server.on('drop', () => dropped.note({}));
  return app;
}

/** Reads and drops what is left of a request body; gives up (leaving the close to Node) past `maxBytes` or `timeoutMs`. */
function discardBody(body: Readable, maxBytes: number, timeoutMs: number): Promise<void> {
  if (body.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      body.off('data', onData).off('end', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, timeoutMs);
    body.on('data', onData).once('end', done).once('error', done);
    body.resume();
  });
}

/** A connection's head (and, with TLS, its handshake) must arrive within this, or KINFLUX_REQUEST_TIMEOUT_MS if shorter. */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Node's defaults hold a connection that never sends its head for 60 s (headersTimeout, fixed when the server
 * is built, before Fastify sets requestTimeout), checked only every 30 s (connectionsCheckingInterval), and a
 * TLS connection that never says ClientHello for 120 s (handshakeTimeout): 1,024 idle sockets could lock every
 * client out for that long. Each is ~10 s here, never longer than the request timeout, checked every second.
 */
export function connectionTimeouts(requestTimeoutMs: number): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  return { requestTimeout: requestTimeoutMs, headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) };
}

function tlsOptions(http: HttpSettings): https.ServerOptions | null {
  if (!http.tls) return null;
  const ca = http.tls.clientCaFile ? readFileSync(http.tls.clientCaFile) : undefined;
  return {
    cert: readFileSync(http.tls.certFile),
    key: readFileSync(http.tls.keyFile),
    // Node's defaults still accept TLS 1.2 suites without forward secrecy and CBC with SHA-1.
    minVersion: http.tls.minVersion,
    ciphers: http.tls.ciphers,
    honorCipherOrder: true,
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
