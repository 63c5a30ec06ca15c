// The HTTP layer alone, with a delivery port that stores nothing: for tests of routes, statuses and
// bodies that never reach Kinesis. Everything that delivers points is tested end to end instead.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { loadSettings } from '../../src/config/settings.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createRouter } from '../../src/route/router.js';
import { createTokenChecker } from '../../src/http/auth.js';
import { buildServer } from '../../src/http/server.js';
import type { DeliveryPort } from '../../src/http/deps.js';

const delivery: DeliveryPort = {
  submit: async () => undefined,
  unencodable: () => [],
  health: () => [{ stream: 'metrics', status: 'pass', message: 'ACTIVE' }],
  isReady: () => true,
};

/** The server for settings given as environment variables; the caller adds hooks, then listens. */
export function buildStubServer(env: Record<string, string>, opts: { delivery?: Partial<DeliveryPort>; logger?: FastifyBaseLogger } = {}): FastifyInstance {
  const settings = loadSettings(env);
  const metrics = createMetrics({ processMetrics: false });
  return buildServer(
    {
      settings,
      metrics,
      metricsText: () => metrics.registry.metrics(),
      delivery: { ...delivery, ...opts.delivery },
      router: createRouter(settings.routes, settings.stream, settings.strictRoutes),
      tokens: createTokenChecker(settings.http.authTokens),
      shuttingDown: () => false,
    },
    opts.logger ? { logger: opts.logger } : {},
  );
}
