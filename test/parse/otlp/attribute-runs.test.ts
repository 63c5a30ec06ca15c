// Attribute runs (attribute-runs.ts): a data point whose attribute fields are the same bytes as those of the point
// at its index in an earlier metric takes that point's list, undecoded; anything else decodes its own. Either way
// every data point maps to the lines it maps to alone (a cold request of its own), with the kept tail
// (`,start_time_unix_nano=…i <time>\n`, map.ts) among them.
import t from 'tap';
import { decodeProtobufRequest } from '../../../src/parse/otlp/protobuf.js';
import { mapRequest, type OtlpSchema } from '../../../src/parse/otlp/map.js';
import { AttributeRuns } from '../../../src/parse/otlp/attribute-runs.js';
import type { NumberPoint } from '../../../src/parse/otlp/model.js';
import { PointBuilder } from '../../../src/parse/point-builder.js';
import { Pb, keyValue } from '../../kit/otlp-bodies.js';

const T = 1700000000000000000n;

/** A NumberDataPoint: its fields in the order given ('a': the attributes, 'b': more attributes, 'x': an unknown field). */
interface P { attrs: Pb[]; more?: Pb[]; layout?: string; time?: bigint; start?: bigint; value?: number | bigint }
function point(p: P): Pb {
  const out = new Pb();
  for (const c of p.layout ?? 'asv') {
    if (c === 'a') for (const a of p.attrs) out.msg(7, a);
    if (c === 'b') for (const a of p.more ?? []) out.msg(7, a);
    if (c === 'x') out.uint(99, 1);
    if (c === 's') { if (p.start !== 0n) out.fixed64(2, p.start ?? T - 5n); out.fixed64(3, p.time ?? T); }
    if (c === 'v') {
      const v = p.value ?? 1.5;
      if (typeof v === 'bigint') out.fixed64(6, v); // as_int (sfixed64: the same 8 bytes)
      else out.double(4, v);
    }
  }
  return out;
}

function body(metrics: Array<{ name: string; points: P[] }>): Buffer {
  const scope = new Pb().msg(1, new Pb().str(1, 'kit'));
  for (const m of metrics) {
    const g = new Pb();
    for (const p of m.points) g.msg(1, point(p));
    scope.msg(2, new Pb().str(1, m.name).msg(5, g));
  }
  return new Pb().msg(1, new Pb().msg(1, new Pb().msg(1, keyValue('service.name', { s: 'svc' }))).msg(2, scope)).finish();
}

function lines(b: Buffer, schema: OtlpSchema): string[] {
  const req = decodeProtobufRequest(b, { maxDataPoints: 1e6 });
  const pb = new PointBuilder();
  mapRequest(req, schema, pb, { maxPoints: 1e6, maxBytes: 1e9 });
  const batch = pb.batch();
  return Array.from({ length: batch.count }, (_, i) => batch.data.toString('utf8', batch.starts[i], batch.starts[i + 1] - 1));
}

/** Each point mapped in a request of its own (its index kept by refused points before it): nothing shared. */
function alone(metrics: Array<{ name: string; points: P[] }>, schema: OtlpSchema): string[] {
  const out: string[] = [];
  const filler: P = { attrs: [keyValue('x', { arrayDepth: 1 })] };
  for (const m of metrics) for (const [i, p] of m.points.entries()) out.push(...lines(body([{ name: m.name, points: [...Array.from({ length: i }, () => filler), p] }]), schema));
  return out;
}

const set1 = [keyValue('route', { s: '/a' }), keyValue('code', { i: 200 })];
const set2 = [keyValue('route', { s: '/b c' }), keyValue('method', { s: 'GET' })];
const set3 = [keyValue('route', { s: '/a' }), keyValue('code', { i: 201 })];

function metricsOf(per: P[][]): Array<{ name: string; points: P[] }> {
  return per.map((points, i) => ({ name: ['m1', 'm 2', 'start_time_unix_nano', 'm1'][i % 4], points }));
}

