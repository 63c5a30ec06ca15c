import t from 'tap';
import { RecordPacker } from '../../src/encode/record-packer.js';
import { PointBytes } from '../../src/encode/point-bytes.js';
import { ShardPacer } from '../../src/pacing/shard-pacer.js';
import { StreamQueue, type QueuedRecord } from '../../src/queue/stream-queue.js';
import { Ticket } from '../../src/queue/ticket.js';

let nextKey = 0;
function rec(q: StreamQueue, group: string, ticket: Ticket, size = 100, key = `k${nextKey++}`): QueuedRecord {
  const data = Buffer.alloc(size - 1, 1);
  ticket.hold();
  const r: QueuedRecord = {
    packed: { group, partitionKey: key, explicitHashKey: '1', parts: PointBytes.of([data]), keys: [key], rawBytes: data.length, holders: [ticket] },
    data,
    size,
    shardId: group,
    attempts: 0,
    notBefore: 0,
  };
  q.admitted(1, data.length, new Map([[group, data.length]]));
  q.push(r);
  return r;
}

t.test('take: 500 records and byte caps, round robin over shards, backoff and orphans', async (t) => {
  const q = new StreamQueue(new RecordPacker({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, 1 << 20));
  const live = new Ticket(1, () => {});
  const pacer = new ShardPacer(0);
  for (let i = 0; i < 700; i++) rec(q, `s${i % 3}`, live);
  const dropped: QueuedRecord[] = [];
  const a = q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, (r) => dropped.push(r), false);
  t.equal(a.records.length, 500);
  t.ok(q.isBusy('s0'), 'a group with records in flight is busy');
  t.equal(q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false).records.length, 0, 'and holds back its later records');
  for (const r of a.records) q.landed(r);
  const b = q.take({ maxRecords: 500, maxBytes: 100 * 50 }, 0, pacer, (r) => dropped.push(r), false);
  t.equal(b.records.length, 50, 'byte cap');
  for (const r of b.records) q.landed(r);
  t.equal(q.ready.count, 150);
  // A record backing off holds its shard's line, not the others.
  const c = q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false);
  for (const r of c.records) q.landed(r);
  const back = c.records[0];
  back.notBefore = 5000;
  q.push(back, true);
  const d = q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 1000, pacer, () => {}, false);
  t.equal(d.records.length, 0);
  t.equal(d.wakeAt, 5000);
  // Orphans (every holder answered) are dropped, not sent.
  const dead = new Ticket(1, () => {});
  rec(q, 'sx', dead);
  dead.fail(new Error('deadline'));
  dead.promise.catch(() => {});
  const e = q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 6000, pacer, (r) => dropped.push(r), false);
  t.equal(e.records.length, 1, 'the backed-off record, once due');
  t.equal(dropped.length, 1, 'the orphan was dropped');
});

t.test('take: one record per group per call (aggregated records), or every record the limits allow (one point per record)', async (t) => {
  const q = new StreamQueue(new RecordPacker({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, 1 << 20));
  const live = new Ticket(1, () => {});
  const pacer = new ShardPacer(0);
  for (let i = 0; i < 6; i++) rec(q, `s${i % 2}`, live);
  const a = q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, true);
  t.same(a.records.map((r) => r.packed.group).sort(), ['s0', 's1'], 'one record of each shard');
  t.equal(q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, true).records.length, 0, 'later records wait for the earlier to land');
  for (const r of a.records) q.landed(r);
  t.equal(q.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, true).records.length, 2);
  const k = new StreamQueue(new RecordPacker({ aggregation: 'none', keying: () => ({ explicitHashKey: true }) }, 1 << 20), true);
  const x1 = rec(k, 's0', live, 100, 'x');
  const x2 = rec(k, 's0', live, 100, 'x');
  const y1 = rec(k, 's0', live, 100, 'y');
  t.equal(k.backlog('s0'), 3 * 99, 'backlog per group: raw bytes admitted and not done');
  const first = k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false).records;
  t.same(first, [x1, x2, y1], 'a key may appear more than once per call, as Kinesis allows, in line order');
  t.equal(k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false).records.length, 0, 'nothing of the shard while its call is out');
  // A retried record goes back to the front: it goes before the later records of its shard.
  for (const r of first) k.landed(r);
  x1.notBefore = 50;
  k.push(x1, true);
  const x3 = rec(k, 's0', live, 100, 'x');
  t.same(k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 10, pacer, () => {}, false).records, [], 'backing off: the shard waits');
  t.same(k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 60, pacer, () => {}, false).records, [x1, x3], 'the retry first, then the next');
});

t.test('take, one point per record: 8 series of 100 points go in calls as full as the limits allow (not one record per series and call)', async (t) => {
  const k = new StreamQueue(new RecordPacker({ aggregation: 'none', keying: () => ({ explicitHashKey: true }) }, 1 << 20), true);
  const live = new Ticket(1, () => {});
  const pacer = new ShardPacer(0);
  for (let s = 0; s < 8; s++) for (let i = 0; i < 100; i++) rec(k, 's0', live, 100, `series${s}`);
  const sizes: number[] = [];
  for (let got = k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false).records; got.length > 0; got = k.take({ maxRecords: 500, maxBytes: 1 << 20 }, 0, pacer, () => {}, false).records) {
    sizes.push(got.length);
    for (const r of got) k.landed(r);
  }
  t.same(sizes, [500, 300], 'two calls for 800 records');
});

t.test('ticket resolves when its last record is accepted, once', async (t) => {
  let settled = 0;
  const tk = new Ticket(10, () => settled++);
  tk.hold();
  tk.hold();
  tk.recordAccepted();
  t.notOk(tk.settled);
  tk.recordAccepted();
  await tk.promise;
  tk.fail(new Error('late'));
  t.equal(settled, 1);
});
