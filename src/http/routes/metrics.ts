// /metrics: Prometheus text exposition of the contract's catalogue plus process metrics.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';

export function metricsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/metrics', { config: { api: 'v1', auth: false, probe: true } }, async (_req, reply) => {
    const text = await deps.metricsText();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
