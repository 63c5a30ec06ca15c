import fc from 'fast-check';
import t from 'tap';
import { seriesKeyOf } from '../../src/encode/partition-key.js';
import { SeriesKeyCache } from '../../src/encode/series-cache.js';
import { hashKeyOf, shardMapFromListShards } from '../../src/encode/shard-map.js';

const SPAN = 2n ** 128n / 4n;
const map = shardMapFromListShards(
  Array.from({ length: 4 }, (_, i) => ({
    ShardId: `s${i}`,
    HashKeyRange: { StartingHashKey: String(SPAN * BigInt(i)), EndingHashKey: String(i === 3 ? 2n ** 128n - 1n : SPAN * BigInt(i + 1) - 1n) },
  })),
);

t.test('same bytes, same entry; the key and shard are those of the string path', async (t) => {
  // Series at every alignment, in one buffer (word reads) and at the very end of their ArrayBuffer (byte path).
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 0, maxLength: 300 }), fc.nat(7)), { minLength: 1, maxLength: 40 }), (specs) => {
      const cache = new SeriesKeyCache(4096); // small: resets happen too
      for (let round = 0; round < 2; round++) {
        for (const [text, pad] of specs) {
          const bytes = Buffer.from(text, 'utf8');
          const inside = Buffer.concat([Buffer.alloc(pad, 0x61), bytes, Buffer.from(' f=1i 1\n')]);
          const atEnd = new Uint8Array(new ArrayBuffer(pad + bytes.length));
          atEnd.set(bytes, pad);
          for (const [data, start] of [[inside, pad], [Buffer.from(atEnd.buffer), pad]] as const) {
            const e = cache.lookup(data, start, bytes.length);
            const key = seriesKeyOf(data, start, bytes.length);
            if (e.key !== key) throw new Error(`key ${JSON.stringify(e.key)} != ${JSON.stringify(key)}`);
            if (cache.shardIdOf(e, map) !== map.shardIdOf(hashKeyOf(key))) throw new Error('shard');
          }
        }
      }
    }),
    { numRuns: 300 },
  );
  t.pass('agrees with the string path');
});

t.test('different series are never confused, whatever their hashes', async (t) => {
  const cache = new SeriesKeyCache();
  const lines = Array.from({ length: 5000 }, (_, i) => `disk,device=nvme0n1p${i % 3},host=web-${String(i).padStart(4, '0')}.example.com,path=/d\\ ${i % 7}`);
  const data = Buffer.from(lines.map((l) => `${l} x=1 1\n`).join(''));
  const seen = new Map<string, unknown>();
  for (let round = 0; round < 2; round++) {
    let at = 0;
    for (const l of lines) {
      const len = Buffer.byteLength(l);
      const e = cache.lookup(data, at, len);
      if (e.key !== l) t.fail(`got ${e.key} for ${l}`);
      if (round === 1 && seen.get(l) !== e) t.fail(`a new entry for ${l}`);
      seen.set(l, e);
      at = data.indexOf(0x0a, at) + 1;
    }
  }
  t.equal(new Set(seen.values()).size, lines.length);
});

t.test('a new shard map is used as soon as it replaces the old one', async (t) => {
  const cache = new SeriesKeyCache();
  const data = Buffer.from('cpu,host=a x=1 1\n');
  const e = cache.lookup(data, 0, 10);
  t.equal(cache.shardIdOf(e, map), map.shardIdOf(hashKeyOf('cpu,host=a')));
  const one = shardMapFromListShards([{ ShardId: 'only', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(2n ** 128n - 1n) } }]);
  t.equal(cache.shardIdOf(e, one), 'only');
});
