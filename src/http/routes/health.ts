// /health and /ready: fail when any stream is absent or unwritable, so orchestrators see it.
import type { FastifyInstance } from 'fastify';
import { INFLUX_VERSION, type HttpDeps } from '../deps.js';

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/health', { config: { api: 'v1', auth: false, probe: true } }, (_req, reply) => {
    const checks = [
      ...deps.delivery.health().map((c) => ({ name: c.stream, status: c.status, message: c.message })),
      ...(deps.extraChecks?.() ?? []),
    ];
    const failing = checks.filter((c) => c.status === 'fail');
    const pass = failing.length === 0;
    return reply.code(pass ? 200 : 503).send({
      name: 'kinflux',
      message: pass ? 'ready for writes' : `stream check failed: ${failing.map((c) => `${c.name}: ${c.message}`).join('; ')}`,
      status: pass ? 'pass' : 'fail',
      checks,
      version: INFLUX_VERSION,
    });
  });

  app.get('/ready', { config: { api: 'v1', auth: false, probe: true } }, (_req, reply) => {
    if (deps.shuttingDown()) return reply.code(503).send({ status: 'shutting down' });
    if (!deps.delivery.isReady()) {
      const failing = deps.delivery.health().filter((c) => c.status === 'fail');
      return reply.code(503).send({ status: 'not ready', checks: failing.map((c) => ({ name: c.stream, message: c.message })) });
    }
    return reply.code(200).send({ status: 'ready' });
  });
}
