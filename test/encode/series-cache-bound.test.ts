// The series-key cache is bounded in bytes and gives memory back. Once it was capped at 200,000 entries whatever
// their size: 13,000 distinct long series kept 905 MB, 172,000 series of 2 KB grew RSS linearly, and reset() kept
// the arena at its largest.
import t from 'tap';
import { MAX_CACHED_SERIES_BYTES, SeriesKeyCache, seriesCachesHeldBytes } from '../../src/encode/series-cache.js';
import { DEFAULT_SERIES_CACHE_BYTES } from '../../src/config/schema.js';
import { collectGarbage } from '../../src/reclaim.js';
import { BatchEncoder } from '../../src/encode/batch-encoder.js';
import { ShardMap } from '../../src/encode/shard-map.js';
import { loadSettings } from '../../src/config/settings.js';
import { batchFromLines } from './batch-from-lines.js';

const MiB = 1024 * 1024;
/**
 * Heap plus array buffers once a full collection has finished. V8 frees the backing stores of dead ArrayBuffers on
 * a background thread after the collection (concurrent sweeping): on a loaded machine that thread runs late, and a
 * reading taken at once still counted ~20 MiB the cache had already let go. So the reading waits until the figure
 * stops falling (at most 5 s).
 */
const held = async (): Promise<number> => {
  collectGarbage();
  const read = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  let low = read();
  let steady = 0;
  for (const deadline = Date.now() + 5000; steady < 5 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 20));
    const now = read();
    steady = now < low ? 0 : steady + 1;
    low = Math.min(low, now);
  }
  return low;
};

/** Feeds `n` distinct series of about `size` bytes through the cache, `batch` per buffer (as requests would). */
function feed(cache: SeriesKeyCache, n: number, size: (i: number) => number, batch = 1000, first = 0): void {
  for (let from = 0; from < n; from += batch) {
    const parts: string[] = [];
    const spans: Array<[number, number]> = [];
    let at = 0;
    for (let i = from; i < Math.min(n, from + batch); i++) {
      const head = `m,host=h${first + i},pad=`;
      const series = head + 'x'.repeat(Math.max(0, size(i) - head.length));
      spans.push([at, series.length]);
      parts.push(`${series} v=1i 1\n`);
      at += series.length + 9;
    }
    const data = Buffer.from(parts.join(''));
    for (const [start, len] of spans) cache.lookup(data, start, len);
  }
}

