// The sender through the in-process Kinesis: what is acknowledged is stored, exactly once where Kinesis said
// what it stored, in order per series within each shard; partial failures resend the failed entries only;
// throttles are retried; oversize records and requests are split; a fatal error answers every waiting write.
import t from 'tap';
import { DeliveryError, WriteTooLargeError } from '../../../src/deliver/errors.js';
import { hashKeyOf } from '../../../src/encode/shard-map.js';
import { deaggregate } from '../../encode/kpl-deagg.js';
import { ScriptedKinesis, kinesisError, socketError } from '../../kit/scripted-kinesis.js';
import { batch, inversions, senderOn, seqLines, seqNumber, storedLines } from './setup.js';

const THROTTLED = 'ProvisionedThroughputExceededException';

/** Each seq stored, and how many times. */
function storedCounts(k: ScriptedKinesis, stream: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const l of storedLines(k.records(stream))) counts.set(seqNumber(l), (counts.get(seqNumber(l)) ?? 0) + 1);
  return counts;
}

t.test('writes are acknowledged once stored, each point once, in order per series within each shard', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 4 } });
  const h = await senderOn(k, 's');
  t.teardown(h.stop);
  const writes = Array.from({ length: 20 }, (_, w) => seqLines(200, 16, 'w', w * 200));
  await Promise.all(writes.map((lines) => h.sender.submit(batch(lines))));
  const counts = storedCounts(k, 's');
  t.equal(counts.size, 4000, 'every point stored');
  t.same([...counts.values()].filter((n) => n !== 1), [], 'none twice');
  t.same(inversions(k, 's'), [], 'order per series within each shard');
  t.ok(new Set(k.records('s').map((r) => r.shardId)).size === 4, 'spread over the 4 shards');
  const offShard = k.records('s').filter((r) => {
    const range = k.range('s', r.shardId);
    return storedLines([r]).some((l) => {
      const hash = hashKeyOf(l.slice(0, l.indexOf(' ')));
      return hash < range.start || hash > range.end;
    });
  });
  t.equal(offShard.length, 0, 'every point sits in the shard its series key hashes to');
});

t.test('a partial failure resends the failed entries only, and order per series holds', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 2 } });
  let failed = 0;
  // Every other call: its first entry fails (InternalFailure), the rest are stored.
  k.onPut = (call) => (call.n % 2 === 1 ? ((failed++), { entries: call.entries.map((_, i) => (i === 0 ? 'InternalFailure' : undefined)) }) : undefined);
  const h = await senderOn(k, 's');
  t.teardown(h.stop);
  const writes = Array.from({ length: 10 }, (_, w) => seqLines(300, 8, 'w', w * 300));
  for (const lines of writes) await h.sender.submit(batch(lines));
  const counts = storedCounts(k, 's');
  t.ok(failed > 0, 'entries failed');
  t.equal(counts.size, 3000, 'every point stored');
  t.same([...counts.values()].filter((n) => n !== 1), [], 'no duplicates: accepted entries were not resent');
  t.same(inversions(k, 's'), [], 'order per series within each shard');
});

t.test('none: a call carries many records of a series; a failed one is resent alone, stored once, possibly after a later one of its series', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  const calls: string[][] = [];
  const failedSeqs: number[] = [];
  // The first entry of every call with two or more fails (InternalFailure), the rest are stored.
  k.onPut = (call) => {
    calls.push(call.entries.map((e) => e.partitionKey));
    if (call.entries.length < 2) return undefined;
    failedSeqs.push(seqNumber(call.entries[0].data.toString('utf8')));
    return { entries: call.entries.map((_, i) => (i === 0 ? 'InternalFailure' : undefined)) };
  };
  const h = await senderOn(k, 's', { aggregation: 'none' });
  t.teardown(h.stop);
  // Two series, four points each, in one write: one call carries every point (as Kinesis allows).
  await h.sender.submit(batch(seqLines(8, 2)));
  t.equal(calls[0].length, 8, 'the first call carries all 8 points, 4 of each series');
  t.same(failedSeqs, [0], 'its first entry failed');
  const counts = storedCounts(k, 's');
  t.equal(counts.size, 8, 'no point missing');
  t.same([...counts.values()].filter((n) => n !== 1), [], 'none twice: only the failed entry was resent');
  // Kinesis gave no order inside the call: the failed point lands after the later points of its series (README "Order").
  t.same(inversions(k, 's').map((x) => x.slice(x.indexOf(' ') + 1)), ['h0: 0 after 6'], 'the only inversion is the failed point');
});

