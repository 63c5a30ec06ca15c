// /openapi.yaml: the API description, served from the file that is its source of truth.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const SPEC_URL = new URL('../../../openapi.yaml', import.meta.url);

export function openapiRoutes(app: FastifyInstance): void {
  let spec: string | undefined;
  app.get('/openapi.yaml', { config: { api: 'v1', auth: false, probe: true } }, (_req, reply) => {
    spec ??= readFileSync(SPEC_URL, 'utf8');
    return reply.type('application/yaml').send(spec);
  });
}
