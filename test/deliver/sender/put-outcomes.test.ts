// Each record's outcome, on its own: PutOutcomes with a real queue, pacer and preparation, the in-process
// Kinesis, and a recording stand-in for the monitor and the sender. Partial failures go back to the front of
// their shard's line in their order; throttles cut the shard's pace and split a large record; a fatal error
// asks the sender to answer everything; orphans are dropped, not retried; a KPL aggregate that landed off its
// shard re-sends exactly the sub-records the landing shard does not own.
import t from 'tap';
import type { DeliverySettings } from '../../../src/config/types.js';
import { PutOutcomes, type OutcomeDeps } from '../../../src/deliver/sender/put-outcomes.js';
import { RecordPreparation } from '../../../src/deliver/sender/record-preparation.js';
import { streamMetrics } from '../../../src/deliver/sender/stream-metrics.js';
import { RecordPacker, type PackedRecord, type RecordKeying } from '../../../src/encode/record-packer.js';
import { ShardMap, hashKeyOf, type ShardRange } from '../../../src/encode/shard-map.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { ShardPacer } from '../../../src/pacing/shard-pacer.js';
import { StreamQueue, type QueuedRecord } from '../../../src/queue/stream-queue.js';
import { Ticket } from '../../../src/queue/ticket.js';
import { deaggregate } from '../../encode/kpl-deagg.js';
import { ScriptedKinesis, kinesisError } from '../../kit/scripted-kinesis.js';
import { quietLogger, settings as base } from './setup.js';

const THROTTLED = 'ProvisionedThroughputExceededException';

interface Rig {
  k: ScriptedKinesis;
  queue: StreamQueue;
  pacer: ShardPacer;
  outcomes: PutOutcomes;
  host: { failAll: Array<[string, string | undefined]>; pumps: number };
  monitor: { ok: number; errors: string[]; stale: number; fatal: string[] };
  failed: string[];
  state: { shardMap: ShardMap | undefined };
  /** Packs these keys (one point each, data = key) for one ticket and queues the sealed records. */
  write(keys: readonly string[]): Ticket;
  take(max?: number): QueuedRecord[];
}

function rig(opts: { shards: number; aggregation?: DeliverySettings['aggregation']; percent?: number; ranges?: (landed: string) => ShardRange | undefined }): Rig {
  const k = new ScriptedKinesis({ s: { shards: opts.shards } });
  const settings = { ...base, aggregation: opts.aggregation ?? 'lines' };
  const keying: RecordKeying = { explicitHashKey: true };
  const queue = new StreamQueue(new RecordPacker<Ticket>({ aggregation: settings.aggregation, keying: () => keying }, 1 << 20));
  const pacer = new ShardPacer(opts.percent ?? 0);
  const m = streamMetrics(createMetrics({ processMetrics: false }), 's');
  const failed: string[] = [];
  const prep = new RecordPreparation({ stream: 's', settings, logger: quietLogger, recordLimit: () => 1 << 20, keying: () => keying }, queue, {
    compressed: () => {},
    fail: (_rec, message) => failed.push(message),
  });
  const host = { failAll: [] as Array<[string, string | undefined]>, pumps: 0 };
  const monitor = { ok: 0, errors: [] as string[], stale: 0, fatal: [] as string[] };
  const map = new ShardMap(k.openShards('s').map((id) => ({ shardId: id, ...k.range('s', id) })));
  const state = { shardMap: map as ShardMap | undefined };
  const deps: OutcomeDeps = {
    stream: 's',
    settings,
    kinesis: k,
    logger: quietLogger,
    state,
    monitor: {
      notePutOk: () => void monitor.ok++,
      notePutError: (_s, code) => void monitor.errors.push(code),
      markMapStale: () => void monitor.stale++,
      markFatal: (_s, code) => void monitor.fatal.push(code),
      shardRange: async (_s, landed) => opts.ranges?.(landed),
    },
  };
  const outcomes = new PutOutcomes(deps, m, pacer, queue, prep, {
    failAll: (reason, message) => {
      host.failAll.push([reason, message]);
      for (const t of [...queue.live]) t.fail(new Error(reason));
    },
    pump: () => void host.pumps++,
  });
  return {
    k,
    queue,
    pacer,
    outcomes,
    host,
    monitor,
    failed,
    state,
    write(keys) {
      const ticket = new Ticket(keys.length, (x) => queue.live.delete(x));
      queue.live.add(ticket);
      const sealed: PackedRecord<Ticket>[] = [];
      const byGroup = new Map<string, number>();
      for (const key of keys) {
        const group = state.shardMap ? state.shardMap.shardIdOf(hashKeyOf(key)) : 'range-0';
        queue.packer.add(group, key, Buffer.from(`${key}\n`), ticket, sealed);
        byGroup.set(group, (byGroup.get(group) ?? 0) + key.length + 1);
      }
      queue.packer.sealAll(sealed);
      queue.admitted(keys.length, keys.reduce((n, x) => n + x.length + 1, 0), byGroup);
      for (const rec of sealed) prep.prepare(rec);
      return ticket;
    },
    take(max = 500) {
      return queue.take({ maxRecords: max, maxBytes: 5 << 20 }, Date.now(), pacer, () => {}, settings.aggregation !== 'none').records;
    },
  };
}

