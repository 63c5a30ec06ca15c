// KINFLUX_WORKERS > 1: one process per core with node:cluster. Each worker is a whole kinflux (HTTP, parse,
// delivery engine, batching per stream) sharing the listen port; the primary only supervises, owns the embedded
// emulator, and aggregates the workers' metrics so /metrics still shows the whole gateway.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Settings } from './config/types.js';
import { EMULATOR_CREDENTIALS, type KinesisLocal } from './emulator/kinesis-local.js';
import { startEmbeddedKinesis } from './emulator/embedded.js';
import { createRouter } from './route/router.js';

const METRICS_REQ = 'kinflux:metrics-req';
const METRICS_RES = 'kinflux:metrics-res';

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

export function workerCount(settings: Settings): number {
  return settings.workers === 0 ? availableParallelism() : settings.workers;
}

/** Runs the supervisor; resolves with the process exit code. */
export async function runPrimary(settings: Settings, logger: Logger): Promise<number> {
  const count = workerCount(settings);
  let emulator: KinesisLocal | undefined;
  const env: Record<string, string> = {};
  if (settings.embedded) {
    // One emulator for all workers; they reach it like any custom endpoint.
    const router = createRouter(settings.routes, settings.stream, settings.strictRoutes);
    emulator = await startEmbeddedKinesis(settings, router);
    Object.assign(env, {
      KINFLUX_KINESIS_ENDPOINT: emulator.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      KINFLUX_STREAM: settings.stream,
    });
    logger.info({ endpoint: emulator.endpoint, streams: router.streams }, 'embedded kinesis-local started for the workers');
  }

  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, msg: MetricsMessage) => {
    if (msg?.type !== METRICS_REQ) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_RES, id: msg.id, text }),
      (err: Error) => worker.send({ type: METRICS_RES, id: msg.id, error: err.message }),
    );
  });

  let stopping = false;
  let listening = 0;
  return new Promise<number>((resolve) => {
    const finish = async (code: number): Promise<void> => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      await Promise.all(
        alive.map((w) => new Promise<void>((done) => {
          // A worker drains within its own shutdown deadline; one that hangs past it is killed.
          const kill = setTimeout(() => w.process.kill('SIGKILL'), settings.shutdownTimeoutMs + 5000);
          w.once('exit', () => {
            clearTimeout(kill);
            done();
          });
          w.process.kill('SIGTERM');
        })),
      );
      await emulator?.stop();
      resolve(code);
    };
    cluster.on('listening', () => {
      if (++listening === count) logger.info({ workers: count }, 'kinflux workers listening');
    });
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      if (listening < count && (code === 1 || code === 2)) {
        // A worker that cannot start (absent stream, bad setting) means none can: stop them all.
        logger.fatal({ code }, 'a worker failed to start; stopping');
        void finish(code);
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another in 1 s');
      // The pause keeps a worker that crashes at once from looping hot.
      setTimeout(() => stopping || cluster.fork(env), 1000);
    });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        logger.info({ signal: sig }, 'stopping workers: no new writes, delivering what was taken');
        void finish(0);
      });
    }
    for (let i = 0; i < count; i++) cluster.fork(env);
  });
}

/** In a worker: the whole gateway's metrics, gathered by the primary from every worker. */
export function clusterMetricsText(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = Math.floor(Math.random() * 2 ** 31);
    const onMessage = (msg: MetricsMessage): void => {
      if (msg?.type !== METRICS_RES || msg.id !== id) return;
      process.off('message', onMessage);
      clearTimeout(timer);
      if (msg.error !== undefined || msg.text === undefined) reject(new Error(msg.error ?? 'no metrics'));
      else resolve(msg.text);
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('metrics from the primary timed out'));
    }, 5000);
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQ, id });
  });
}

/** In a worker: answer the primary's metric requests from this worker's registry. */
export function shareWorkerMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries(registry);
  new AggregatorRegistry(); // its constructor installs the worker's listener
}
