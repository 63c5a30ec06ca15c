// The delivery engine against a stream with Kinesis' real limits (the stand-in: 1 MiB/s and 1,000
// records/s per shard, one second of burst), and against faults the stand-in cannot produce (the fault
// proxy in front of it). One test per finding of issue 11's hostile review of the engine, plus the
// convergence of a replica's per-shard rate when a second replica comes and goes.
import t from 'tap';
import { startKinesisStandin, type KinesisStandin } from '../kit/kinesis-standin.js';
import { WriteTooLargeError, type DeliveryEngine } from '../../src/deliver/engine.js';
import { startFaultProxy } from '../kit/fault-proxy.js';
import { recordLines } from '../helpers/kinesis-read.js';
import { deaggregate } from '../encode/kpl-deagg.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { counterValue, makeEngine, seqOf } from './engine-setup.js';
import { runLoad } from './load.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const started: Array<{ close(): Promise<void> }> = [];
async function standin(opts: Parameters<typeof startKinesisStandin>[0]): Promise<KinesisStandin> {
  const s = await startKinesisStandin(opts);
  started.push(s);
  return s;
}
t.teardown(async () => {
  for (const s of started) await s.close();
});

t.test('a write too large for one shard within the deadline gets 413 naming what fits, before anything is sent; that size succeeds', async (t) => {
  const s = await standin({ streams: { big: 4 } });
  const { engine } = makeEngine(s.endpoint, ['big'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000 });
  await engine.start();
  // 6 MiB of one series: every point hashes to one shard (1 MiB/s).
  const lines = Array.from({ length: 48_000 }, (_, i) => `big,host=a v=${i}i,pad="${'x'.repeat(100)}" ${1_000_000 + i}`);
  const err = await engine.submit('big', batchFromLines(lines)).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof WriteTooLargeError, 'refused as too large, not left to time out');
  if (!(err instanceof WriteTooLargeError)) return;
  t.match(err.message, /send at most \d+ lines/);
  t.ok(err.maxLines > 10_000 && err.maxLines < 48_000, `fits: ${err.maxLines} lines`);
  await sleep(200);
  t.equal(s.stats('big').acceptedRecords, 0, 'nothing of the refused write was stored');
  const t0 = Date.now();
  // Resolves only if delivered before its deadline: 4 s, grown for this write up to 4.5 s (0.5 s before
  // the clients' 5 s timeout, KINFLUX_CLIENT_TIMEOUT_MS' default) because it needs more than ⅔ of 4 s. The
  // engine's deadline timer is the judge (a late write rejects with 'deadline'), not this test's clock: on a
  // loaded machine the resolution itself can run late, and the size named takes ~2-3 s by design.
  const delivered = await engine.submit('big', batchFromLines(lines.slice(0, err.maxLines))).then(
    () => true,
    (e: unknown) => e,
  );
  t.equal(delivered, true, `the size named fits: delivered before its deadline, in ${Date.now() - t0} ms`);
  await engine.shutdown(2000);
  t.equal(recordLines(s.records('big')).length, err.maxLines);
});

t.test('overload with clients that resend their 503s: ≥ 90% of what is put into Kinesis belongs to writes answered 204', async (t) => {
  const s = await standin({ streams: { busy: 2 }, latencyMs: 20 });
  const { engine, metrics } = makeEngine(s.endpoint, ['busy'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000, lingerMs: 50 });
  await engine.start();
  const { outcomes, crashes } = await runLoad(engine, 'busy', { clients: 12, durationMs: 6000, tag: 'o', pauseAfterRejectMs: 100 });
  await engine.shutdown(3000);
  t.same(crashes, []);
  const okPrefixes = new Set(outcomes.filter((o) => o.ok).map((o) => o.prefix));
  let forOk = 0;
  let forRefused = 0;
  for (const line of recordLines(s.records('busy'))) {
    const seq = seqOf(line);
    if (!seq) continue;
    if (okPrefixes.has(seq.slice(0, seq.lastIndexOf('-')))) forOk++;
    else forRefused++;
  }
  const refused = outcomes.filter((o) => !o.ok).length;
  t.ok(refused > 0, `overloaded: ${refused} of ${outcomes.length} writes refused`);
  t.ok(forOk / (forOk + forRefused) >= 0.9, `${forOk} points stored for 204s, ${forRefused} for writes refused (${((forOk / (forOk + forRefused)) * 100).toFixed(1)}% useful)`);
  t.ok((await counterValue(metrics, 'kinflux_writes_refused_early_total', { code: '503' })) > 0, 'refused early, counted');
});

