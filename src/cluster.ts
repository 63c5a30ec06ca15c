// KINFLUX_WORKERS > 1: one process per core with node:cluster. Each worker is a whole kinflux (HTTP, parse,
// delivery engine, batching per stream) sharing the listen port; the primary only supervises, owns the embedded
// emulator, and aggregates the workers' metrics so /metrics still shows the whole gateway.
//
// What a scraper and an orchestrator can rely on:
// - counters never go backwards: the primary keeps each worker's last metrics, and when a worker dies its
//   last counters and histograms stay in the sum (its gauges go);
// - a scrape never hangs: each worker gets WORKER_SCRAPE_TIMEOUT_MS to answer; a late one is counted by its
//   last counters;
// - a worker that dies is started again with a backoff (1 s doubling to 30 s while workers die young), and
//   repeated early deaths show in /health;
// - a worker started again after the first start tolerates what a running single process tolerates (an
//   absent stream, Kinesis unreachable): it starts with that stream failed instead of exiting 1.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Settings } from './config/types.js';
import { EMULATOR_CREDENTIALS, type KinesisLocal } from './emulator/kinesis-local.js';
import { startEmbeddedKinesis } from './emulator/embedded.js';
import { createRouter } from './route/router.js';

const METRICS_REQ = 'kinflux:metrics-req';
const METRICS_RES = 'kinflux:metrics-res';
const SNAPSHOT_REQ = 'kinflux:snapshot-req';
const SNAPSHOT_RES = 'kinflux:snapshot-res';
const SUPERVISION = 'kinflux:supervision';

/** How long a scrape waits for each worker's metrics; a late worker is counted by its last snapshot. */
export const WORKER_SCRAPE_TIMEOUT_MS = 1000;
/** A worker that dies before listening, or sooner than this after starting, died young. */
const YOUNG_MS = 10_000;
const FORK_BACKOFF_BASE_MS = 1000;
export const FORK_BACKOFF_MAX_MS = 30_000;
/** This many young deaths in a row fail the workers check of /health. */
const FAILING_AFTER = 2;

/** One worker's metrics, as registry.getMetricsAsJSON() gives them. */
type Snapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type MetricJson = Snapshot[number];

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
  metrics?: Snapshot;
}

/** What the primary tells every worker about the supervision, for /health. */
export interface SupervisionState {
  type: typeof SUPERVISION;
  configured: number;
  running: number;
  /** Workers that died young in a row. */
  youngDeaths: number;
  /** Why the last worker died, when one did. */
  lastExit?: string;
  /** When a worker will be started again, if one is waiting. */
  nextForkInMs?: number;
}

export function workerCount(settings: Settings): number {
  return settings.workers === 0 ? availableParallelism() : settings.workers;
}

/** The pause before starting a worker again: exponential in the young deaths in a row, capped. */
export function forkDelay(youngDeaths: number): number {
  return Math.min(FORK_BACKOFF_MAX_MS, FORK_BACKOFF_BASE_MS * 2 ** Math.max(0, youngDeaths - 1));
}

/** True in a worker started after the first start: it must tolerate what a running gateway tolerates. */
export function isReplacementWorker(settings: Settings): boolean {
  return cluster.isWorker && (cluster.worker?.id ?? 0) > workerCount(settings);
}

/** Counters and histograms only: what stays meaningful in a sum after the worker that counted them is gone. */
function cumulative(snap: Snapshot): Snapshot {
  return snap.filter((m) => String(m.type) === 'counter' || String(m.type) === 'histogram');
}

/** The sum of cumulative snapshots, by metric name and series (labels and, for histograms, the sample name). */
function addInto(into: Map<string, MetricJson>, snap: Snapshot): void {
  for (const m of snap) {
    const prev = into.get(m.name);
    const values = new Map<string, MetricJson['values'][number]>();
    const key = (v: MetricJson['values'][number]): string => `${(v as { metricName?: string }).metricName ?? ''}|${JSON.stringify(Object.entries(v.labels).sort())}`;
    for (const v of prev?.values ?? []) values.set(key(v), { ...v });
    for (const v of m.values) {
      const k = key(v);
      const have = values.get(k);
      if (have) have.value += v.value;
      else values.set(k, { ...v });
    }
    into.set(m.name, { ...m, values: [...values.values()] });
  }
}

