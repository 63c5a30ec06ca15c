// A sealed record becomes Kinesis data: queued at once without compression (records sealed together share a
// request), compressed on the thread pool otherwise; split when too large; a single point that cannot fit
// fails its writes; a hash range (no shard map) is never taken for a shard id.
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import type { DeliverySettings } from '../../../src/config/types.js';
import { RecordPreparation } from '../../../src/deliver/sender/record-preparation.js';
import { RecordPacker, type PackedRecord, type RecordKeying } from '../../../src/encode/record-packer.js';
import { ShardPacer } from '../../../src/pacing/shard-pacer.js';
import { StreamQueue } from '../../../src/queue/stream-queue.js';
import { Ticket } from '../../../src/queue/ticket.js';
import { quietLogger, settings as base } from './setup.js';

function rig(opts: { compression?: DeliverySettings['compression']; limit?: number; keying?: RecordKeying } = {}) {
  const settings = { ...base, compression: opts.compression ?? 'none' };
  let keying: RecordKeying = opts.keying ?? { explicitHashKey: true };
  const queue = new StreamQueue(new RecordPacker<Ticket>({ aggregation: 'lines', keying: () => keying }, 1 << 20));
  const events = { compressed: 0, failed: [] as string[] };
  const prep = new RecordPreparation(
    { stream: 's', settings, logger: quietLogger, recordLimit: () => opts.limit ?? 1 << 20, keying: () => keying },
    queue,
    { compressed: () => void events.compressed++, fail: (_rec, message) => void events.failed.push(message) },
  );
  const seal = (group: string, lines: readonly string[]): PackedRecord<Ticket> => {
    const ticket = new Ticket(lines.length, () => {});
    const sealed: PackedRecord<Ticket>[] = [];
    for (const l of lines) queue.packer.add(group, l.split(' ')[0], Buffer.from(`${l}\n`), ticket, sealed);
    queue.packer.sealAll(sealed);
    return sealed[0];
  };
  const taken = () => queue.take({ maxRecords: 500, maxBytes: 5 << 20 }, Date.now(), new ShardPacer(0), () => {}, false).records;
  return { queue, prep, events, seal, taken, setKeying: (k: RecordKeying) => void (keying = k) };
}

t.test('without compression a record is queued at once, its shard predicted', (t) => {
  const r = rig();
  r.prep.prepare(r.seal('shard-1', ['a v=1i 1', 'b v=2i 2']));
  t.equal(r.prep.preparing, 0);
  const [q] = r.taken();
  t.equal(q.data.toString(), 'a v=1i 1\nb v=2i 2\n');
  t.equal(q.shardId, 'shard-1');
  t.equal(q.size, q.data.length + 1, 'data plus partition key');
  t.end();
});

t.test('a hash range is not a shard id: nothing to check the landing shard against', (t) => {
  const r = rig({ keying: { explicitHashKey: true, groupHashKey: new Map([['range-0', '123']]) } });
  r.prep.prepare(r.seal('range-0', ['a v=1i 1']));
  const [q] = r.taken();
  t.equal(q.shardId, undefined);
  t.equal(q.packed.explicitHashKey, '123', 'the range fixed key');
  t.end();
});

t.test('with compression the record is queued once compressed, and the ratio learnt', async (t) => {
  const r = rig({ compression: 'gzip' });
  const lines = Array.from({ length: 500 }, (_, i) => `cpu,host=a v=${i % 3}i ${i}`);
  const ratio = r.prep.ratio;
  const packed = r.seal('shard-1', lines);
  r.prep.prepare(packed);
  t.equal(r.prep.preparing, 1, 'on the thread pool');
  t.equal(r.queue.ready.count, 0);
  while (r.events.compressed === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(r.prep.preparing, 0);
  const [q] = r.taken();
  t.equal(gunzipSync(q.data).toString(), lines.map((l) => `${l}\n`).join(''));
  t.ok(r.prep.ratio > ratio, 'a text this regular compresses well');
  t.ok(r.prep.packBudget() > 1 << 20, 'and packs more raw bytes per record');
});

t.test('too large for the record limit: split in halves, in order; a single point that cannot fit fails', (t) => {
  const r = rig({ limit: 40 });
  r.prep.prepare(r.seal('shard-1', ['a v=1i 1', 'b v=2i 2', 'c v=3i 3', 'd v=4i 4', 'e v=5i 5']));
  const got = r.taken().map((q) => q.data.toString());
  t.same(got.join(''), 'a v=1i 1\nb v=2i 2\nc v=3i 3\nd v=4i 4\ne v=5i 5\n', 'every point, in order');
  t.ok(got.length >= 2);
  r.prep.prepare(r.seal('shard-2', ['x'.repeat(60) + ' v=1i 1']));
  t.equal(r.events.failed.length, 1);
  t.match(r.events.failed[0], /RecordTooLarge/);
  t.end();
});

t.test('a retried record split at the front: its halves go first, first half first', (t) => {
  const r = rig();
  r.prep.prepare(r.seal('shard-1', ['later v=1i 9']));
  r.prep.split(r.seal('shard-1', ['a v=1i 1', 'b v=1i 2', 'c v=1i 3', 'd v=1i 4']), 'ProvisionedThroughputExceededException', true);
  const order: string[] = [];
  for (let q = r.taken(); q.length; q = r.taken()) {
    for (const x of q) {
      order.push(x.data.toString());
      r.queue.landed(x);
    }
  }
  t.same(order, ['a v=1i 1\nb v=1i 2\n', 'c v=1i 3\nd v=1i 4\n', 'later v=1i 9\n']);
  t.end();
});
