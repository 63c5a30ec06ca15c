// A large batch is encoded in slices that yield to the event loop (issue 20 finding 3: a million points held the
// loop for seconds), with exactly the output of the encode in one go, also when two batches interleave.
import t from 'tap';
import { loadSettings } from '../../src/config/settings.js';
import { BatchEncoder, encodedSource, type EncodedPoints } from '../../src/encode/batch-encoder.js';
import { ShardMap } from '../../src/encode/shard-map.js';
import { batchFromLines } from './batch-from-lines.js';

const MiB = 1 << 20;
const map = new ShardMap([
  { shardId: 's0', start: 0n, end: 2n ** 127n - 1n },
  { shardId: 's1', start: 2n ** 127n, end: 2n ** 128n - 1n },
]);
const lines = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `cpu,host=${tag}${i % 5000},dc=x${i % 7} v=${i}i,f=1.5 ${1_700_000_000_000_000_000 + i}`);

for (const env of [{}, { KINFLUX_PARTITION_KEY: 'measurement' }, { KINFLUX_RECORD_FORMAT: 'json' }]) {
  t.test(`same output as one go, slices yield (${JSON.stringify(env)})`, async (t) => {
    const settings = loadSettings(env).delivery;
    const a = batchFromLines(lines(15_000, 'a'));
    const b = batchFromLines(lines(10_000, 'b'));
    const whole = new BatchEncoder(settings);
    const expectA = whole.encodePoints(a, map, MiB);
    const expectB = whole.encodePoints(b, map, MiB);
    const sliced = new BatchEncoder(settings);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    // Two batches at once: their slices interleave on one encoder (and one series cache).
    const [gotA, gotB] = await Promise.all([sliced.encodePointsSliced(a, map, MiB, 1), sliced.encodePointsSliced(b, map, MiB, 1)]);
    clearInterval(ticker);
    for (const [got, want] of [[gotA, expectA], [gotB, expectB]] as const) {
      t.same(got.keys, want.keys);
      t.same(got.groups, want.groups);
      t.equal(got.bytes, want.bytes);
      t.same([...got.byGroup], [...want.byGroup]);
      const bytesOf = (e: EncodedPoints): Buffer[] => e.starts.map((s, i) => encodedSource(e).subarray(s, e.ends[i]));
      const wantBytes = bytesOf(want);
      t.ok(bytesOf(got).every((d, i) => d.equals(wantBytes[i])), 'same encoded bytes');
    }
    t.ok(ticks > 2, `timers ran between the slices (${ticks})`);
  });
}
