// Histogram bucket lines written from kept beginnings (bucket-lines.ts) and exponential bounds kept from the last data
// point (exp-buckets.ts ExpBounds): the same lines and buckets as the way each data point alone is written.
import t from 'tap';
import { decodeJsonRequest } from '../../../src/parse/otlp/json.js';
import { mapRequest, type OtlpSchema } from '../../../src/parse/otlp/map.js';
import { PointBuilder } from '../../../src/parse/point-builder.js';
import { ExpBounds, cumulativeBuckets } from '../../../src/parse/otlp/exp-buckets.js';
import type { ExpHistogramPoint } from '../../../src/parse/otlp/model.js';
import { BucketLines } from '../../../src/parse/otlp/bucket-lines.js';

const TS = '1395066363000000456';

function mapped(doc: unknown, schema: OtlpSchema = 'prometheus-v2'): { lines: string[]; series: number[]; rejected: number; errors: string[] } {
  const req = decodeJsonRequest(Buffer.from(JSON.stringify(doc)), { maxDataPoints: 1e6 });
  const b = new PointBuilder();
  const r = mapRequest(req, schema, b, { maxPoints: 1e6, maxBytes: 1e9 });
  const batch = b.batch();
  const lines: string[] = [];
  for (let i = 0; i < batch.count; i++) lines.push(batch.data.toString('utf8', batch.starts[i], batch.starts[i + 1]));
  return { lines, series: [...batch.seriesLengths], rejected: r.rejected, errors: r.errors };
}

const request = (resource: unknown[], metrics: unknown[]) => ({
  resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 'kit', version: '1' }, metrics }] }],
});

let seed = 7;
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const ri = (a: number, b: number): number => a + Math.floor(rnd() * (b - a + 1));
const counts = (n: number): number[] => Array.from({ length: n }, () => ri(0, 3));

function expPoint(shape: { scale: number; pos: number; neg: number; posLen: number; negLen: number; zero: number; zt: number }, attrs: unknown[], time = TS) {
  const pc = counts(shape.posLen), nc = counts(shape.negLen);
  const count = pc.reduce((a, b) => a + b, 0) + nc.reduce((a, b) => a + b, 0) + shape.zero;
  return {
    attributes: attrs, timeUnixNano: time, count, sum: 1.5, scale: shape.scale, zeroCount: shape.zero, zeroThreshold: shape.zt,
    positive: { offset: shape.pos, bucketCounts: pc }, negative: { offset: shape.neg, bucketCounts: nc },
  };
}

t.test('a request of histograms sharing shapes maps to the lines of each data point alone', async (t) => {
  const shapes = [
    { scale: 0, pos: 1, neg: 0, posLen: 5, negLen: 2, zero: 1, zt: 0 },
    { scale: 3, pos: -2000, neg: 1000, posLen: 40, negLen: 3, zero: 0, zt: 0 }, // past 2^±1024: merged into ±Inf neighbours
    { scale: -4, pos: 60, neg: -70, posLen: 20, negLen: 20, zero: 2, zt: 1e-300 },
    { scale: 20, pos: 1895148, neg: 0, posLen: 3, negLen: 0, zero: 1, zt: -0 },
    { scale: 8, pos: -300, neg: 0, posLen: 300, negLen: 0, zero: 0, zt: 0 },
  ];
  const attrSets = [[], [{ key: 'route', value: { stringValue: '/a' } }], [{ key: 'le', value: { stringValue: 'x' } }], [{ key: 'k k', value: { stringValue: 'v,w' } }]];
  const resources = [[{ key: 'service.name', value: { stringValue: 'x' } }], [], [{ key: 'big', value: { stringValue: 'y'.repeat(65535 - 180) } }]];
  for (let round = 0; round < 40; round++) {
    const resource = resources[round % resources.length];
    const metrics: unknown[] = [];
    const alone: unknown[][] = [];
    for (let m = 0; m < 3; m++) {
      const name = ['e', 'h_seconds', 'start_time_unix_nano'][ri(0, 2)];
      const points = Array.from({ length: ri(1, 5) }, () => expPoint(shapes[rnd() < 0.6 ? round % shapes.length : ri(0, shapes.length - 1)], attrSets[ri(0, attrSets.length - 1)], rnd() < 0.05 ? '0' : TS));
      metrics.push({ name, exponentialHistogram: { aggregationTemporality: 2, dataPoints: points } });
      for (const p of points) alone.push([{ name, exponentialHistogram: { aggregationTemporality: 2, dataPoints: [p] } }]);
      // An explicit-bound histogram between them: its lines take the same way.
      const bounds = [0.5, 1, 2.5, 1e22].slice(0, ri(0, 4));
      const h = { attributes: attrSets[ri(0, 3)], timeUnixNano: TS, count: 9, sum: 2, bucketCounts: counts(bounds.length + 1), explicitBounds: bounds };
      metrics.push({ name: `${name}_h`, histogram: { aggregationTemporality: 2, dataPoints: [h] } });
      alone.push([{ name: `${name}_h`, histogram: { aggregationTemporality: 2, dataPoints: [h] } }]);
    }
    for (const schema of ['prometheus-v2', 'prometheus-v1'] as const) {
      const all = mapped(request(resource, metrics), schema);
      const each = alone.map((ms) => mapped(request(resource, ms), schema));
      t.same(all.lines, each.flatMap((x) => x.lines), `round ${round} ${schema}: lines`);
      t.same(all.series, each.flatMap((x) => x.series), `round ${round} ${schema}: series lengths`);
      t.equal(all.rejected, each.reduce((s, x) => s + x.rejected, 0), `round ${round} ${schema}: refused`);
    }
  }
});