/** Lands the records: what the sender does after every call. */
function landed(r: Rig, records: readonly QueuedRecord[]): void {
  for (const x of records) r.queue.landed(x);
}

t.test('all entries accepted: the ticket resolves, the queue is empty, the monitor hears the put went through', async (t) => {
  const r = rig({ shards: 2 });
  const ticket = r.write(['a', 'b', 'c', 'd']);
  const records = r.take();
  await r.outcomes.send(records);
  landed(r, records);
  await ticket.promise;
  t.equal(r.queue.bytes, 0);
  t.equal(r.monitor.ok, 1);
  t.equal(r.k.records('s').length, records.length);
});

t.test('a partial failure: only the failed records go back, to the front of their line, in their order', async (t) => {
  const r = rig({ shards: 1, aggregation: 'none' });
  // aggregation none: one record per point; distinct keys go in one call.
  const ticket = r.write(['k1', 'k2', 'k3', 'k4']);
  r.k.onPut = (call) => ({ entries: call.entries.map((_, i) => (i === 1 || i === 2 ? 'InternalFailure' : undefined)) });
  const first = r.take();
  t.equal(first.length, 4);
  await r.outcomes.send(first);
  landed(r, first);
  t.same(r.k.records('s').map((x) => x.partitionKey), ['k1', 'k4'], 'the accepted entries stored once');
  t.equal(r.queue.ready.count, 2, 'the failed two are queued again');
  r.k.onPut = undefined;
  await new Promise((resolve) => setTimeout(resolve, 120)); // their backoff (full jitter, < 100 ms at the first attempt)
  const again = r.take();
  t.same(again.map((x) => x.packed.partitionKey), ['k2', 'k3'], 'in their original order');
  t.ok(again.every((x) => x.attempts === 1));
  await r.outcomes.send(again);
  landed(r, again);
  await ticket.promise;
  t.same(r.k.records('s').map((x) => x.partitionKey), ['k1', 'k4', 'k2', 'k3']);
});

t.test('a throttled entry cuts its shard pace and a throttled large record is split before its retry', async (t) => {
  const r = rig({ shards: 1, percent: 100 });
  const keys = Array.from({ length: 4000 }, (_, i) => `series-${i}-${'x'.repeat(80)}`);
  const ticket = r.write(keys);
  const before = r.pacer.bytesRate(r.k.openShards('s')[0]);
  r.k.onPut = (call) => ({ entries: call.entries.map(() => THROTTLED) });
  const first = r.take();
  await new Promise((resolve) => setTimeout(resolve, 150)); // the pacer cuts a shard at most once per 100 ms
  t.equal(first.length, 1, 'one record: a line-format record of the shard');
  t.ok(first[0].size > r.pacer.splitAbove(first[0].packed.group) / 2, 'a large record');
  await r.outcomes.send(first);
  landed(r, first);
  t.ok(r.pacer.bytesRate(first[0].packed.group) < before, 'the pace was cut');
  t.equal(r.queue.ready.count, 2, 'split in two halves before its retry');
  r.k.onPut = undefined;
  for (let i = 0; i < 50 && r.queue.ready.count > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const batch = r.take();
    if (batch.length) {
      await r.outcomes.send(batch);
      landed(r, batch);
    }
  }
  await ticket.promise;
  const lines = r.k.records('s').flatMap((x) => x.data.toString().split('\n').filter(Boolean));
  t.same(lines, keys, 'every point once, in order');
});

