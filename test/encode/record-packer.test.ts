import t from 'tap';
import { RecordPacker, recordData, recordSizeOf, type Holder, type PackedRecord } from '../../src/encode/record-packer.js';
import { KplAggregate } from '../../src/encode/kpl-format.js';
import { hashKeyOf } from '../../src/encode/shard-map.js';
import { agg, deaggregate } from './kpl-deagg.js';

class H implements Holder {
  held = 0;
  hold(): void {
    this.held++;
  }
}

const line = (i: number, pad = 100): Buffer => Buffer.from(`m,host=h${i % 7} v=${'9'.repeat(pad)} ${i}\n`);

t.test('lines: records never exceed the budget, partition key included, and pack tightly', async (t) => {
  const budget = 64 * 1024;
  const p = new RecordPacker<H>({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, budget);
  const h = new H();
  const sealed: PackedRecord<H>[] = [];
  for (let i = 0; i < 5000; i++) p.add('shard-0', `m,host=h${i % 7}`, line(i), h, sealed);
  p.sealAll(sealed);
  const sizes = sealed.map((r) => recordData('lines', r.parts, r.keys).length + Buffer.byteLength(r.partitionKey));
  t.ok(sizes.every((s) => s <= budget), `max ${Math.max(...sizes)}`);
  t.ok(sizes.slice(0, -1).every((s) => s > budget - 200), 'each sealed record is within one point of the budget');
  t.equal(sealed.reduce((n, r) => n + r.parts.length, 0), 5000, 'no point lost');
  t.equal(h.held, sealed.length, 'the holder is told once per record');
  t.same(sizes, sealed.map((r) => recordSizeOf('lines', r.parts, r.keys)), 'recordSizeOf agrees with the built data');
  const r0 = sealed[0];
  t.equal(r0.partitionKey, r0.keys[0], 'record key = first point key');
  t.equal(r0.explicitHashKey, hashKeyOf(r0.keys[0]).toString(), 'ExplicitHashKey = hash of that key');
});

t.test('groups fill separately; holders are listed once per record', async (t) => {
  const p = new RecordPacker<H>({ aggregation: 'lines', keying: () => ({ explicitHashKey: false }) }, 1 << 20);
  const a = new H();
  const b = new H();
  const sealed: PackedRecord<H>[] = [];
  p.add('g1', 'k1', line(1), a, sealed);
  p.add('g2', 'k2', line(2), a, sealed);
  p.add('g1', 'k1', line(3), b, sealed);
  p.add('g1', 'k1', line(4), a, sealed);
  p.sealAll(sealed);
  t.equal(sealed.length, 2);
  const g1 = sealed.find((r) => r.group === 'g1');
  t.equal(g1?.holders.length, 2);
  t.equal(g1?.explicitHashKey, undefined, 'no shard map, no ExplicitHashKey');
  t.same([a.held, b.held], [2, 1]);
});

t.test('none: one point per record', async (t) => {
  const p = new RecordPacker<H>({ aggregation: 'none', keying: () => ({ explicitHashKey: true }) }, 1 << 20);
  const sealed: PackedRecord<H>[] = [];
  const h = new H();
  for (let i = 0; i < 10; i++) p.add('s', `k${i}`, line(i), h, sealed);
  p.sealAll(sealed);
  t.equal(sealed.length, 10);
  t.same(sealed.map((r) => r.partitionKey), sealed.map((r) => r.keys[0]));
});

t.test('split halves a record and makes every holder wait for both halves', async (t) => {
  const p = new RecordPacker<H>({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, 1 << 20);
  const sealed: PackedRecord<H>[] = [];
  const h = new H();
  for (let i = 0; i < 9; i++) p.add('s', `k${i}`, line(i), h, sealed);
  p.sealAll(sealed);
  const [a, b] = p.split(sealed[0]);
  t.equal(a.parts.length + b.parts.length, 9);
  t.equal(b.partitionKey, 'k4');
  t.equal(b.explicitHashKey, hashKeyOf('k4').toString());
  t.equal(a.rawBytes + b.rawBytes, sealed[0].rawBytes);
  t.equal(h.held, 2);
});

t.test('kpl: exact bytes of the reference aggregator, de-aggregated by aws-kinesis-agg', async (t) => {
  const users = Array.from({ length: 300 }, (_, i) => ({ partitionKey: `cpu,host=h${i % 5}`, data: line(i) }));
  const mine = new KplAggregate();
  const ref = new agg.RecordAggregator();
  for (const u of users) {
    const before = mine.sizeWith(u.partitionKey, u.data);
    mine.add(u.partitionKey, u.data);
    t.equal(mine.size, before, 'sizeWith predicts the size');
    ref.addUserRecord(u);
  }
  const built = mine.build();
  t.equal(built.length, mine.size);
  t.same(built.subarray(0, 4), Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), 'magic');
  t.ok(built.equals(ref.build().data), 'byte-identical to aws-kinesis-agg RecordAggregator');
  const back = deaggregate('a', built);
  t.equal(back.length, 300);
  t.same(back.map((r) => r.partitionKey), users.map((u) => u.partitionKey), 'partition keys restored');
  t.ok(back.every((r, i) => r.data.equals(users[i].data)), 'data restored');
});

t.test('kpl packing: per-shard aggregate within budget, outer key "a", one-record aggregates sent plain', async (t) => {
  const budget = 50 * 1024;
  const p = new RecordPacker<H>({ aggregation: 'kpl', keying: () => ({ explicitHashKey: true }) }, budget);
  const h = new H();
  const sealed: PackedRecord<H>[] = [];
  for (let i = 0; i < 2000; i++) p.add('shard', `cpu,host=h${i % 50}`, line(i), h, sealed);
  p.add('other', 'solo', line(1), h, sealed);
  p.sealAll(sealed);
  for (const r of sealed) {
    const data = recordData('kpl', r.parts, r.keys);
    t.ok(data.length + Buffer.byteLength(r.partitionKey) <= budget);
    if (r.parts.length > 1) {
      t.equal(r.partitionKey, 'a');
      t.equal(r.explicitHashKey, hashKeyOf(r.keys[0]).toString());
      t.same(deaggregate(r.partitionKey, data).map((u) => u.partitionKey), r.keys);
    } else {
      t.equal(r.partitionKey, 'solo');
      t.ok(data.equals(line(1)), 'single user record: plain data, as the KPL does');
    }
  }
  t.equal(sealed.reduce((n, r) => n + r.parts.length, 0), 2001);
  t.ok(sealed[0].parts.length > 300, `about 50 KiB of points per record (${sealed[0].parts.length})`);
});

t.test('kpl without a shard map: an aggregate still routes by its first key, never by MD5("a")', async (t) => {
  const p = new RecordPacker<H>({ aggregation: 'kpl', keying: () => ({ explicitHashKey: false }) }, 50 * 1024);
  const h = new H();
  const sealed: PackedRecord<H>[] = [];
  for (let i = 0; i < 10; i++) p.add('key:cpu,host=a', 'cpu,host=a', line(i), h, sealed);
  p.add('key:solo', 'solo', line(1), h, sealed);
  p.sealAll(sealed);
  const agg = sealed.find((r) => r.parts.length > 1);
  t.equal(agg?.partitionKey, 'a');
  t.equal(agg?.explicitHashKey, hashKeyOf('cpu,host=a').toString(), 'the KCL keeps sub-records whose key hashes into the landing shard');
  t.equal(sealed.find((r) => r.parts.length === 1)?.explicitHashKey, undefined, 'a plain record routes by its own key');
});
