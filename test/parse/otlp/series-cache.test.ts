// The series key cache (series-cache.ts): a data point whose attributes repeat an earlier one's gets the key that
// point's own mapping gives (checked against each point mapped alone, cold), under its own scope and measurement.
import t from 'tap';
import { decodeProtobufRequest } from '../../../src/parse/otlp/protobuf.js';
import { mapRequest, type OtlpSchema } from '../../../src/parse/otlp/map.js';
import { PointBuilder } from '../../../src/parse/point-builder.js';
import { Pb, keyValue, numberPoint, gaugeMetric, type AnyValue } from '../../kit/otlp-bodies.js';

const T = 1700000000000000000n;

function lines(body: Buffer, schema: OtlpSchema): string[] {
  const req = decodeProtobufRequest(body, { maxDataPoints: 1e6 });
  const b = new PointBuilder();
  mapRequest(req, schema, b, { maxPoints: 1e6, maxBytes: 1e9 });
  const batch = b.batch();
  const out: string[] = [];
  for (let i = 0; i < batch.count; i++) out.push(batch.data.toString('utf8', batch.starts[i], batch.starts[i + 1] - 1));
  return out;
}

/** Resources of scopes of metrics, each metric's points given by their attribute lists. */
type Scope = { resource: Array<[string, AnyValue]>; scope: string; metrics: Array<{ name: string; points: Array<Array<[string, AnyValue]>> }> };
function body(scopes: Scope[]): Buffer {
  const req = new Pb();
  for (const s of scopes) {
    const res = new Pb();
    for (const [k, v] of s.resource) res.msg(1, keyValue(k, v));
    const sm = new Pb().msg(1, new Pb().str(1, s.scope));
    for (const m of s.metrics) sm.msg(2, gaugeMetric(m.name, m.points.map((a, i) => numberPoint(a.map(([k, v]) => keyValue(k, v)), i + 0.5, T, T - 1n))));
    req.msg(1, new Pb().msg(1, res).msg(2, sm));
  }
  return req.finish();
}

t.test('repeated attribute sets map as each point alone', async (t) => {
  const sets: Array<Array<[string, AnyValue]>> = [
    [['route', { s: '/a' }], ['code', { i: 200 }]],
    [['code', { i: 200 }], ['route', { s: '/a' }]], // the same set in another order
    [['route', { s: '/a b' }], ['service', { s: 'own wins' }]], // escaped, and a scope tag overridden
    [['route', { s: '/a' }], ['code', { i: 2000 }]],
    [['le', { s: '1' }], ['route', { s: '' }]], // an empty value drops the tag
    [],
  ];
  const scopes: Scope[] = [
    { resource: [['service', { s: 'one' }]], scope: 'lib', metrics: [] },
    { resource: [['service', { s: 'two' }], ['host', { s: 'h' }]], scope: 'lib', metrics: [] },
  ];
  for (const s of scopes) for (const name of ['m1', 'm 2', 'm1']) s.metrics.push({ name, points: [...sets, ...sets] });
  for (const schema of ['prometheus-v2', 'prometheus-v1'] as const) {
    const all = lines(body(scopes), schema);
    const alone: string[] = [];
    for (const s of scopes) for (const m of s.metrics) for (const [i, a] of m.points.entries()) {
      // The point alone: its value and start are those of its place in the metric.
      const one = body([{ ...s, metrics: [{ name: m.name, points: [...Array.from({ length: i }, () => [['x', { arrayDepth: 1 }]] as Array<[string, AnyValue]>), a] }] }]);
      alone.push(...lines(one, schema));
    }
    t.same(all, alone, schema);
    t.ok(all.some((l) => l.includes('service=two ')) && all.some((l) => l.includes('service=own\\ wins')), `${schema}: scope tags and own tags as each point's`);
  }
});

t.test('a request whose attribute sets never repeat maps the same', async (t) => {
  const points = Array.from({ length: 2000 }, (_, i): Array<[string, AnyValue]> => [['id', { i }], ['k', { s: `v${i % 7}` }]]);
  const all = lines(body([{ resource: [['r', { s: '1' }]], scope: 's', metrics: [{ name: 'g', points }, { name: 'g', points }] }]), 'prometheus-v2');
  t.equal(all.length, 4000);
  t.equal(all[0], `prometheus,id=0,k=v0,otel.library.name=s,r=1 g=0.5,start_time_unix_nano=${T - 1n}i ${T}`);
  t.equal(all[2000 + 1999], `prometheus,id=1999,k=v4,otel.library.name=s,r=1 g=1999.5,start_time_unix_nano=${T - 1n}i ${T}`);
});

t.test('an array value is refused where an earlier point had an empty value (same bytes but for the value type)', async (t) => {
  const empty: Array<[string, AnyValue]> = [['k', { s: '' }]];
  const arr: Array<[string, AnyValue]> = [['k', { arrayDepth: 1 }]];
  const fewer: Array<[string, AnyValue]> = [];
  const req = decodeProtobufRequest(body([{ resource: [['r', { s: '1' }]], scope: 's', metrics: [{ name: 'g', points: [empty] }, { name: 'g', points: [arr] }, { name: 'g', points: [fewer] }] }]), { maxDataPoints: 1e6 });
  const b = new PointBuilder();
  const r = mapRequest(req, 'prometheus-v2', b, { maxPoints: 1e6, maxBytes: 1e9 });
  t.equal(r.rejected, 1);
  t.match(r.errors[0], /attribute "k" is an array/);
  t.equal(b.count, 2);
});