/** The primary's side of /metrics: every worker's metrics summed, plus the totals of workers that died. */
class ClusterMetrics {
  /**
   * The newest snapshot of each worker not retired yet, with the number of the request that fetched it: answers
   * to overlapping scrapes can arrive out of order, and an older one must never replace a newer one.
   */
  private readonly last = new Map<number, { seq: number; snap: Snapshot }>();
  private readonly retired = new Map<string, MetricJson>();
  /** Workers whose totals are in `retired`: a late answer from one is not counted again. */
  private readonly retiredIds = new Set<number>();
  private seq = 0;
  readonly registry = new Registry();
  readonly running = new Gauge({ name: 'kinflux_workers_running', help: 'Worker processes running (KINFLUX_WORKERS).', registers: [this.registry] });
  readonly exits = new Counter({
    name: 'kinflux_worker_exits_total',
    help: 'Worker processes that exited unasked, by whether they died young (before listening or within 10 s).',
    labelNames: ['young'] as const,
    registers: [this.registry],
  });

  /** A worker is gone: its last counters and histograms stay in every later sum, once. */
  retire(worker: Worker): void {
    if (this.retiredIds.has(worker.id)) return;
    this.retiredIds.add(worker.id);
    const known = this.last.get(worker.id);
    this.last.delete(worker.id);
    if (known) addInto(this.retired, cumulative(known.snap));
  }

  /**
   * Every worker's newest known snapshot plus the retired totals. A worker that answered this scrape adds its
   * gauges too; one that did not (stalled, dying, or dead with its exit not handled yet) adds its last counters
   * and histograms, so no counter dips while it cannot answer, and none is counted twice once it is retired.
   */
  async text(): Promise<string> {
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const answered = new Set<number>();
    await Promise.all(alive.map(async (w) => (await this.ask(w)) && answered.add(w.id)));
    const parts: Snapshot[] = [];
    for (const [id, { snap }] of this.last) parts.push(answered.has(id) ? snap : cumulative(snap));
    if (this.retired.size > 0) parts.push([...this.retired.values()]);
    parts.push(await this.registry.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  private remember(workerId: number, seq: number, snap: Snapshot): void {
    if (this.retiredIds.has(workerId)) return;
    const known = this.last.get(workerId);
    if (!known || known.seq < seq) this.last.set(workerId, { seq, snap });
  }

  /** Asks one worker for its metrics; true when it answered in time (its snapshot is remembered at once). */
  private ask(w: Worker): Promise<boolean> {
    return new Promise((resolve) => {
      const id = ++this.seq;
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(ok);
      };
      const onMessage = (msg: MetricsMessage): void => {
        if (msg?.type !== SNAPSHOT_RES || msg.id !== id) return;
        if (msg.metrics) this.remember(w.id, id, msg.metrics);
        done(msg.metrics !== undefined);
      };
      const onExit = (): void => done(false);
      const timer = setTimeout(() => done(false), WORKER_SCRAPE_TIMEOUT_MS);
      w.on('message', onMessage);
      w.once('exit', onExit);
      try {
        w.send({ type: SNAPSHOT_REQ, id }, undefined, (err: Error | null) => err && done(false));
      } catch {
        done(false);
      }
    });
  }
}

/** Runs the supervisor; resolves with the process exit code. */
export async function runPrimary(settings: Settings, logger: Logger): Promise<number> {
  const count = workerCount(settings);
  let emulator: KinesisLocal | undefined;
  const env: Record<string, string> = {};
  if (settings.embedded) {
    // One emulator for all workers; they reach it like any custom endpoint.
    const router = createRouter(settings.routes, settings.stream, settings.strictRoutes, [settings.otlp.stream, settings.remoteWrite.stream]);
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

  const metrics = new ClusterMetrics();
  cluster.on('message', (worker: Worker, msg: MetricsMessage) => {
    if (msg?.type !== METRICS_REQ) return;
    metrics.text().then(
      (text) => worker.isConnected() && worker.send({ type: METRICS_RES, id: msg.id, text }),
      (err: Error) => worker.isConnected() && worker.send({ type: METRICS_RES, id: msg.id, error: err.message }),
    );
  });

  let stopping = false;
  let started = false; // every first worker listened once
  let listening = 0;
  let youngDeaths = 0;
  let lastExit: string | undefined;
  let nextForkAt: number | undefined;
  const forkedAt = new Map<number, number>();
  const listened = new Set<number>();
  const running = (): number => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead()).length;
  const broadcast = (): void => {
    metrics.running.set(running());
    const state: SupervisionState = {
      type: SUPERVISION,
      configured: count,
      running: running(),
      youngDeaths,
      ...(lastExit ? { lastExit } : {}),
      ...(nextForkAt ? { nextForkInMs: Math.max(0, nextForkAt - Date.now()) } : {}),
    };
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(state, undefined, () => undefined);
  };
  const fork = (): void => {
    const w = cluster.fork(env);
    forkedAt.set(w.id, Date.now());
  };

  return new Promise<number>((resolve) => {
    const finish = async (code: number): Promise<void> => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      await Promise.all(
        alive.map((w) => new Promise<void>((done) => {
          // A worker stops within its own shutdown deadline; one that hangs past it is killed.
          const kill = setTimeout(() => w.process.kill('SIGKILL'), settings.shutdownTimeoutMs + 2000);
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
    cluster.on('listening', (worker) => {
      listened.add(worker.id);
      if (++listening === count && !started) {
        started = true;
        logger.info({ workers: count }, 'kinflux workers listening');
      }
      broadcast();
    });
    cluster.on('exit', (worker, code, signal) => {
      metrics.retire(worker);
      if (stopping) return;
      if (!started && (code === 1 || code === 2)) {
        // A worker that cannot start at first (absent stream, bad setting) means none can: stop them all.
        logger.fatal({ code }, 'a worker failed to start; stopping');
        void finish(code);
        return;
      }
      const didListen = listened.has(worker.id);
      const young = !didListen || Date.now() - (forkedAt.get(worker.id) ?? 0) < YOUNG_MS;
      forkedAt.delete(worker.id);
      listened.delete(worker.id);
      youngDeaths = young ? youngDeaths + 1 : 0;
      metrics.exits.inc({ young: String(young) });
      lastExit = `${signal ? `signal ${signal}` : `code ${code}`}${young ? (didListen ? ' soon after starting' : ' before listening') : ''}`;
      const delay = forkDelay(youngDeaths);
      nextForkAt = Date.now() + delay;
      logger.error({ pid: worker.process.pid, code, signal, youngDeaths, restartInMs: delay }, 'worker died; starting another after a pause');
      broadcast();
      // The pause, growing while workers die young, keeps a worker that cannot start from looping hot.
      setTimeout(() => {
        nextForkAt = undefined;
        if (!stopping) fork();
      }, delay).unref();
    });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        logger.info({ signal: sig }, 'stopping workers: no new writes, delivering what was taken');
        void finish(0);
      });
    }
    for (let i = 0; i < count; i++) fork();
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
    // The primary answers within WORKER_SCRAPE_TIMEOUT_MS; this only guards against a primary gone.
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('metrics from the primary timed out'));
    }, 5000);
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQ, id });
  });
}

