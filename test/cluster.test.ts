// KINFLUX_WORKERS: several processes share the port and the batching; /metrics shows them all; SIGTERM stops them all.
// A worker's death never makes counters go backwards or a scrape hang, and a worker that cannot start does not loop.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKinesisLocal } from '../src/emulator/kinesis-local.js';
import { forkDelay } from '../src/cluster.js';
import { deleteStream, emulatorEnv, readLines, startKinflux, testClient, waitFor } from './helpers/kinflux.js';
import { send } from './helpers/http.js';

// One emulator for the file (each start costs seconds of CPU): every test has a stream of its own.
const emulator = await startKinesisLocal({ streams: { metrics: 2, killed: 2, stalled: 2, gone: 1, backoff: 1 } });
t.teardown(() => emulator.stop());

t.test('two workers take writes, aggregate metrics and stop cleanly', async (t) => {
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_WORKERS: '2' }));
  const writes = await Promise.all(
    Array.from({ length: 20 }, (_, r) => send(k.url, '/write?db=telegraf', Array.from({ length: 50 }, (_, i) => `w,req=${r} v=${i}i ${i + 1}`).join('\n'))),
  );
  t.same(writes.map((w) => w.status), Array(20).fill(204));
  t.equal((await readLines(client, 'metrics')).length, 1000, 'every point once');
  const metrics = (await send(k.url, '/metrics')).text;
  t.match(metrics, /^kinflux_points_delivered_total\{stream="metrics"\} 1000$/m, 'delivered counts summed over the workers');
  t.match(metrics, /^kinflux_stream_up\{stream="metrics"\} 1$/m, 'stream up is the minimum over workers, not their sum');
  t.equal(await k.stop('SIGTERM'), 0);
});

t.test('an absent stream makes the primary exit 1', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'absent', { KINFLUX_WORKERS: '2' }), { waitReady: false });
  t.equal(await k.exited, 1);
  t.match(k.output(), /absent/);
});

/** A sample's value in Prometheus text, by its full series text (name and labels as printed). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** The pids of the workers that logged "kinflux listening", in order. */
function workerPids(output: string): number[] {
  return output
    .split('\n')
    .filter((l) => l.includes('"kinflux listening"'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

const deaths = (output: string): number => output.split('\n').filter((l) => l.includes('worker died')).length;

/** Fresh connections, so the primary spreads them over the workers. */
const fresh = { headers: { connection: 'close' } };

t.test('forkDelay doubles from 1 s while workers die young, up to 30 s', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 20].map(forkDelay), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  t.equal(forkDelay(0), 1000);
});

t.test('a worker killed: counters never go backwards, scrapes answer at once', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'killed', { KINFLUX_WORKERS: '2' }));
  t.teardown(() => k.stop('SIGKILL'));
  await waitFor(async () => workerPids(k.output()).length === 2);
  const write = (i: number) => send(k.url, '/write?db=telegraf', `w,i=${i} v=${i}i ${i + 1}`, fresh);
  const first = await Promise.all(Array.from({ length: 40 }, (_, i) => write(i)));
  t.same(first.map((w) => w.status), Array(40).fill(204));

  const ok204 = 'kinflux_http_requests_total{route="/write",code="204"}';
  const delivered = 'kinflux_points_delivered_total{stream="killed"}';
  const scrape = async (): Promise<{ ms: number; status: number; text: string }> => {
    for (let attempt = 0; ; attempt++) {
      // A connection the primary handed to the dying worker is lost with it (reset, or never answered):
      // that is the kill, not the scrape; such an attempt is abandoned after 8 s and the scrape tried again.
      const t0 = Date.now();
      const res = await Promise.race([send(k.url, '/metrics', undefined, fresh).catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), 8000))]);
      if (res) return { ms: Date.now() - t0, status: res.status, text: res.text };
      if (attempt === 3) throw new Error('no answer to /metrics in 4 attempts');
    }
  };
  const before = await scrape();
  t.equal(before.status, 200);
  t.equal(sample(before.text, ok204), 40, 'both workers counted');
  t.equal(sample(before.text, delivered), 40);

  const [victim] = workerPids(k.output());
  process.kill(victim, 'SIGKILL');
  const after: Array<{ ms: number; status: number; text: string }> = [];
  for (let i = 0; i < 5; i++) after.push(await scrape());
  for (const s of after) {
    t.equal(s.status, 200, 'the scrape answers');
    // A worker that cannot answer costs at most the 1 s per-worker timeout; 6 s hung before.
    t.ok(s.ms < 4000, `scraped in ${s.ms} ms`);
    t.ok(sample(s.text, ok204) >= 40, `204s ${sample(s.text, ok204)} >= 40: the dead worker's count stays`);
    t.ok(sample(s.text, delivered) >= 40, `delivered ${sample(s.text, delivered)} >= 40`);
  }

  await waitFor(async () => workerPids(k.output()).length === 3, 30_000);
  const more = await Promise.all(Array.from({ length: 10 }, (_, i) => write(100 + i)));
  t.same(more.map((w) => w.status), Array(10).fill(204));
  const last = await scrape();
  t.ok(sample(last.text, ok204) >= 50, `204s ${sample(last.text, ok204)} >= 50 after the replacement took writes`);
  t.equal(sample(last.text, delivered), 50, 'delivered: the dead worker\'s 40-some plus the new ones, each counted once');
  t.match(last.text, /^kinflux_worker_exits_total\{young="(true|false)"\} 1$/m);
  t.match(last.text, /^kinflux_workers_running 2$/m);
  t.equal(await k.stop('SIGTERM'), 0);
});

