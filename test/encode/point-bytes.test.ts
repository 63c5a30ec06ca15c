// A record's points back to back in one buffer it owns: copied once from the parse output, sliced and re-read
// exactly, and no view of the parse output kept (a queued record must not hold a request's buffer alive).
import t from 'tap';
import { PointBytes } from '../../src/encode/point-bytes.js';
import { RecordPacker, recordData, type Holder, type PackedRecord } from '../../src/encode/record-packer.js';

const holder: Holder = { hold: () => undefined };

t.test('points pushed from offsets read back exactly, across growth, slices and copies', async (t) => {
  const src = Buffer.from(Array.from({ length: 3000 }, (_, i) => `m,host=h${i} v=${i}i ${i}\n`).join(''));
  const ends: number[] = [];
  for (let at = src.indexOf(10); at >= 0; at = src.indexOf(10, at + 1)) ends.push(at + 1);
  const p = new PointBytes(16, 1 << 20);
  ends.forEach((end, i) => p.push(src, i === 0 ? 0 : ends[i - 1], end));
  t.equal(p.length, 3000);
  t.equal(p.byteLength, src.length);
  t.ok(p.bytes().equals(src), 'the record data is the lines back to back');
  t.equal(p.at(1234).toString(), 'm,host=h1234 v=1234i 1234\n');
  const [a, b] = [p.slice(0, 1500), p.slice(1500)];
  t.ok(Buffer.concat([a.bytes(), b.bytes()]).equals(src), 'two halves make the whole');
  t.equal(b.at(0).toString(), 'm,host=h1500 v=1500i 1500\n');
  t.equal(p.slice(5, 5).length, 0);
  const c = new PointBytes();
  c.pushFrom(p, 7);
  c.pushFrom(b, 2);
  t.equal(c.bytes().toString(), 'm,host=h7 v=7i 7\nm,host=h1502 v=1502i 1502\n');
  t.equal(c.lengthOf(1), 26);
  t.ok(PointBytes.of([Buffer.from('ab'), Buffer.from('c')]).bytes().equals(Buffer.from('abc')));
});

t.test('a sealed record holds no view of the buffer its points came from', async (t) => {
  const p = new RecordPacker<Holder>({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, 1 << 20);
  const sealed: PackedRecord<Holder>[] = [];
  const src = Buffer.from('m v=1i 1\nm v=2i 2\n');
  p.addBytes('s0', 'm', src, 0, 9, holder, sealed);
  p.addBytes('s0', 'm', src, 9, 18, holder, sealed);
  src.fill(0x78); // the parse output is reused or freed after the request: the record must not see it
  p.sealAll(sealed);
  t.equal(recordData('lines', sealed[0].parts, sealed[0].keys).toString(), 'm v=1i 1\nm v=2i 2\n');
  t.equal(sealed[0].parts.byteLength, 18);
});
