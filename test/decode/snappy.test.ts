// Snappy block decoding: round trips with snappyjs (an independent encoder), every element kind, lying
// lengths, copies from before the start, and the declared length checked before any allocation.
import t from 'tap';
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { SnappyError, snappyDecode, snappyDeclaredLength } from '../../src/decode/snappy.js';

t.test('round trips', async () => {
  const cases = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('abcabcabcabcabcabcabcabc'), Buffer.alloc(100000, 7), Buffer.from('x'.repeat(70000) + 'y'.repeat(3)),
    Buffer.from(Array.from({ length: 5000 }, (_, i) => `series{instance="host-${i % 50}",job="node"} ${i}`).join('\n'))];
  for (const c of cases) t.ok(snappyDecode(compress(c), 1 << 20).equals(c), `${c.length} bytes`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(8), (b, rep) => {
    const x = Buffer.concat(Array(rep + 1).fill(Buffer.from(b)));
    return snappyDecode(compress(x), 1 << 20).equals(x);
  }), { numRuns: 500, seed: 9 });
});

t.test('literal lengths of 1 to 4 extra bytes and 4-byte copy offsets (hand-made)', async (t) => {
  // 70000 bytes: literal with a 3-byte length (tag 62<<2), then a copy of 64 bytes from 70000 back (tag 3: 4-byte offset).
  const lit = Buffer.alloc(70000, 0).map((_, i) => i % 251);
  const len = 70000 + 64;
  const head = [len & 0x7f | 0x80, (len >> 7) & 0x7f | 0x80, len >> 14];
  const n = 70000 - 1;
  const body = Buffer.concat([Buffer.from(head), Buffer.from([62 << 2, n & 0xff, (n >> 8) & 0xff, n >> 16]), lit, Buffer.from([(63 << 2) | 3, 0x70, 0x11, 0x01, 0x00])]);
  const out = snappyDecode(body, 1 << 20);
  t.equal(out.length, len);
  t.ok(out.subarray(70000).equals(lit.subarray(0, 64)));
});

t.test('overlapping copies repeat the last bytes', async (t) => {
  // "ab" then copy len 10 offset 2 (1-byte offset form: len 4..11).
  const body = Buffer.from([12, (1 << 2) | 0, 0x61, 0x62, ((10 - 4) << 2) | 1, 2]);
  t.equal(snappyDecode(body, 100).toString(), 'abababababab');
});

t.test('lies and bombs', async (t) => {
  const over = (b: number[] | Buffer, max: number, status: number, re: RegExp, name: string): void => {
    try { snappyDecode(Buffer.from(b), max); t.fail(`${name}: no error`); } catch (err) {
      t.ok(err instanceof SnappyError, name);
      t.equal((err as SnappyError).status, status, name);
      t.match((err as Error).message, re, name);
    }
  };
  // Declares 4 GiB: refused before allocating (413).
  over([0xff, 0xff, 0xff, 0xff, 0x0f], 1 << 20, 413, /declares 4294967295 bytes/, 'declared 4 GiB');
  over([0x81, 0x80, 0x40, 0, 0], 1 << 20, 413, /declares/, 'declared 1 GiB');
  over([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 1 << 20, 400, /unreadable length/, 'length varint too long');
  over([], 10, 400, /unreadable length/, 'empty');
  over([10, 0 << 2, 0x61], 100, 400, /1 bytes decoded, 10 declared/, 'shorter than declared');
  over([1, 1 << 2, 0x61, 0x62], 100, 400, /more bytes than the declared length/, 'longer than declared');
  over([8, (4 - 4) << 2 | 1, 1], 100, 400, /before the start/, 'copy before the start');
  over([8, 0, 0x61, (4 - 4) << 2 | 1, 0], 100, 400, /before the start/, 'copy with offset 0');
  over([8, 60 << 2], 100, 400, /literal length runs past/, 'literal length truncated');
  over([8, 5 << 2, 0x61], 100, 400, /literal runs past/, 'literal truncated');
  over([8, 2], 100, 400, /copy runs past/, 'copy truncated');
  t.equal(snappyDeclaredLength(Buffer.from([0x80, 0x01])), 128);
  // A real bomb: 1 MiB of zeros compresses to ~50 KB; with a 64 KiB limit it is a 413 from the header alone.
  over(compress(Buffer.alloc(1 << 20)) as Buffer, 65536, 413, /declares 1048576 bytes/, 'bomb');
});

t.test('random bytes never throw anything but SnappyError, never write past the declared length', async () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
    try { const out = snappyDecode(b, 4096); return out.length === snappyDeclaredLength(b); } catch (err) { return err instanceof SnappyError; }
  }), { numRuns: 30000, seed: 2 });
});