let supervision: SupervisionState | undefined;

/** In a worker: answer the primary's metric requests from this worker's registry, and keep its supervision news. */
export function shareWorkerMetrics(registry: Registry): void {
  process.on('message', (msg: MetricsMessage | SupervisionState) => {
    if (msg?.type === SUPERVISION) {
      supervision = msg as SupervisionState;
      return;
    }
    if (msg?.type !== SNAPSHOT_REQ) return;
    const id = (msg as MetricsMessage).id;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: SNAPSHOT_RES, id, metrics }),
      () => undefined, // the primary's timeout covers a registry that fails
    );
  });
}

/** In a worker: the /health check of the supervision; fails while workers keep dying young. */
export function supervisionChecks(): Array<{ name: string; status: 'pass' | 'fail'; message: string }> {
  if (!supervision) return [];
  const s = supervision;
  const fail = s.youngDeaths >= FAILING_AFTER && s.running < s.configured;
  const retry = s.nextForkInMs !== undefined ? `; next start in ${Math.ceil(s.nextForkInMs / 1000)} s` : '';
  const message =
    s.running >= s.configured
      ? `${s.running} of ${s.configured} workers running`
      : `${s.running} of ${s.configured} workers running; last exit: ${s.lastExit ?? 'unknown'}; ${s.youngDeaths} young deaths in a row${retry}`;
  return [{ name: 'workers', status: fail ? 'fail' : 'pass', message }];
}
