// A throttled control plane must not pull replicas out of the load balancer: with DescribeStreamSummary
// answering LimitExceededException, writes keep getting 204, /ready and /health stay 200 (readiness follows
// PutRecords outcomes), and describes stay bounded per stream with backoff however many writes succeed.
import t from 'tap';
import { startKinesisLocal } from '../../../src/emulator/kinesis-local.js';
import { startFaultProxy } from '../../kit/fault-proxy.js';
import { emulatorEnv, startKinflux } from '../../helpers/kinflux.js';
import { send } from '../../helpers/http.js';
import { waitFor } from '../../helpers/kinflux.js';
import { batchFromLines } from '../../encode/batch-from-lines.js';
import { localClient, makeEngine } from '../engine-setup.js';
import { hashKeyOf, shardMapFromListShards } from '../../../src/encode/shard-map.js';
import { listShards, readStream, recordLines } from '../../helpers/kinesis-read.js';

// One emulator for the file (each start costs seconds of CPU); each test has its own stream and fault proxy.
const emulator = await startKinesisLocal({ streams: { busy: 2, s: 1, listed: 2 } });
t.teardown(() => emulator.stop());

t.test('DescribeStreamSummary throttled: writes 204, probes 200, describes bounded', async (t) => {
  const proxy = await startFaultProxy(emulator.endpoint);
  t.teardown(() => proxy.close());
  // A short health interval: the periodic describes alone would be 1/s without the backoff.
  const k = await startKinflux(emulatorEnv(proxy.endpoint, 'busy', { KINFLUX_HEALTH_INTERVAL_MS: '1000', KINFLUX_BATCH_LINGER_MS: '5' }));
  t.teardown(() => k.stop('SIGKILL'));

  proxy.set({ throttleActions: ['DescribeStreamSummary'] });
  const before = proxy.stats.actions.DescribeStreamSummary ?? 0;
  const windowMs = 12_000;
  const end = Date.now() + windowMs;
  const writes: number[] = [];
  const probes: Array<[string, number]> = [];
  const writer = (async () => {
    for (let i = 0; Date.now() < end; i++) {
      const body = Array.from({ length: 20 }, (_, j) => `cpu,host=h${j} v=${i}i ${i * 100 + j + 1}`).join('\n');
      writes.push((await send(k.url, '/write?db=telegraf', body)).status);
    }
  })();
  const prober = (async () => {
    while (Date.now() < end) {
      for (const path of ['/ready', '/health']) probes.push([path, (await send(k.url, path)).status]);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await Promise.all([writer, prober]);
  const describes = (proxy.stats.actions.DescribeStreamSummary ?? 0) - before;

  t.ok(writes.length > 20, `${writes.length} writes`);
  t.same(writes.filter((s) => s !== 204), [], 'every write 204');
  t.same(probes.filter(([, s]) => s !== 200), [], `${probes.length} probes, all 200`);
  // Backoff from 2 s doubling (±25% jitter): about 4 calls in 12 s; today's 1/s would be 12 or more.
  t.ok(describes <= 5, `${describes} DescribeStreamSummary calls in ${windowMs / 1000} s with ${writes.length} successful writes`);
  t.ok(describes >= 1, 'the stream is still described (with backoff)');

  // Once the control plane answers again the stream is still up.
  proxy.set({ throttleActions: [] });
  t.equal((await send(k.url, '/health')).status, 200);
});

t.test('readiness follows PutRecords outcomes, not the control plane', async (t) => {
  const proxy = await startFaultProxy(emulator.endpoint);
  t.teardown(() => proxy.close());
  const intervalMs = 500;
  // A long delivery deadline: on a loaded machine a put (or the wait for not-ready below) can take seconds, and a
  // write answered 'deadline' would fail these checks for a reason they do not test.
  const { engine } = makeEngine(proxy.endpoint, ['s'], { healthIntervalMs: intervalMs, lingerMs: 5, deliveryTimeoutMs: 20_000 });
  await engine.start();
  t.teardown(() => engine.shutdown(0));
  let n = 0;
  const write = () => engine.submit('s', batchFromLines([`m,i=${n} v=${n}i ${++n}`]));

  t.test('describes failing while puts land: ready', async (t) => {
    proxy.set({ failActions: ['DescribeStreamSummary'] });
    const seen = new Set<string>();
    let notReady = 0;
    for (const end = Date.now() + 4000; Date.now() < end; ) {
      await write();
      seen.add(engine.health()[0].status);
      if (!engine.isReady()) notReady++;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(proxy.stats.actions.DescribeStreamSummary > 1, `describes failed ${proxy.stats.actions.DescribeStreamSummary} times`);
    t.same([...seen], ['pass'], 'health never failed while writes landed');
    t.equal(notReady, 0, 'ready throughout');
    proxy.set({ failActions: [] });
  });

  t.test('whole PutRecords calls failing for a health interval: not ready; one landing: ready again', async (t) => {
    proxy.set({ failRequestShare: 1, failStatus: 500 });
    const failed = write().then(() => 'delivered', (err: { reason?: string }) => err.reason);
    await waitFor(async () => !engine.isReady(), 10_000, 50);
    // Whichever sees it first says so: the puts failing for an interval, or the describes (they fail too).
    t.match(engine.health()[0], { status: 'fail', message: /PutRecords failing for \d+ s: InternalFailure|Kinesis unreachable: InternalFailure/ });
    proxy.set({ failRequestShare: 0 });
    t.equal(await failed, 'delivered', 'the write was retried until it landed');
    t.ok(engine.isReady(), 'ready at once after a put lands, with no describe needed');
  });
});

t.test('ListShards throttled: listed again with backoff, the previous map kept', async (t) => {
  const proxy = await startFaultProxy(emulator.endpoint);
  t.teardown(() => proxy.close());
  // Every periodic check (each 500 ms) lists the shards: 16 calls in 8 s without a backoff.
  const { engine } = makeEngine(proxy.endpoint, ['listed'], { healthIntervalMs: 500, lingerMs: 5 });
  await engine.start();
  t.teardown(() => engine.shutdown(0));
  proxy.set({ throttleActions: ['ListShards'] });
  const before = proxy.stats.actions.ListShards ?? 0;
  for (let i = 0; i < 16; i++) {
    await engine.submit('listed', batchFromLines([`m,i=${i} v=${i}i ${i + 1}`, `n,i=${i} v=${i}i ${i + 1}`]));
    await new Promise((r) => setTimeout(r, 500));
  }
  const lists = (proxy.stats.actions.ListShards ?? 0) - before;
  t.ok(lists >= 1 && lists <= 5, `${lists} ListShards calls in 8 s`);
  // Read back: every point sits on the shard its series key hashes to (the map kept was right).
  const reader = localClient(emulator.endpoint);
  t.teardown(() => reader.destroy());
  const map = shardMapFromListShards(await listShards(reader, 'listed'));
  const misplaced = (await readStream(reader, 'listed')).flatMap((r) =>
    recordLines([r]).filter((l) => map.shardIdOf(hashKeyOf(l.slice(0, l.search(/(?<!\\) /)))) !== r.shardId),
  );
  t.same(misplaced, [], 'records still carry hash keys of the right shards');
  t.ok(engine.isReady());
});