t.test('partial retries: the first of two records in a call fails; with lines and kpl no point overtakes an earlier one of its series, with none none is lost or doubled', async (t) => {
  const s = await standin({ streams: { ordered: 2 }, bytesPerSecond: 0, recordsPerSecond: 0 });
  // The first of two or more records fails in every third such call, the first one included, so each mode that
  // sends a call of two records gets a failure (with a random third, beside CPU burners a run whose writes all
  // went out in a few large calls once got none), and retries stay within the deadline.
  let multi = 0;
  const proxy = await startFaultProxy(s.endpoint, { throttleEntry: (i, n) => i === 0 && n >= 2 && multi++ % 3 === 0 });
  started.push(proxy);
  for (const aggregation of ['lines', 'kpl', 'none'] as const) {
    const stream = 'ordered';
    const { engine } = makeEngine(proxy.endpoint, [stream], { shardRateLimitPercent: 0, aggregation, lingerMs: 5 });
    await engine.start();
    multi = 0;
    const throttledBefore = proxy.stats.entriesThrottled;
    // Series written in order, in many small writes that overlap: many records per shard queue up.
    const writes: Array<Promise<void>> = [];
    const writesOf = 60;
    for (let w = 0; w < writesOf; w++) {
      const lines = Array.from({ length: 20 }, (_, j) => {
        const i = w * 20 + j;
        return `m,agg=${aggregation},s=${i % 4} seq=${i}i ${1_000_000 + i}`;
      });
      writes.push(engine.submit(stream, batchFromLines(lines)));
      if (w % 6 === 5) await sleep(2);
    }
    await Promise.all(writes);
    await engine.shutdown(2000);
    const last = new Map<string, number>();
    const seen = new Set<number>();
    let outOfOrder = 0;
    let n = 0;
    const stored = s.records(stream).flatMap((r) => (aggregation === 'kpl' ? deaggregate(r.partitionKey, r.data) : [r]));
    for (const line of stored.flatMap((r) => r.data.toString('utf8').split('\n').filter((l) => l.length > 0))) {
      if (!line.includes(`agg=${aggregation},`)) continue;
      n++;
      const series = line.slice(0, line.indexOf(' '));
      const seq = Number(/seq=(\d+)i/.exec(line)?.[1]);
      seen.add(seq);
      if ((last.get(series) ?? -1) > seq) outOfOrder++;
      last.set(series, seq);
    }
    t.equal(seen.size, writesOf * 20, `${aggregation}: no point missing`);
    t.equal(n, writesOf * 20, `${aggregation}: none stored twice (failed entries alone are resent)`);
    // With none a call carries many records of a series and Kinesis gives no order inside a call: a failed
    // point may be stored after a later one of its series (README "Order"); lines and kpl keep strict order.
    if (aggregation !== 'none') t.equal(outOfOrder, 0, `${aggregation}: no point of a series overtook an earlier one`);
    else t.comment(`none: ${outOfOrder} points stored after a later one of their series (failed, then resent)`);
    // none sends a record per point, so its calls always carry two or more.
    if (aggregation === 'none') t.ok(proxy.stats.entriesThrottled > throttledBefore, `none: first-of-two failures injected: ${proxy.stats.entriesThrottled - throttledBefore}`);
  }
  t.ok(proxy.stats.entriesThrottled > 0, `first-of-two failures injected: ${proxy.stats.entriesThrottled}`);
});

t.test('ListShards denied: records still hold many points, pacing per hash range, no 503s at modest load', async (t) => {
  const s = await standin({ streams: { nolist: 4 }, latencyMs: 10 });
  const proxy = await startFaultProxy(s.endpoint, { denyActions: ['ListShards'] });
  started.push(proxy);
  const { engine, metrics } = makeEngine(proxy.endpoint, ['nolist'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000 });
  await engine.start();
  const { outcomes } = await runLoad(engine, 'nolist', { clients: 2, durationMs: 3000, tag: 'n' });
  await engine.shutdown(2000);
  const refused = outcomes.filter((o) => !o.ok);
  t.equal(refused.length, 0, `no write refused (${outcomes.length} writes)`);
  const st = s.stats('nolist');
  const points = await counterValue(metrics, 'kinflux_points_delivered_total');
  t.ok(points / st.acceptedRecords >= 100, `${(points / st.acceptedRecords).toFixed(0)} points per record`);
  t.ok(st.throttledEntries <= 0.05 * st.entries, `paced: ${st.throttledEntries} of ${st.entries} entries throttled`);
});

t.test('pacing that costs nothing: with the shards the bottleneck, records stay large', async (t) => {
  // Unlimited stand-in: pacing (1 MiB/s on one shard) is the only limit.
  const s = await standin({ streams: { paced: 1 }, bytesPerSecond: 0, recordsPerSecond: 0, latencyMs: 5 });
  const { engine, metrics } = makeEngine(s.endpoint, ['paced'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000, lingerMs: 50 });
  await engine.start();
  await runLoad(engine, 'paced', { clients: 8, durationMs: 4000, tag: 'p', pauseAfterRejectMs: 50 });
  await engine.shutdown(2000);
  const points = await counterValue(metrics, 'kinflux_points_delivered_total');
  const records = s.stats('paced').acceptedRecords;
  t.ok(points / records >= 1000, `${(points / records).toFixed(0)} points per record (${records} records)`);
});