t.test('a whole call throttled: every record retried, the monitor hears it, the shard counted throttled', async (t) => {
  const r = rig({ shards: 2 });
  r.write(['a', 'b', 'c', 'd', 'e', 'f']);
  r.k.onPut = () => ({ error: kinesisError(THROTTLED) });
  const records = r.take();
  await r.outcomes.send(records);
  landed(r, records);
  t.equal(r.queue.ready.count, records.length);
  t.same(r.monitor.errors, [THROTTLED]);
  t.equal(r.k.records('s').length, 0);
});

t.test('a fatal answer asks the sender to fail every write; the records, now orphans, are dropped', async (t) => {
  const r = rig({ shards: 2 });
  const ticket = r.write(['a', 'b', 'c']);
  r.k.onPut = (call) => ({ entries: call.entries.map(() => 'KMSAccessDeniedException') });
  const records = r.take();
  await r.outcomes.send(records);
  landed(r, records);
  await t.rejects(ticket.promise);
  t.same(r.monitor.fatal, ['KMSAccessDeniedException']);
  t.equal(r.host.failAll.length, 1);
  t.equal(r.host.failAll[0][0], 'stream_unavailable');
  t.equal(r.queue.ready.count, 0, 'nothing retried');
  t.equal(r.queue.bytes, 0, 'released');
});

t.test('a bisected call: an oversize request answered ValidationException is sent in halves', async (t) => {
  const r = rig({ shards: 1, aggregation: 'none' });
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const ticket = r.write(keys);
  r.k.onPut = (call) => (call.entries.length > 2 ? { error: kinesisError('ValidationException') } : undefined);
  const records = r.take();
  await r.outcomes.send(records);
  landed(r, records);
  await ticket.promise;
  t.same(r.k.records('s').map((x) => x.partitionKey), keys, 'stored once each, in order');
  t.same(r.k.putCalls.map((c) => c.entries.length), [8, 4, 2, 2, 4, 2, 2], 'bisected within the call slot');
});

t.test('KPL: an aggregate that landed off its shard re-sends only the sub-records the landing shard does not own', async (t) => {
  let r!: Rig;
  r = rig({ shards: 1, aggregation: 'kpl', ranges: (landed) => ({ shardId: landed, ...r.k.range('s', landed) }) });
  // Many series, so they spread over both halves of the hash space.
  const keys = Array.from({ length: 64 }, (_, i) => `host-${i}`);
  const ticket = r.write(keys);
  const records = r.take();
  t.equal(records.length, 1, 'one aggregate');
  const predicted = records[0].shardId;
  // A split after the map was read: the aggregate lands on one child, which owns only half of its series.
  const [a, b] = r.k.splitShard('s', r.k.openShards('s')[0]);
  r.state.shardMap = new ShardMap([a, b].map((id) => ({ shardId: id, ...r.k.range('s', id) })));
  await r.outcomes.send(records);
  landed(r, records);
  const first = r.k.records('s')[0];
  t.not(first.shardId, predicted, 'landed off the predicted shard');
  t.equal(r.monitor.stale, 1, 'the map is marked stale');
  await new Promise((resolve) => setImmediate(resolve)); // resendMisplaced awaits the landing shard's range
  t.equal(r.outcomes.resending, 0);
  t.ok(r.host.pumps >= 1, 'the sender is asked to pump the re-sent records');
  const again = r.take();
  t.equal(again.length, 1, 'one aggregate of the misplaced sub-records, for the other child');
  const other = first.shardId === a ? b : a;
  t.equal(again[0].shardId, other);
  await r.outcomes.send(again);
  landed(r, again);
  await ticket.promise;
  // The KCL's rule: a shard keeps only the sub-records whose hash it owns.
  const kept: string[] = [];
  for (const rec of r.k.records('s')) {
    const range = r.k.range('s', rec.shardId);
    for (const u of deaggregate(rec.partitionKey, rec.data)) {
      const h = hashKeyOf(u.partitionKey);
      if (h >= range.start && h <= range.end) kept.push(u.partitionKey);
    }
  }
  t.same([...kept].sort(), [...keys].sort(), 'every point exactly once under the KCL rule');
  const owned = keys.filter((key) => {
    const range = r.k.range('s', first.shardId);
    const h = hashKeyOf(key);
    return h >= range.start && h <= range.end;
  });
  t.equal(deaggregate(again[0].packed.partitionKey, again[0].data).length, keys.length - owned.length, 'only the misplaced ones re-sent');
});
