// The protobuf wire reader: test vectors from the encoding guide (protobuf.dev/programming-guides/encoding),
// protobufjs as the independent encoder, and hostile bytes (never an exception other than ProtobufError).
import t from 'tap';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { ProtoReader, ProtobufError, isUtf8 } from '../../src/decode/protobuf.js';

t.test('varints, zigzag, fixed, doubles, lengths', async (t) => {
  // 150 as field 1 varint: 08 96 01 (the guide's first example).
  const r = new ProtoReader(Buffer.from([0x08, 0x96, 0x01]));
  t.equal(r.tag(), 8);
  t.equal(r.uint32(), 150);
  t.notOk(r.more());
  // int64 -1 is ten bytes; sint64 -1 is 01; 2^53 - 1 and -(2^53 - 1) exactly.
  const w = protobuf.Writer.create();
  w.int64(-1).sint64(-1).int64(2 ** 53 - 1).int64(-(2 ** 53 - 1)).sint64(-(2 ** 40)).uint64(2 ** 52 + 3).double(-0.5).fixed64(7).sfixed64(-9).string('héllo').fixed32(4000000000).float(1.5).bool(true);
  const b = Buffer.from(w.finish());
  const x = new ProtoReader(b);
  t.equal(x.int64(), -1);
  t.equal(x.sint64(), -1);
  t.equal(x.int64(), 2 ** 53 - 1);
  t.equal(x.int64(), -(2 ** 53 - 1));
  t.equal(x.sint64(), -(2 ** 40));
  t.equal(x.uint64Big(), BigInt(2 ** 52 + 3));
  t.equal(x.double(), -0.5);
  t.equal(x.fixed64Number(), 7);
  t.equal(x.sfixed64(), -9);
  x.len();
  t.equal(b.toString('utf8', x.s, x.e), 'héllo');
  t.equal(x.fixed32(), 4000000000);
  t.equal(x.float(), 1.5);
  t.equal(x.bool(), true);
  t.notOk(x.more());
  const big = new ProtoReader(Buffer.from(protobuf.Writer.create().uint64('18446744073709551615').fixed64('18446744073709551615').finish()));
  t.equal(big.uint64Big(), 2n ** 64n - 1n);
  t.equal(big.fixed64Big(), 2n ** 64n - 1n);
});

t.test('unknown fields are skipped; groups, truncation and field 0 are errors', async (t) => {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).uint64(5).uint32((2 << 3) | 1).fixed64(1).uint32((3 << 3) | 2).bytes(Buffer.from('abc')).uint32((4 << 3) | 5).fixed32(1).uint32((9 << 3) | 0).uint32(42);
  const r = new ProtoReader(Buffer.from(w.finish()));
  for (let i = 0; i < 4; i++) r.skip(r.tag() & 7);
  t.equal(r.tag(), (9 << 3) | 0);
  t.equal(r.uint32(), 42);
  const bad: Array<[string, number[]]> = [
    ['group start', [(1 << 3) | 3]],
    ['group end', [(1 << 3) | 4]],
    ['wire type 6', [(1 << 3) | 6]],
    ['length past the end', [(1 << 3) | 2, 5, 1, 2]],
    ['truncated varint', [(1 << 3) | 0, 0x80]],
    ['11-byte varint', [(1 << 3) | 0, ...Array(10).fill(0xff), 1]],
    ['truncated fixed64', [(1 << 3) | 1, 1, 2, 3]],
    ['field 0', [0]],
  ];
  for (const [name, bytes] of bad) {
    t.throws(() => { const x = new ProtoReader(Buffer.from(bytes)); while (x.more()) x.skip(x.tag() & 7); }, ProtobufError, name);
  }
});

t.test('a message end bounds every read', async (t) => {
  // A length-delimited field inside a sub-range cannot reach past the sub-range.
  const b = Buffer.from([(1 << 3) | 2, 3, 0x41, 0x42, 0x43]);
  const r = new ProtoReader(b, 0, 4);
  r.tag();
  t.throws(() => r.len(), ProtobufError);
});

t.test('random bytes: skipping fields ends with a ProtobufError or at the end, never hangs', async () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const r = new ProtoReader(bytes);
    try {
      while (r.more()) r.skip(r.tag() & 7);
    } catch (err) {
      if (!(err instanceof ProtobufError)) throw err;
    }
  }), { numRuns: 5000, seed: 5 });
});

t.test('isUtf8 agrees with the TextDecoder (fatal)', async () => {
  const dec = new TextDecoder('utf-8', { fatal: true });
  const ok = (b: Uint8Array): boolean => { try { dec.decode(b); return true; } catch { return false; } };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (b) => isUtf8(b, 0, b.length) === ok(b)), { numRuns: 10000, seed: 3 });
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => { const b = Buffer.from(s); return isUtf8(b, 0, b.length) === ok(b); }), { numRuns: 5000, seed: 4 });
  for (const bad of [[0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xff]]) {
    t.notOk(isUtf8(Uint8Array.from(bad), 0, bad.length), JSON.stringify(bad));
  }
});
