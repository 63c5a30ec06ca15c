import t from 'tap';
import { HashKeyCache, ShardMap, hashKeyOf, shardMapFromListShards } from '../../src/encode/shard-map.js';
import { DEFAULT_SERIES_CACHE_BYTES } from '../../src/config/schema.js';
import { loadSettings } from '../../src/config/settings.js';

t.test('hash keys are MD5 as a big-endian 128-bit integer', async (t) => {
  // Known digests: MD5("") = d41d8cd9..., MD5("a") = 0cc175b9..., MD5("abc") = 90015098...
  t.equal(hashKeyOf(''), BigInt('0xd41d8cd98f00b204e9800998ecf8427e'));
  t.equal(hashKeyOf('a'), BigInt('0x0cc175b9c0f1b6a831c399e269772661'));
  t.equal(hashKeyOf('abc'), BigInt('0x900150983cd24fb0d6963f7d28e17f72'));
  t.equal(hashKeyOf('é'), BigInt('0x' + (await import('node:crypto')).createHash('md5').update(Buffer.from([0xc3, 0xa9])).digest('hex')), 'UTF-8 bytes hashed');
  t.equal(new HashKeyCache(2).get('a'), hashKeyOf('a'));
});

t.test('the key → hash cache is bounded in bytes, not entries, and gives its memory back', async (t) => {
  // It held up to 200,000 keys whatever their size: tag values of 256 two-byte characters made ~120 MB per stream.
  const { collectGarbage } = await import('../../src/reclaim.js');
  const heap = (): number => {
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
  const MiB = 1024 * 1024;
  const base = heap();
  const cache = new HashKeyCache(8 * MiB);
  let peak = 0;
  for (let i = 0; i < 100_000; i++) {
    const key = `${i}:` + 'ē'.repeat(250);
    if (cache.get(key) !== hashKeyOf(key)) t.fail(`key ${i}`);
    if (cache.heldBytes > 8 * MiB) t.fail(`estimate past the bound: ${cache.heldBytes}`);
    if (i % 20_000 === 19_999) peak = Math.max(peak, heap() - base);
  }
  // Measured: 7.5 MiB; with the old 200,000-entry cap, 57.5 MiB.
  t.comment(`heap above the start at most ${(peak / MiB).toFixed(1)} MiB (100,000 keys of 252 two-byte characters fed, ~55 MB)`);
  t.ok(peak <= 2 * 8 * MiB, 'within twice the bound');
  t.equal(new HashKeyCache(0).get('a'), hashKeyOf('a'), 'a bound of 0 caches nothing and still answers');
});

t.test('one default bound for both caches, defined once: the setting\'s (KINFLUX_SERIES_CACHE_MAX_BYTES)', async (t) => {
  // The key-hash cache once had a 64 MiB default of its own beside the series cache's and the setting's.
  t.equal(loadSettings({}).delivery.seriesCacheMaxBytes, DEFAULT_SERIES_CACHE_BYTES, 'the setting\'s default is the constant');
  // Without a bound the key-hash cache fills up to the default, then empties.
  const cache = new HashKeyCache();
  let fullest = 0;
  for (let i = 0; cache.heldBytes >= fullest; i++) {
    fullest = cache.heldBytes;
    cache.get(`${i}:` + 'ē'.repeat(250));
  }
  t.ok(fullest <= DEFAULT_SERIES_CACHE_BYTES && fullest > DEFAULT_SERIES_CACHE_BYTES - 1024, `emptied at ${fullest} bytes held`);
});

const twoShards = shardMapFromListShards([
  { ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105726' } },
  { ShardId: 'shardId-000000000001', HashKeyRange: { StartingHashKey: '170141183460469231731687303715884105727', EndingHashKey: '340282366920938463463374607431768211455' } },
  // a closed parent, as after resharding: ignored
  { ShardId: 'shardId-old', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' }, SequenceNumberRange: { EndingSequenceNumber: '5' } },
]);

t.test('shard lookup by hash ranges, open shards only', async (t) => {
  t.equal(twoShards.shards.length, 2);
  t.equal(twoShards.shardIdOf(0n), 'shardId-000000000000');
  t.equal(twoShards.shardIdOf(170141183460469231731687303715884105726n), 'shardId-000000000000');
  t.equal(twoShards.shardIdOf(170141183460469231731687303715884105727n), 'shardId-000000000001');
  t.equal(twoShards.shardIdOf(2n ** 128n - 1n), 'shardId-000000000001');
  // "a" hashes to 0x0cc1... (low half), "abc" to 0x9001... (high half)
  t.equal(twoShards.shardIdOf(hashKeyOf('a')), 'shardId-000000000000');
  t.equal(twoShards.shardIdOf(hashKeyOf('abc')), 'shardId-000000000001');
});

t.test('many shards: binary search agrees with a linear scan', async (t) => {
  const n = 37;
  const step = 2n ** 128n / BigInt(n);
  const map = new ShardMap(
    Array.from({ length: n }, (_, i) => ({ shardId: `s${i}`, start: BigInt(i) * step, end: i === n - 1 ? 2n ** 128n - 1n : BigInt(i + 1) * step - 1n })).reverse(),
  );
  for (let i = 0; i < 2000; i++) {
    const h = hashKeyOf(`key${i}`);
    const linear = map.shards.find((s) => s.start <= h && h <= s.end)?.shardId;
    if (map.shardIdOf(h) !== linear) t.fail(`key${i}`);
  }
  t.pass('2,000 keys agree');
});
