// Record buffers reused: a buffer comes back once, when its record is done, only in the sizes the pool makes, and
// the pool keeps no more than its bound. Records built from pooled buffers carry exactly their points.
import t from 'tap';
import { BufferPool, MAX_POOLED, MIN_POOLED } from '../../src/encode/buffer-pool.js';
import { PointBytes } from '../../src/encode/point-bytes.js';
import { RecordPacker, recordData, type Holder, type PackedRecord } from '../../src/encode/record-packer.js';

t.test('sizes, reuse and the bound', async (t) => {
  const pool = new BufferPool(64 * 1024);
  const a = pool.take(3000);
  t.equal(a.length, 4096, 'rounded up to a power of two');
  t.equal(pool.take(10).length, MIN_POOLED);
  pool.give(a);
  t.equal(pool.idleBytes, 4096);
  t.equal(pool.take(4000), a, 'a kept buffer is lent again');
  t.equal(pool.idleBytes, 0);
  pool.give(Buffer.allocUnsafe(2048)); // a slice of Node's shared 8 KiB pool
  pool.give(Buffer.allocUnsafeSlow(8192).subarray(0, 4096));
  pool.give(Buffer.allocUnsafeSlow(5000));
  t.equal(pool.idleBytes, 0, 'only whole power-of-two buffers of their own are kept (none of Node\'s shared pool)');
  const big = pool.take(MAX_POOLED + 1);
  pool.give(big);
  t.equal(pool.idleBytes, 0, 'above the largest size: not pooled');
  for (let i = 0; i < 40; i++) pool.give(Buffer.allocUnsafeSlow(4096));
  t.equal(pool.idleBytes, 64 * 1024, 'no more than maxIdleBytes kept');
});

t.test('a pooled record buffer goes back once, at recycle, and growth gives back the outgrown one', async (t) => {
  const pool = new BufferPool(1 << 20);
  const p = new PointBytes(2048, 1 << 20, pool);
  const line = Buffer.from('m,host=a v=1i 1\n');
  for (let i = 0; i < 200; i++) p.push(line, 0, line.length);
  t.equal(p.byteLength, 200 * line.length);
  t.equal(pool.idleBytes, 2048, 'the first buffer went back when outgrown');
  t.ok(p.bytes().equals(Buffer.concat(Array.from({ length: 200 }, () => line))));
  p.recycle();
  p.recycle();
  t.equal(pool.idleBytes, 2048 + 4096, 'recycled once, however often asked');
  t.equal(p.length, 200, 'the count stays');
  t.equal(p.bytes().length, 0, 'no bytes are readable after recycle');
});

t.test('records packed from reused buffers carry exactly their own points', async (t) => {
  const holder: Holder = { hold: () => undefined };
  const packer = new RecordPacker<Holder>({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }), poolBytes: 1 << 20 }, 8192);
  const lines = Array.from({ length: 5000 }, (_, i) => Buffer.from(`m,host=h${i % 7} v=${i}i ${i}\n`));
  const sealed: PackedRecord<Holder>[] = [];
  const seen: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    packer.add(`shard-${i % 3}`, `k${i % 7}`, lines[i], holder, sealed);
    // Records done at once, as a call answered: read, then recycled.
    for (const rec of sealed.splice(0)) {
      seen.push(recordData('lines', rec.parts, rec.keys).toString());
      rec.parts.recycle();
    }
  }
  packer.sealAll(sealed);
  for (const rec of sealed) seen.push(recordData('lines', rec.parts, rec.keys).toString());
  const got = seen.join('').split('\n').filter(Boolean).sort();
  t.same(got, lines.map((l) => l.toString().trimEnd()).sort(), 'every point once, none overwritten');
  t.ok(packer.pooledBytes > 0, 'buffers were kept for reuse');
  t.ok(packer.pooledBytes <= 1 << 20);
});

t.test('kpl and one-point records take no pooled buffer', async (t) => {
  const holder: Holder = { hold: () => undefined };
  for (const aggregation of ['kpl', 'none'] as const) {
    const packer = new RecordPacker<Holder>({ aggregation, keying: () => ({ explicitHashKey: true }), poolBytes: 1 << 20 }, 8192);
    const sealed: PackedRecord<Holder>[] = [];
    for (let i = 0; i < 500; i++) packer.add('s', `k${i}`, Buffer.from(`m v=${i}i\n`), holder, sealed);
    packer.sealAll(sealed);
    for (const rec of sealed) rec.parts.recycle();
    t.equal(packer.pooledBytes, 0, aggregation);
  }
});
