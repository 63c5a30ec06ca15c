// Composition root: settings → (embedded emulator) → delivery engine → HTTP server, and the ordered shutdown.
import type { Logger } from 'pino';
import { createLogger } from './log/create-logger.js';
import type { FastifyInstance } from 'fastify';
import type { Settings } from './config/types.js';
import { createMetrics, exportKnownSeriesAtZero, type Metrics } from './metrics/registry.js';
import { createRouter } from './route/router.js';
import { createTokenChecker } from './http/auth.js';
import { buildServer } from './http/server.js';
import { DeliveryEngine } from './deliver/engine.js';
import { createKinesisClient } from './deliver/kinesis/client.js';
import { EMULATOR_CREDENTIALS, type KinesisLocal } from './emulator/kinesis-local.js';
import { startEmbeddedKinesis } from './emulator/embedded.js';
import cluster from 'node:cluster';
import { clusterMetricsText, isReplacementWorker, shareWorkerMetrics, supervisionChecks } from './cluster.js';
import { answerOpenRequests } from './http/open-requests.js';

export interface App {
  readonly server: FastifyInstance;
  readonly engine: DeliveryEngine;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The address the server listens on, such as http://127.0.0.1:8086. */
  readonly url: string;
  readonly emulator: KinesisLocal | undefined;
  /** Stops accepting, delivers what was taken, stops the emulator. */
  shutdown(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}



export interface StartOptions {
  /** An embedded emulator already starting (the CLI spawns it before loading these modules, to start sooner). */
  emulator?: Promise<KinesisLocal>;
}

export async function startApp(settings: Settings, logger: Logger = createLogger(settings), opts: StartOptions = {}): Promise<App> {
  const metrics = createMetrics();
  if (cluster.isWorker) shareWorkerMetrics(metrics.registry);
  const metricsText = cluster.isWorker ? clusterMetricsText : () => metrics.registry.metrics();
  const router = createRouter(settings.routes, settings.stream, settings.strictRoutes, [settings.otlp.stream, settings.remoteWrite.stream]);
  exportKnownSeriesAtZero(metrics, router.streams);

  let emulator: KinesisLocal | undefined;
  let engine: DeliveryEngine | undefined;
  let server: FastifyInstance | undefined;
  let url: string;
  let shuttingDown = false;
  try {
    if (settings.embedded) {
      emulator = await (opts.emulator ?? startEmbeddedKinesis(settings, router));
      logger.info({ endpoint: emulator.endpoint, streams: router.streams }, 'embedded kinesis-local started (no AWS_REGION or KINFLUX_KINESIS_ENDPOINT set)');
    }
    const kinesis = emulator ? { region: 'us-east-1', endpoint: emulator.endpoint, roleArn: undefined } : settings.kinesis;
    const client = createKinesisClient(kinesis, settings.embedded ? { staticCredentials: EMULATOR_CREDENTIALS } : {});
    engine = new DeliveryEngine({ settings: settings.delivery, kinesis, streams: [...router.streams], metrics, logger, client });
    // A worker started again after a death tolerates an absent stream, as the running gateway it replaces did.
    await engine.start({ tolerateAbsent: isReplacementWorker(settings) });
    server = buildServer(
      { settings, metrics, metricsText, delivery: engine, router, tokens: createTokenChecker(settings.http.authTokens), shuttingDown: () => shuttingDown, extraChecks: cluster.isWorker ? supervisionChecks : undefined },
      { logger },
    );
    url = await server.listen({ host: settings.http.host, port: settings.http.port });
  } catch (err) {
    // A failed start leaves nothing behind: the emulator is stopped (its port free) before the error is reported.
    await server?.close().catch(() => undefined);
    await engine?.shutdown(0).catch(() => undefined);
    await (emulator ?? (await opts.emulator?.catch(() => undefined)))?.stop();
    throw err;
  }
  const started = engine;
  logger.info({ url, streams: router.streams }, 'kinflux listening');
  if (emulator) {
    // The port really used: `kinflux read` finds the emulator through the same setting.
    const env = `KINFLUX_EMBEDDED_PORT=${emulator.port}`;
    logger.info(`read records back with: ${env} npm run read -- ${settings.stream}   (or: ${env} npx kinflux read ${settings.stream})`);
  }

  let stopping: Promise<void> | undefined;
  const listening = server;
  return {
    server: listening,
    engine: started,
    metrics,
    logger,
    url,
    emulator,
    shutdown() {
      stopping ??= (async () => {
        shuttingDown = true;
        // The budget ends with a reserve for answering and closing what is still open, so the process
        // stops within KINFLUX_SHUTDOWN_TIMEOUT_MS whatever a client does.
        const budget = settings.shutdownTimeoutMs;
        const reserve = Math.min(1000, Math.floor(budget / 5));
        const answerAt = budget - reserve;
        // The server stops accepting and waits for in-flight requests while the engine flushes at once
        // instead of lingering: each in-flight write ends with a 204 once delivered, or a 503 at answerAt.
        const closed = listening.close();
        const drained = started.shutdown(answerAt);
        const inTime = await Promise.race([Promise.all([closed, drained]).then(() => true), sleep(answerAt).then(() => false)]);
        if (!inTime) {
          await drained;
          // Let the writes the engine just failed send their own 503s first.
          await sleep(20);
          const answered = answerOpenRequests(listening, 'kinflux is shutting down: the request did not finish before the shutdown deadline');
          logger.warn({ timeoutMs: budget, answered }, 'shutdown deadline: undelivered writes and unfinished requests were answered 503');
          if (!(await Promise.race([closed.then(() => true), sleep(reserve / 2).then(() => false)]))) {
            // What is left cannot be answered (an answer already under way to a client that does not read): close it.
            listening.server.closeAllConnections();
            await Promise.race([closed, sleep(reserve / 4)]);
          }
        }
        await emulator?.stop();
        logger.info('kinflux stopped');
      })();
      return stopping;
    },
  };
}