/** True when what `make` returns is collected once nothing else holds it. */
async function collectable(make: () => object): Promise<boolean> {
  const ref = new WeakRef(make());
  // A WeakRef's target lives at least until the current job ends.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

t.test('the cache keeps no buffer it read: once a batch is encoded, its output can be collected', async (t) => {
  // The cache kept a view of the last batch's output until the next one: in the parser that buffer is reserved
  // at its largest (50 MiB after a 16 MB body), so an idle kinflux held tens of MiB per stream.
  const encoder = new BatchEncoder(loadSettings({}).delivery);
  const lines = Array.from({ length: 2000 }, (_, i) => `m,host=h${i} v=1i 1`);
  t.ok(await collectable(() => {
    const batch = batchFromLines(lines);
    t.equal(encoder.encodePoints(batch, new ShardMap([{ shardId: 's0', start: 0n, end: 2n ** 128n - 1n }]), MiB).keys.length, 2000);
    return batch.data.buffer;
  }), 'the batch buffer is collected after encodePoints');
  const cache = new SeriesKeyCache();
  t.ok(await collectable(() => {
    const data = Buffer.alloc(64 * 1024, 'cpu,host=a v=1 1\n');
    cache.lookup(data, 0, 10);
    cache.release();
    return data.buffer;
  }), 'and after lookup() + release()');
  const data = Buffer.from('cpu,host=a v=1 1\n');
  t.equal(cache.lookup(data, 0, 10).key, 'cpu,host=a', 'the entry stays cached');
  t.equal(cache.heldBytes > 0, true);
});

t.test('one million distinct series, some with 40 KB keys: memory stays within the byte bound', async (t) => {
  const base = await held();
  const cache = new SeriesKeyCache();
  let peak = 0;
  for (let round = 0; round < 10; round++) {
    feed(cache, 100_000, (i) => (i % 1000 === 0 ? 40_000 : 60 + (i % 80)));
    t.ok(cache.heldBytes <= DEFAULT_SERIES_CACHE_BYTES, `estimate within the bound (round ${round})`);
    peak = Math.max(peak, (await held()) - base);
  }
  t.comment(`peak ${(peak / MiB).toFixed(1)} MiB held for a ${DEFAULT_SERIES_CACHE_BYTES / MiB} MiB bound`);
  t.ok(peak <= 2 * DEFAULT_SERIES_CACHE_BYTES + 16 * MiB, `held ${(peak / MiB).toFixed(1)} MiB <= 2 × bound + 16 MiB (arrays grow by doubling)`);
  cache.reset();
  const after = (await held()) - base;
  t.ok(after <= 8 * MiB, `reset gives the memory back: ${(after / MiB).toFixed(1)} MiB left`);
});

t.test('172,000 distinct series with 2 KB keys (the longest cached): memory stays within the byte bound, reset gives it back', async (t) => {
  // Once RSS grew linearly with them (128 → 608 MiB) and reset() kept the arena at its largest.
  const base = await held();
  const baseSum = seriesCachesHeldBytes();
  const cache = new SeriesKeyCache();
  let peak = 0;
  let fullest = 0;
  // Measured every 4,300 series: the cache fills (~20,000 of these series) and empties several times.
  for (let step = 0; step < 40; step++) {
    feed(cache, 4300, () => MAX_CACHED_SERIES_BYTES - 48, 500, step * 4300);
    fullest = Math.max(fullest, cache.heldBytes);
    if (cache.heldBytes > DEFAULT_SERIES_CACHE_BYTES) t.fail(`estimate past the bound: ${cache.heldBytes}`);
    if (seriesCachesHeldBytes() - baseSum !== cache.heldBytes) t.fail('the process-wide figure (kinflux_series_cache_bytes) differs');
    peak = Math.max(peak, (await held()) - base);
  }
  t.ok(fullest > DEFAULT_SERIES_CACHE_BYTES / 2, `the cache filled up to ${(fullest / MiB).toFixed(1)} MiB by its estimate`);
  t.comment(`peak ${(peak / MiB).toFixed(1)} MiB held for a ${DEFAULT_SERIES_CACHE_BYTES / MiB} MiB bound (344 MB of series fed)`);
  t.ok(peak <= 2 * DEFAULT_SERIES_CACHE_BYTES + 16 * MiB, `held ${(peak / MiB).toFixed(1)} MiB <= 2 × bound + 16 MiB`);
  cache.reset();
  t.equal(seriesCachesHeldBytes(), baseSum, 'reset takes its bytes off the process-wide figure');
  const after = (await held()) - base;
  t.ok(after <= 8 * MiB, `reset gives the memory back: ${(after / MiB).toFixed(1)} MiB left`);
});

t.test('13,000 distinct 40 KB series (once 905 MB) are looked up without being cached', async (t) => {
  const base = await held();
  const cache = new SeriesKeyCache();
  feed(cache, 13_000, () => 40_000, 100);
  const grew = (await held()) - base;
  t.comment(`held ${(grew / MiB).toFixed(1)} MiB`);
  t.ok(grew <= 16 * MiB, `${(grew / MiB).toFixed(1)} MiB`);
  t.ok(cache.heldBytes < 1 * MiB);
  const data = Buffer.from(`m,k=${'y'.repeat(MAX_CACHED_SERIES_BYTES)} v=1 1\n`);
  const len = data.indexOf(0x20);
  t.equal(cache.lookup(data, 0, len).key.length, 256, 'a long series still gets its bounded partition key');
});

t.test('a small bound empties the cache when full and keeps working', async (t) => {
  const cache = new SeriesKeyCache(64 * 1024);
  feed(cache, 20_000, () => 100);
  t.ok(cache.heldBytes <= 64 * 1024);
  const data = Buffer.from('cpu,host=a v=1 1\n');
  const a = cache.lookup(data, 0, 10);
  t.equal(cache.lookup(data, 0, 10), a, 'hits after the resets');
});