t.test('records still queued for writes answered 503 are dropped, never sent', async (t) => {
  const s = await standin({ streams: { drop: 1 }, bytesPerSecond: 0, recordsPerSecond: 0 });
  const proxy = await startFaultProxy(s.endpoint, { stall: true });
  started.push(proxy);
  const { engine, metrics } = makeEngine(proxy.endpoint, ['drop'], { shardRateLimitPercent: 0, deliveryTimeoutMs: 800, lingerMs: 5 });
  await engine.start();
  const writes = Array.from({ length: 8 }, (_, w) =>
    engine.submit('drop', batchFromLines(Array.from({ length: 50 }, (_, j) => `d,w=${w} v=${j}i ${1_000_000 + w * 100 + j}`))).then(
      () => 'ok',
      (e: { reason?: string }) => e.reason,
    ),
  );
  t.same(await Promise.all(writes), Array(8).fill('deadline'), 'every write answered 503 (deadline)');
  proxy.set({ stall: false });
  await sleep(1500);
  t.equal(s.stats('drop').acceptedRecords, 0, 'none of their points reached the stream');
  t.ok((await counterValue(metrics, 'kinflux_kinesis_record_failures_total', { code: 'Expired' })) >= 1, 'dropped as expired');
  await engine.submit('drop', batchFromLines(['d,w=after v=1i 1']));
  await engine.shutdown(1000);
  t.equal(s.stats('drop').acceptedRecords, 1, 'the stream is written again afterwards');
});

t.test("a replica's rate converges when a second replica shares the shard, and recovers when it leaves", async (t) => {
  const s = await standin({ streams: { shared: 1 }, latencyMs: 20 });
  const ceiling = 1024 * 1024;
  const a = makeEngine(s.endpoint, ['shared'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000, lingerMs: 50 });
  const b = makeEngine(s.endpoint, ['shared'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000, lingerMs: 50 });
  await a.engine.start();
  await b.engine.start();
  const rate = (m: typeof a.metrics): Promise<number> => counterValue(m, 'kinflux_shard_allowed_bytes_per_second');
  let stopA = false;
  let stopB = false;
  const acked = { a: 0, b: 0 };
  let counting = false;
  const load = (e: DeliveryEngine, who: 'a' | 'b', stop: () => boolean): Promise<unknown> =>
    runLoad(e, 'shared', { clients: 3, durationMs: 60_000, tag: who, pauseAfterRejectMs: 100, stop }).then((r) => {
      for (const o of r.outcomes) if (o.ok && o.settledAt >= countFrom && o.settledAt <= countTo) acked[who] += o.count;
      const reasons: Record<string, number> = {};
      for (const o of r.outcomes) if (!o.ok) reasons[o.reason ?? '?'] = (reasons[o.reason ?? '?'] ?? 0) + 1;
      t.comment(`${who}: ${r.outcomes.length} writes, refused ${JSON.stringify(reasons)}`);
    });
  let countFrom = Infinity;
  let countTo = Infinity;
  const loadA = load(a.engine, 'a', () => stopA);
  await sleep(3000);
  const alone = await rate(a.metrics);
  t.ok(alone >= 0.9 * ceiling, `alone: ${(alone / 1024).toFixed(0)} KiB/s`);
  const loadB = load(b.engine, 'b', () => stopB);
  await sleep(5000);
  counting = true;
  countFrom = Date.now();
  await sleep(5000);
  countTo = Date.now();
  const sharedA = await rate(a.metrics);
  const sharedB = await rate(b.metrics);
  t.ok(sharedA < 0.85 * ceiling, `sharing: A paced to ${(sharedA / 1024).toFixed(0)} KiB/s, B to ${(sharedB / 1024).toFixed(0)} KiB/s`);
  t.ok(sharedA + sharedB < 1.6 * ceiling, 'together near the shard, not each at the ceiling');
  stopB = true;
  await loadB;
  let recovered = 0;
  for (let i = 0; i < 40 && recovered < 0.9 * ceiling; i++) {
    await sleep(500);
    recovered = await rate(a.metrics);
  }
  t.ok(recovered >= 0.9 * ceiling, `alone again: back to ${(recovered / 1024).toFixed(0)} KiB/s`);
  stopA = true;
  await loadA;
  t.ok(counting && acked.a > 0 && acked.b > 0 && Math.min(acked.a, acked.b) / Math.max(acked.a, acked.b) > 0.15, `both get a real share while sharing: ${acked.a} / ${acked.b} points`);
  await a.engine.shutdown(2000);
  await b.engine.shutdown(2000);
});
