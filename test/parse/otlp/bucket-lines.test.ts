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
// was not kept, so data points whose offsets alternate paid an allocation and two copies per line. A line's beginning
// is now written in place, and a copy of it kept only while the last data point's bounds mostly repeated.
t.test('a head is kept only while bounds repeat between data points, and written in place otherwise', async (t) => {
  const lines = new BucketLines().start(Buffer.from('m,a=1,le='), Buffer.from(',z=2'), Buffer.from('m_bucket'));
  const d = Buffer.alloc(1024);
  t.equal(lines.get(0, 0.5), undefined, 'first sighting: none kept');
  const end = lines.write(d, 3, 0, 0.5);
  t.equal(d.toString('latin1', 3, end), 'm,a=1,le=0.5,z=2 m_bucket=');
  t.equal(lines.seriesEnd(end), end - 'm_bucket='.length - 1);
  lines.start(Buffer.from('m,a=1,le='), Buffer.from(',z=2'), Buffer.from('m_bucket'));
  const h = lines.get(0, 0.5);
  t.equal(Buffer.from(h ?? []).toString('latin1'), 'm,a=1,le=0.5,z=2 m_bucket=', 'the same bound on the next data point: a copy kept');
  t.equal(lines.get(0, -0), undefined, '-0 is not 0');
  // Data points whose bounds alternate: after one of them misses, no copy is kept (the bounds are still noted).
  let kept = 0;
  for (let i = 0; i < 100; i++) {
    lines.start(Buffer.from('m,a=1,le='), Buffer.from(',z=2'), Buffer.from('m_bucket'));
    for (let j = 0; j < 16; j++) {
      const x = i % 2 ? j + 1 : j + 2;
      if (lines.get(j, x) !== undefined) kept++;
      else lines.write(d, 0, j, x);
    }
  }
  t.ok(kept <= 16, `bounds alternating between data points: ${kept} lines from kept copies`);
  // Repeating again turns keeping back on.
  let hits = 0;
  for (let i = 0; i < 4; i++) {
    lines.start(Buffer.from('m,a=1,le='), Buffer.from(',z=2'), Buffer.from('m_bucket'));
    for (let j = 0; j < 16; j++) if (lines.get(j, 7 + j) !== undefined) hits++; else lines.write(d, 0, j, 7 + j);
  }
  t.equal(hits, 16, 'the same bounds again: copies made on the third data point, used from the fourth');
});

t.test('bounds that differ per data point, alternate, repeat and shift, at every scale near the exponent edges: the lines of each data point alone', async (t) => {
  // Bucket lines written in place (no copy kept once the bounds stop repeating, kept again when they repeat) and
  // exponential bounds' powers and spellings reused at shifted offsets: none may change a byte.
  const resource = [{ key: 'service.name', value: { stringValue: 'x' } }];
  for (let s = -10; s <= 20; s++) {
    for (const edge of [1024, -1022, -1074, 1]) {
      const at = Math.round(edge * 2 ** s);
      const offs = [at - 3, at + 2, at - 3, at + 2, at + 2, at + 2, at + 2, at - 1, at + 6, at + 6, at - 20];
      const zts = [0, -0, 5e-324, 0.5];
      const points = offs.map((o, q) => expPoint({ scale: s, pos: o, neg: -o - 8 + (q % 3), posLen: 12, negLen: q % 4 === 3 ? 0 : 9, zero: q % 2, zt: zts[q % 4] }, q === 9 ? [{ key: 'route', value: { stringValue: '/a' } }] : []));
      const all = mapped(request(resource, [{ name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: points } }]));
      const each = points.map((p) => mapped(request(resource, [{ name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [p] } }])));
      if (JSON.stringify(all.lines) !== JSON.stringify(each.flatMap((x) => x.lines))) t.same(all.lines, each.flatMap((x) => x.lines), `scale ${s} at ${edge}: lines`);
      if (JSON.stringify(all.series) !== JSON.stringify(each.flatMap((x) => x.series))) t.fail(`scale ${s} at ${edge}: series lengths`);
    }
  }
  t.pass('31 scales × 4 edges × 11 data points');
});

t.test('ExpBounds: offsets that drift at a scale (powers and spellings reused), more scales than it keeps', async (t) => {
  const eb = new ExpBounds();
  let bad = 0;
  for (let i = 0; i < 1500; i++) {
    const scale = i % 3 === 0 ? ri(-10, 20) : [0, 3, 20][i % 3];
    const edge = [1024, -1074, -1022, 0][ri(0, 3)];
    const at = Math.round(edge * 2 ** scale) + ri(-30, 30);
    const j = expPoint({ scale, pos: at, neg: -at + ri(-5, 5), posLen: ri(0, 60), negLen: ri(0, 30), zero: ri(0, 1), zt: [0, -0, 5e-324][ri(0, 2)] }, []);
    const p: ExpHistogramPoint = {
      attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n, flags: 0, count: j.count, sum: 0, min: undefined, max: undefined, scale: j.scale,
      zeroCount: j.zeroCount, zeroThreshold: j.zeroThreshold, positive: j.positive, negative: j.negative, exemplars: [],
    };
    const want = cumulativeBuckets(p);
    const got = eb.of(p);
    if (got.bounds.length !== want.bounds.length + 1 || got.bounds.some((x, k) => !Object.is(x, k < want.bounds.length ? want.bounds[k] : Infinity))) { bad++; t.same([...got.bounds], [...want.bounds, Infinity], `bounds ${i}`); }
    if (JSON.stringify([...got.counts]) !== JSON.stringify([...want.counts, p.count])) { bad++; t.same([...got.counts], [...want.counts, p.count], `counts ${i}`); }
    for (let k = 0; k < got.bounds.length; k++) if (eb.shortest(k) !== String(got.bounds[k])) { bad++; t.fail(`shortest ${i}/${k}`); }
  }
  t.equal(bad, 0);
});