t.test('none with a measurement key: a call carries many records of the key (one per call would move a measurement one point per round trip)', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  const calls: number[] = [];
  k.onPut = (call) => {
    calls.push(call.entries.length);
    return undefined;
  };
  const h = await senderOn(k, 's', { aggregation: 'none', partitionKey: { method: 'measurement' } });
  t.teardown(h.stop);
  // 2,000 points of one measurement (8 series) in one write: taken, not a 413 for too many of one key.
  await h.sender.submit(batch(seqLines(2000, 8)));
  t.equal(storedLines(k.records('s')).length, 2000, 'every point stored once');
  t.ok(Math.max(...calls) > 100, `calls of up to ${Math.max(...calls)} records`);
});

t.test('throttled entries and throttled calls are retried until stored; the shard is paced down', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 2 } });
  let calls = 0;
  k.onPut = (call) => {
    calls++;
    if (call.n <= 2) return { error: kinesisError(THROTTLED, 'Rate exceeded for shard') };
    if (call.n <= 6) return { entries: call.entries.map(() => THROTTLED) };
    return undefined;
  };
  const h = await senderOn(k, 's', { shardRateLimitPercent: 100 });
  t.teardown(h.stop);
  await h.sender.submit(batch(seqLines(400, 8)));
  const counts = storedCounts(k, 's');
  t.equal(counts.size, 400);
  t.same([...counts.values()].filter((n) => n !== 1), []);
  t.ok(calls > 6, 'retried after the throttles');
  const throttles = (await h.metrics.registry.getSingleMetric('kinflux_shard_throttles_total')?.get())?.values ?? [];
  t.ok(throttles.reduce((n, v) => n + v.value, 0) > 0, 'throttles counted per shard');
  t.same(inversions(k, 's'), []);
});

t.test('a reset after Kinesis stored the call is retried: the points are stored (twice), never lost', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  k.onPut = (call) => (call.n === 1 ? { error: socketError('ECONNRESET'), storedFirst: true } : undefined);
  const h = await senderOn(k, 's');
  t.teardown(h.stop);
  await h.sender.submit(batch(seqLines(50, 5)));
  const counts = storedCounts(k, 's');
  t.equal(counts.size, 50, 'every point stored');
  t.ok([...counts.values()].every((n) => n === 2), 'the unknown outcome was resent whole');
});

t.test('an oversize request is bisected and an oversize record halved, until Kinesis takes them', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  // Kinesis refuses any call of more than 2 records, and any record above 4 KiB, as oversize.
  k.onPut = (call) => {
    if (call.entries.length > 2) return { error: kinesisError('ValidationException', 'too big') };
    return { entries: call.entries.map((e) => (e.data.length > 4096 ? 'InvalidArgumentException' : undefined)) };
  };
  const h = await senderOn(k, 's', { aggregation: 'lines' });
  t.teardown(h.stop);
  await Promise.all([0, 1, 2, 3].map((w) => h.sender.submit(batch(seqLines(150, 3, 'w', w * 150)))));
  const counts = storedCounts(k, 's');
  t.equal(counts.size, 600);
  t.same([...counts.values()].filter((n) => n !== 1), []);
  t.ok(k.records('s').every((r) => r.data.length <= 4096), 'records halved below the limit');
  t.same(inversions(k, 's'), []);
});

t.test('a single point Kinesis refuses as too large fails its write with 503', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  k.onPut = (call) => ({ entries: call.entries.map(() => 'InvalidArgumentException') });
  const h = await senderOn(k, 's');
  t.teardown(h.stop);
  const err = await h.sender.submit(batch(seqLines(1, 1))).catch((e: unknown) => e);
  t.ok(err instanceof DeliveryError);
  t.equal((err as DeliveryError).reason, 'stream_unavailable');
  t.match((err as DeliveryError).message, /InvalidArgumentException/);
});

t.test('a fatal error answers every waiting write 503 and fails the stream', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 2 } });
  k.onPut = () => ({ error: kinesisError('ResourceNotFoundException', 'gone') });
  const h = await senderOn(k, 's');
  t.teardown(h.stop);
  const results = await Promise.allSettled([h.sender.submit(batch(seqLines(20, 4))), h.sender.submit(batch(seqLines(20, 4, 'x')))]);
  for (const r of results) {
    t.equal(r.status, 'rejected');
    if (r.status === 'rejected') t.equal((r.reason as DeliveryError).reason, 'stream_unavailable');
  }
  t.equal(h.monitor.state('s')?.blocked, true, 'the stream is blocked');
  t.equal(h.monitor.health()[0].status, 'fail');
  await h.sender.whenIdle();
  t.equal(k.records('s').length, 0);
});

