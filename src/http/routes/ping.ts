// /ping: what every InfluxDB client calls first to find the server and its version.
import type { FastifyInstance } from 'fastify';
import { INFLUX_VERSION } from '../deps.js';

export function pingRoutes(app: FastifyInstance): void {
  // Fastify answers HEAD from the GET route (exposeHeadRoutes).
  app.route({
    method: 'GET',
    url: '/ping',
    config: { api: 'v1', auth: false, probe: true },
    handler: (req, reply) => {
      const verbose = (req.query as Record<string, string | undefined>).verbose;
      // InfluxDB treats any value but "", "0" and "false" as verbose.
      if (verbose !== undefined && verbose !== '' && verbose !== '0' && verbose !== 'false') {
        return reply.code(200).type('application/json').send({ version: INFLUX_VERSION });
      }
      return reply.code(204).send();
    },
  });
}