t.test('the next metric takes the list of the same bytes at the same index', async (t) => {
  const b = body(metricsOf([[{ attrs: set1 }, { attrs: set2 }], [{ attrs: set1 }, { attrs: set2 }], [{ attrs: set2 }, { attrs: set1 }]]));
  const req = decodeProtobufRequest(b, { maxDataPoints: 1e6 });
  const ms = req.resourceMetrics[0].scopeMetrics[0].metrics;
  const pts = ms.map((m) => m.points as NumberPoint[]);
  t.equal(pts[1][0].attributes, pts[0][0].attributes, 'same list, index 0');
  t.equal(pts[1][1].attributes, pts[0][1].attributes, 'same list, index 1');
  t.not(pts[2][0].attributes, pts[0][1].attributes, 'another index: decoded (a list of its own)');
  t.same(pts[2][0].attributes.length, pts[0][1].attributes.length);
});

t.test('every layout maps as each point alone', async (t) => {
  const cases: Record<string, P[][]> = {
    'attributes first': [[{ attrs: set1 }, { attrs: set2 }], [{ attrs: set1 }, { attrs: set2 }], [{ attrs: set1 }, { attrs: set3 }]],
    'attributes last': [[{ attrs: set1, layout: 'sva' }], [{ attrs: set1, layout: 'sva' }], [{ attrs: set1, layout: 'asv' }]],
    'a kept run, then more attributes': [[{ attrs: set1 }], [{ attrs: set1, more: [keyValue('extra', { s: 'x' })], layout: 'absv' }], [{ attrs: set1, more: [keyValue('route', { s: '/later wins' })], layout: 'asbv' }], [{ attrs: set1 }]],
    'attributes split around other fields': [[{ attrs: set1, more: set2, layout: 'asbv' }], [{ attrs: set1, more: set2, layout: 'asbv' }], [{ attrs: set1, more: set2, layout: 'axbsv' }]],
    'a prefix of a kept run': [[{ attrs: [...set1, keyValue('z', { s: '1' })] }], [{ attrs: set1 }], [{ attrs: [...set1, keyValue('z', { s: '1' })] }]],
    'repeated keys': [[{ attrs: [...set1, keyValue('route', { s: '/x' })] }], [{ attrs: [...set1, keyValue('route', { s: '/x' })] }]],
    'values refused': [[{ attrs: [keyValue('a', { arrayDepth: 1 })] }, { attrs: set1 }], [{ attrs: [keyValue('a', { arrayDepth: 1 })] }, { attrs: set1, value: NaN }], [{ attrs: set1 }, { attrs: set1 }]],
    'tails: start and time change, go missing, leave the range': [
      [{ attrs: set1 }, { attrs: set1 }, { attrs: set1, time: T + 1n }, { attrs: set1, start: 0n }, { attrs: set1 }, { attrs: set1, start: T - 6n }],
      [{ attrs: set1, time: 2n ** 63n + 5n }, { attrs: set1 }, { attrs: set1, time: 0n }, { attrs: set1, value: 7n }, { attrs: set1, value: -(2n ** 63n) }, { attrs: set1, value: Infinity }],
      [{ attrs: set1 }, { attrs: set1 }],
      [{ attrs: set1, value: -0 }, { attrs: set1, time: T + 1n }],
    ],
    'a long series key': [[{ attrs: [keyValue('big', { s: 'v'.repeat(70_000) })] }, { attrs: set1 }], [{ attrs: [keyValue('big', { s: 'v'.repeat(70_000) })] }, { attrs: set1 }]],
  };
  for (const [name, per] of Object.entries(cases)) {
    for (const schema of ['prometheus-v2', 'prometheus-v1'] as const) {
      const ms = metricsOf(per);
      t.same(lines(body(ms), schema), alone(ms, schema), `${name} (${schema})`);
    }
  }
});

t.test('a run is matched only whole, inside its message', async (t) => {
  const b = Buffer.from([1, 2, 3, 4, 9, 1, 2, 3, 4, 1, 2, 3]);
  const runs = new AttributeRuns(b);
  const list = [0, 1, 2, 3];
  runs.record(0, 0, 4, list);
  t.equal(runs.match(0, 5, 9), list, 'the same bytes');
  t.equal(runs.end, 9);
  t.equal(runs.match(0, 5, 8), undefined, 'past the end of the message');
  t.equal(runs.match(0, 9, 12), undefined, 'cut short');
  t.equal(runs.match(0, 4, 12), undefined, 'other bytes');
  t.equal(runs.match(1, 5, 9), undefined, 'no run at that index');
  runs.record(2, 0, 4, list);
  t.equal(runs.match(2, 5, 9), undefined, 'indexes are kept in order (no holes)');
  runs.record(1, 0, 600, list);
  t.equal(runs.match(1, 0, 600), undefined, 'a long run is not kept');
});
