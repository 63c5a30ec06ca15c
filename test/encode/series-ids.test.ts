// PointBatch.seriesIds: points of one nonzero id have the same series bytes (OTLP's series cache gives them), and the
// encoder, which then looks a key up once per id, encodes exactly what it encodes without them.
import t from 'tap';
import { loadSettings } from '../../src/config/settings.js';
import { BatchEncoder, type EncodedPoints } from '../../src/encode/batch-encoder.js';
import { ShardMap } from '../../src/encode/shard-map.js';
import { BatchWriter } from '../../src/parse/out.js';
import { convertRequest } from '../../src/parse/otlp/convert.js';
import type { PointBatch } from '../../src/parse/types.js';
import { ordinaryRequest } from '../kit/otlp-bodies.js';

const MiB = 1 << 20;
const map = new ShardMap([
  { shardId: 's0', start: 0n, end: 2n ** 127n - 1n },
  { shardId: 's1', start: 2n ** 127n, end: 2n ** 128n - 1n },
]);
const shape = (e: EncodedPoints) => ({ keys: e.keys, groups: e.groups, starts: e.starts, ends: e.ends, bytes: e.bytes, byGroup: [...e.byGroup] });

function otlpBatch(): PointBatch {
  const body = Buffer.concat([ordinaryRequest(), ordinaryRequest()]); // two resourceMetrics: ids go on across scopes
  const r = convertRequest(body, 'protobuf', 'prometheus-v2', { maxPoints: 1e6, maxBytes: 1e9 });
  if (!r.ok) throw new Error(r.message);
  return r.points;
}

t.test('an SDK-like request: ids name points of the same series bytes', async (t) => {
  const batch = otlpBatch();
  const ids = batch.seriesIds;
  if (!ids) return t.fail('no ids');
  const seen = new Map<number, string>();
  let withId = 0;
  for (let i = 0; i < batch.count; i++) {
    if (ids[i] === 0) continue;
    withId++;
    const s = batch.data.toString('latin1', batch.starts[i], batch.starts[i] + batch.seriesLengths[i]);
    const was = seen.get(ids[i]);
    if (was === undefined) seen.set(ids[i], s);
    else if (was !== s) return t.fail(`id ${ids[i]}: ${s} ≠ ${was}`);
  }
  t.ok(withId > 0.9 * batch.count, `${withId} of ${batch.count} points have an id`);
  t.ok(seen.size <= 40 + 2, `${seen.size} ids for 40 series`);
});

for (const env of [{}, { KINFLUX_PARTITION_KEY: 'measurement' }, { KINFLUX_RECORD_FORMAT: 'json' }]) {
  t.test(`the encoder gives the same output with the ids as without (${JSON.stringify(env)})`, async (t) => {
    const settings = loadSettings(env).delivery;
    const batch = otlpBatch();
    const bare: PointBatch = { ...batch, seriesIds: undefined };
    const want = shape(new BatchEncoder(settings).encodePoints(bare, map, MiB));
    const enc = new BatchEncoder(settings);
    t.same(shape(enc.encodePoints(batch, map, MiB)), want, 'one go');
    t.same(shape(enc.encodePoints(batch, map, MiB)), want, 'again, on a warm cache');
    t.same(shape(await new BatchEncoder(settings).encodePointsSliced(batch, map, MiB, 0)), want, 'sliced');
  });
}

t.test('a point index reused after a rollback keeps no id of the point before', async (t) => {
  const w = new BatchWriter(256, 2);
  const point = (id: number) => {
    const s = w.pos;
    w.latin1('m,a=b f=1 1\n');
    w.commit(s, 5, 1, 0);
    if (id) w.setSeriesId(w.count - 1, id);
  };
  point(7);
  point(7);
  // The mapper rolls back committed points (a refused histogram's bucket lines): count and pos go back.
  w.count = 1;
  w.pos = w.starts[1];
  point(0);
  for (let i = 0; i < 40; i++) point(i % 2 ? 9 : 0); // and the columns grow
  const b = w.batch();
  t.equal(b.count, 42);
  t.same([...(b.seriesIds ?? [])].slice(0, 4), [7, 0, 0, 9]);
  t.equal(b.seriesIds?.length, 42);
});