t.test('bucket lines: golden lines, and a series key past the limit at a long le refuses the data point', async (t) => {
  const doc = request([{ key: 'service.name', value: { stringValue: 'x' } }], [{ name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [
    expPoint({ scale: 0, pos: 1, neg: 0, posLen: 2, negLen: 1, zero: 1, zt: 0 }, []),
    expPoint({ scale: 0, pos: 1, neg: 0, posLen: 2, negLen: 1, zero: 1, zt: 0 }, []),
  ] } }]);
  const r = mapped(doc);
  t.equal(r.lines.length, 12);
  t.match(r.lines[1], /^prometheus,le=-1,otel\.library\.name=kit,otel\.library\.version=1,service\.name=x e_bucket=\d+ 1395066363000000456\n$/);
  const key = (l: string): string => l.slice(0, l.indexOf(' '));
  t.same(r.lines.slice(6).map(key), r.lines.slice(0, 6).map(key), 'the second data point: the same series keys from the kept beginnings');
  // 2^-1000 is spelled with ~320 digits: with a long resource value the series key passes 65,535 bytes there only.
  const long = request([{ key: 'big', value: { stringValue: 'y'.repeat(65535 - 250) } }], [{ name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [
    expPoint({ scale: 0, pos: 2, neg: 0, posLen: 2, negLen: 0, zero: 0, zt: 0 }, []),
    expPoint({ scale: 0, pos: -1001, neg: 0, posLen: 2, negLen: 0, zero: 0, zt: 0 }, []),
    expPoint({ scale: 0, pos: 2, neg: 0, posLen: 2, negLen: 0, zero: 0, zt: 0 }, []),
  ] } }]);
  const l = mapped(long);
  t.equal(l.rejected, 1);
  t.match(l.errors[0], /max key length exceeded: series key of \d+ bytes > 65535/);
  t.equal(l.lines.length, 8, 'the two data points of short bounds: 4 lines each');
});

t.test('ExpBounds: the bounds and counts of cumulativeBuckets, +Inf last, kept while the shape repeats', async (t) => {
  const eb = new ExpBounds();
  let shape = { scale: 0, pos: 0, neg: 0, posLen: 0, negLen: 0, zero: 0, zt: 0 };
  for (let i = 0; i < 3000; i++) {
    if (rnd() < 0.3) {
      shape = {
        scale: [-10, -4, -1, 0, 1, 3, 8, 20][ri(0, 7)], pos: [0, 7, -5, -2000, 1000, 1 << 28, -(1 << 28)][ri(0, 6)], neg: [0, -3, 5, -2000, 1000, -1e6][ri(0, 5)],
        posLen: ri(0, 50), negLen: ri(0, 20), zero: rnd() < 0.5 ? ri(1, 3) : 0, zt: [0, -0, 1e-9, 5, 1e-300][ri(0, 4)],
      };
    }
    const j = expPoint(shape, []);
    const p: ExpHistogramPoint = {
      attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n, flags: 0, count: j.count, sum: 0, min: undefined, max: undefined, scale: j.scale,
      zeroCount: j.zeroCount, zeroThreshold: j.zeroThreshold, positive: j.positive, negative: j.negative, exemplars: [],
    };
    const want = cumulativeBuckets(p);
    const got = eb.of(p);
    t.same([...got.bounds], [...want.bounds, Infinity], `bounds ${i}`);
    t.same([...got.counts], [...want.counts, p.count], `counts ${i}`);
    if (got.bounds.some((x, k) => !Object.is(x, k < want.bounds.length ? want.bounds[k] : Infinity))) t.fail(`bounds ${i}: -0 and 0 apart`);
  }
});

// Review4 finding 3: a head (the series key copied with the `le` value) was built for every bucket line whose bound
// was not kept, so data points whose offsets alternate paid an allocation and two copies per line. A head is now
// built only for a bound the last data point had at the same index.
t.test('a head is built only for a bound seen on the last data point at the same index', async (t) => {
  const lines = new BucketLines().start(Buffer.from('m,a=1,le='), Buffer.from(',z=2'), Buffer.from('m_bucket'));
  const tag = Buffer.from('le=0.5');
  t.equal(lines.get(0, 0.5), undefined, 'first sighting: written the general way, the bound noted');
  t.equal(lines.get(0, 0.5), null, 'seen again: the caller builds the head');
  const h = lines.make(0, 0.5, tag, 3);
  t.equal(h.toString(), 'm,a=1,le=0.5,z=2 m_bucket=');
  t.equal(lines.get(0, 0.5), h, 'then kept');
  // Alternating bounds never build a head.
  let built = 0;
  for (let i = 0; i < 100; i++) if (lines.get(1, i % 2 ? 1 : 2) !== undefined) built++;
  t.equal(built, 0, 'bounds alternating between data points: no head');
  t.same(lines.get(0, -0), undefined, '-0 is not 0');
});