t.test('a stalled worker (SIGSTOP) and killed ones, in either order, mid-scrape: counters never go backwards or count twice', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'stalled', { KINFLUX_WORKERS: '3' }));
  const stopped = new Set<number>();
  t.teardown(async () => {
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
    await k.stop('SIGKILL');
  });
  await waitFor(async () => workerPids(k.output()).length === 3);
  // Writes one at a time over fresh connections (spread over the workers), each sent again until its 204.
  let N = 0;
  for (let i = 0; i < 60; i++) {
    for (;;) {
      const status = (await send(k.url, '/write?db=telegraf', `s,i=${i} v=${i}i ${i + 1}`, fresh)).status;
      if (status === 204) break;
      t.equal(status, 503, 'only a 503 is sent again');
      await new Promise((r) => setTimeout(r, 200));
    }
    N++;
  }
  const ok204 = 'kinflux_http_requests_total{route="/write",code="204"}';
  // No writes from here on: every scrape must say N, whichever worker is stalled or gone.
  const seen: number[] = [];
  const scrape = (): Promise<void> =>
    Promise.race([
      send(k.url, '/metrics', undefined, fresh).then(
        (r) => void (r.status === 200 && seen.push(sample(r.text, ok204))),
        () => undefined, // served by the worker killed meanwhile
      ),
      new Promise<void>((r) => setTimeout(r, 5000)), // served by the stalled worker
    ]);
  await scrape();
  t.same(seen, [N], 'every worker counted once');

  const [a, b, c] = workerPids(k.output());
  // 1. A stalls; B is killed while scrapes wait on A (the primary's 1 s per-worker timeout).
  process.kill(a, 'SIGSTOP');
  stopped.add(a);
  const during = Array.from({ length: 6 }, () => scrape());
  await new Promise((r) => setTimeout(r, 300));
  process.kill(b, 'SIGKILL');
  await Promise.all(during);
  for (let i = 0; i < 4; i++) await scrape();
  // 2. The stalled A is killed while scrapes wait on it; C goes on.
  const during2 = Array.from({ length: 4 }, () => scrape());
  await new Promise((r) => setTimeout(r, 300));
  process.kill(a, 'SIGKILL');
  stopped.delete(a);
  await Promise.all(during2);
  await waitFor(async () => workerPids(k.output()).length >= 5, 30_000); // both replaced
  for (let i = 0; i < 4; i++) await scrape();
  t.ok(seen.length >= 8, `${seen.length} scrapes answered`);
  t.same(seen, Array(seen.length).fill(N), `every scrape says ${N}: ${seen.join(' ')}`);
  t.ok(workerPids(k.output()).includes(c));
});

t.test('stream deleted, then a worker dies: the replacement starts with the stream failed, no fork loop', async (t) => {
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'gone', { KINFLUX_WORKERS: '2', KINFLUX_HEALTH_INTERVAL_MS: '500' }));
  t.teardown(() => k.stop('SIGKILL'));
  await waitFor(async () => workerPids(k.output()).length === 2);
  await deleteStream(client, 'gone');
  // Both workers see it (the next scrape or probe may land on either).
  await waitFor(async () => (await send(k.url, '/health', undefined, fresh)).status === 503 && (await send(k.url, '/health', undefined, fresh)).status === 503);

  process.kill(workerPids(k.output())[0], 'SIGKILL');
  await waitFor(async () => workerPids(k.output()).length === 3, 30_000);
  // The replacement listens, and checks the stream every 500 ms: 3 s is six checks it survived.
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(deaths(k.output()), 1, 'only the killed worker died: its replacement did not exit');
  t.equal(k.proc.exitCode, null, 'the gateway runs on');
  const health = await send(k.url, '/health', undefined, fresh);
  t.equal(health.status, 503);
  t.match(health.text, /stream not found/);
  const w = await send(k.url, '/write?db=telegraf', 'x v=1 1', fresh);
  t.equal(w.status, 503, 'writes get 503, as in single-process mode');
  t.equal(await k.stop('SIGTERM'), 0);
});

t.test('a replacement worker that cannot start backs off and shows in /health', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinflux-cluster-'));
  const config = join(dir, 'kinflux.yaml');
  writeFileSync(config, 'KINFLUX_BATCH_LINGER_MS: 5\n');
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'backoff', { KINFLUX_WORKERS: '2', KINFLUX_CONFIG: config }));
  t.teardown(() => k.stop('SIGKILL'));
  await waitFor(async () => workerPids(k.output()).length === 2);
  // A setting file that vanished (a volume unmounted): any new worker exits 2 at startup.
  rmSync(dir, { recursive: true });
  const t0 = Date.now();
  process.kill(workerPids(k.output())[0], 'SIGKILL');
  await new Promise((r) => setTimeout(r, 12_000));
  const died = deaths(k.output());
  // Pauses of 1, 2, 4 and 8 s (plus each start's own second or two): the kill and at most three failed starts
  // in 12 s; the fixed 1 s pause of before gave one every 2 s or so.
  t.ok(died >= 2 && died <= 4, `${died} worker deaths in ${Math.round((Date.now() - t0) / 1000)} s`);
  t.equal(k.proc.exitCode, null, 'the primary and the other worker run on');
  const health = await send(k.url, '/health', undefined, fresh);
  t.equal(health.status, 503, 'a worker that keeps failing to start fails /health');
  t.match(health.json(), { checks: [{ name: 'backoff', status: 'pass' }, { name: 'workers', status: 'fail', message: /1 of 2 workers running; last exit: code 2 before listening/ }] });
  t.equal((await send(k.url, '/ready', undefined, fresh)).status, 200, 'the running worker still takes writes');
  t.equal((await send(k.url, '/write?db=telegraf', 'x v=1 1', fresh)).status, 204);
  t.equal(await k.stop('SIGTERM'), 0);
});