t.test('a write no call can deliver before its deadline is answered deadline, and nothing is left behind', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  k.onPut = () => ({ error: kinesisError('InternalFailure', 'down', 500) });
  const h = await senderOn(k, 's', { deliveryTimeoutMs: 300 });
  t.teardown(h.stop);
  const err = await h.sender.submit(batch(seqLines(10, 2))).catch((e: unknown) => e);
  t.equal((err as DeliveryError).reason, 'deadline');
  await h.sender.whenIdle();
  t.equal(h.sender.queue.bytes, 0, 'the orphaned record was dropped');
});

t.test('admission: a write one shard could never take in time is 413; a backlog past the horizon is 503', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  const h = await senderOn(k, 's', { shardRateLimitPercent: 1, deliveryTimeoutMs: 1000 });
  t.teardown(h.stop);
  // 1% of 1 MiB/s: ~10 KB/s; within 2/3 of a 4.5 s deadline a shard takes ~31 KB.
  const big = await h.sender.submit(batch(seqLines(2000, 1))).catch((e: unknown) => e);
  t.ok(big instanceof WriteTooLargeError, '413');
  // A first write of ~13 KB: over a second of this shard's rate, taken since nothing is ahead of it.
  const first = h.sender.submit(batch(seqLines(200, 1))).catch((e: unknown) => e);
  const second = await h.sender.submit(batch(seqLines(20, 1, 'x'))).catch((e: unknown) => e);
  t.ok(second instanceof DeliveryError && second.reason === 'overloaded', '503 overloaded behind the backlog');
  t.ok(second instanceof DeliveryError && second.retryAfterSeconds >= 1);
  t.ok(h.sender.saturated(0) instanceof DeliveryError, 'and before a body is read');
  t.equal(await first, undefined, 'the first write is delivered at the pace of its shard');
});

t.test('gzip under throttling: records of a shard go out in the order they were sealed', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 2 } });
  // A third of the entries throttled: records are retried at the front of their line, and re-compressed when split.
  let n = 0;
  k.onPut = (call) => ({ entries: call.entries.map(() => (n++ % 3 === 0 ? THROTTLED : undefined)) });
  const h = await senderOn(k, 's', { compression: 'gzip' });
  t.teardown(h.stop);
  await Promise.all(Array.from({ length: 8 }, (_, w) => h.sender.submit(batch(seqLines(3000, 2, 'w', w * 3000)))));
  const counts = new Map<number, number>();
  for (const l of storedLines(k.records('s'), true)) counts.set(seqNumber(l), (counts.get(seqNumber(l)) ?? 0) + 1);
  t.equal(counts.size, 24_000);
  t.same([...counts.values()].filter((x) => x !== 1), []);
  t.same(inversions(k, 's', true), [], 'order per series within each shard');
});

t.test('KPL across a split: misplaced sub-records are re-sent once the new map is listed, none twice under the KCL rule', async (t) => {
  const k = new ScriptedKinesis({ s: { shards: 1 } });
  const h = await senderOn(k, 's', { aggregation: 'kpl' });
  t.teardown(h.stop);
  await h.sender.submit(batch(seqLines(200, 32, 'a')));
  // Split after the sender read its map: its next aggregate lands on one child, which owns about half of its series.
  k.splitShard('s', k.openShards('s')[0]);
  await h.sender.submit(batch(seqLines(200, 32, 'b', 200)));
  await h.sender.submit(batch(seqLines(200, 32, 'c', 400)));
  const kept = new Map<number, number>();
  let dropped = 0;
  for (const rec of k.records('s')) {
    const range = k.range('s', rec.shardId);
    for (const u of deaggregate(rec.partitionKey, rec.data)) {
      const hash = hashKeyOf(u.partitionKey);
      if (hash < range.start || hash > range.end) {
        dropped++; // the KCL drops what the shard does not own
        continue;
      }
      const n = seqNumber(u.data.toString());
      kept.set(n, (kept.get(n) ?? 0) + 1);
    }
  }
  t.ok(dropped > 0, 'an aggregate landed off its predicted shard (its misplaced sub-records are dropped there)');
  t.equal(kept.size, 600, 'every point delivered under the KCL rule');
  t.same([...kept.values()].filter((x) => x !== 1), [], 'none twice');
});
