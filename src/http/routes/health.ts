// /health fails when any stream is absent or unwritable, so monitoring sees it. /ready fails only when no stream
// can take writes (or while shutting down): one absent stream fails its own routes, not the pod's other streams.
// The reasons a check fails can carry AWS error text (account id, role name): they go to the log always, and
// into these bodies only for a caller with a valid token, or, with auth off, a caller on this host.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INFLUX_VERSION, type HttpDeps } from '../deps.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const detailsFor = (req: FastifyRequest): boolean =>
    deps.settings.http.authTokens.length > 0 ? deps.tokens.check(req, 'v1') : LOOPBACK.test(req.socket.remoteAddress ?? '');

  app.get('/health', { config: { api: 'v1', auth: false, probe: true } }, (req, reply) => {
    const all = [
      ...deps.delivery.health().map((c) => ({ name: c.stream, status: c.status, message: c.message })),
      ...(deps.extraChecks?.() ?? []),
    ];
    const detailed = detailsFor(req);
    const checks = detailed ? all : all.map((c) => ({ name: c.name, status: c.status }));
    const failing = all.filter((c) => c.status === 'fail');
    const pass = failing.length === 0;
    const why = failing.map((c) => (detailed ? `${c.name}: ${c.message}` : c.name)).join('; ');
    return reply.code(pass ? 200 : 503).send({
      name: 'kinflux',
      message: pass ? 'ready for writes' : `stream check failed: ${why}${detailed ? '' : " (the reasons are in kinflux's log)"}`,
      status: pass ? 'pass' : 'fail',
      checks,
      version: INFLUX_VERSION,
    });
  });

  app.get('/ready', { config: { api: 'v1', auth: false, probe: true } }, (req, reply) => {
    if (deps.shuttingDown()) return reply.code(503).send({ status: 'shutting down' });
    if (!deps.delivery.isReady()) {
      const detailed = detailsFor(req);
      const failing = deps.delivery.health().filter((c) => c.status === 'fail');
      return reply.code(503).send({ status: 'not ready', checks: failing.map((c) => (detailed ? { name: c.stream, message: c.message } : { name: c.stream })) });
    }
    const absent = deps.delivery.health().filter((c) => c.status === 'fail');
    return reply.code(200).send(absent.length ? { status: 'ready', unavailable: absent.map((c) => c.stream) } : { status: 'ready' });
  });
}
