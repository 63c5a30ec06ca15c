// PointBuilder: structured points become canonical lines that the parser, InfluxDB's decoding and
// Telegraf's grammar all read back as the point built; points no line carries are refused by name.
import t from 'tap';
import fc from 'fast-check';
import { PointBuilder } from '../../src/parse/point-builder.js';
import { decodeLine, parseLines } from '../../src/parse/index.js';
import type { FieldValue, Point } from '../../src/parse/index.js';
import { readTelegrafLines } from '../helpers/telegraf-grammar.js';
import { pointKey } from '../kit/telegraf-lines.js';

const OPTS = { precision: 'ns' as const, receivedAtNs: 1n, allowUnsigned: true, allowCRLF: false };

function build(b: PointBuilder, p: Point): string {
  b.begin().measurement(p.measurement);
  for (const [k, v] of p.tags) b.tag(k, v);
  for (const [k, v] of p.fields) {
    switch (v.type) {
      case 'float': b.floatField(k, v.value); break;
      case 'integer': b.intField(k, v.value); break;
      case 'unsigned': b.uintField(k, v.value); break;
      case 'string': b.stringField(k, v.value); break;
      case 'boolean': b.boolField(k, v.value); break;
    }
  }
  return b.end(p.timestamp);
}

/**
 * The point as it should read back, empty-valued tags gone. Tags are compared in one order here; the line's
 * own order (by escaped key bytes, as InfluxDB sorts) is held by the parser's canonical check.
 */
function expected(p: Point): Point {
  const tags = p.tags.filter(([, v]) => v !== '').sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return { ...p, tags };
}

/** '' when the batch's only line reads back as p everywhere, else what differs. */
function readsBack(b: PointBuilder, p: Point): string {
  const batch = b.batch();
  const i = batch.count - 1;
  const line = batch.data.subarray(batch.starts[i], batch.starts[i + 1]);
  if (line.indexOf(10) !== line.length - 1) return `spans lines: ${JSON.stringify(line.toString())}`;
  const again = parseLines(Buffer.from(line), OPTS);
  if (again.errorCount !== 0 || again.points.count !== 1) return `parser refuses ${JSON.stringify(line.toString())}: ${again.errors[0]?.reason}`;
  if (!again.points.data.equals(line)) return `not canonical: ${JSON.stringify(line.toString())} → ${JSON.stringify(again.points.data.toString())}`;
  if (again.points.seriesLengths[0] !== batch.seriesLengths[i] || again.points.measurementLengths[0] !== batch.measurementLengths[i]) return `lengths differ for ${JSON.stringify(line.toString())}`;
  const want = pointKey(expected(p));
  const ours = pointKey(expected(decodeLine(batch.data, batch.starts[i], batch.starts[i + 1])));
  if (ours !== want) return `decodes as ${ours}, built ${want}`;
  const tele = readTelegrafLines(line);
  if (tele instanceof Error) return `Telegraf refuses ${JSON.stringify(line.toString())}: ${tele.message}`;
  if (tele.length !== 1 || pointKey(expected(tele[0])) !== want) return `Telegraf reads ${JSON.stringify(line.toString())} as ${tele.map(pointKey).join('|')}`;
  return '';
}

t.test('a remote_write-like point', async (t) => {
  const b = new PointBuilder();
  const p: Point = {
    measurement: 'prometheus_remote_write',
    tags: [['job', 'node'], ['instance', 'host a:9100'], ['le', '+Inf'], ['empty', '']],
    fields: [['http_requests_total', { type: 'float', value: 1027 }]],
    timestamp: 1700000000123000000n,
  };
  t.equal(build(b, p), '');
  t.equal(b.batch().data.toString(), 'prometheus_remote_write,instance=host\\ a:9100,job=node,le=+Inf http_requests_total=1027 1700000000123000000\n');
  t.equal(readsBack(b, p), '');
  t.equal(b.count, 1);
});

t.test('every field type, ms timestamps, several points', async (t) => {
  const b = new PointBuilder();
  b.begin().measurement('m').tag('z', '1').tag('a', 'x,y=z').floatField('f', -0).intField('i', -7n).uintField('u', 18446744073709551615n)
    .stringField('s', 'say "hi" \\ \t\r ok').boolField('b', true);
  t.equal(b.endMs(1700000000123), '');
  b.begin().measurement('m2').floatField('v', 1.5e-7);
  t.equal(b.endMs(0), '');
  b.begin().measurement('m3').floatField('v', 2);
  t.equal(b.endMs(-5), '');
  t.equal(b.batch().data.toString(),
    'm,a=x\\,y\\=z,z=1 f=-0,i=-7i,u=18446744073709551615u,s="say \\"hi\\" \\\\ \t\r ok",b=true 1700000000123000000\n' +
    'm2 v=1.5e-7 0\n' +
    'm3 v=2 -5000000\n');
  const again = parseLines(Buffer.from(b.batch().data), OPTS);
  t.equal(again.errorCount, 0);
  t.ok(again.points.data.equals(b.batch().data));
  t.same([...b.batch().starts], [...again.points.starts]);
  t.same([...b.batch().seriesLengths], [...again.points.seriesLengths]);
});

t.test('refused by name, nothing written, neighbours kept', async (t) => {
  const b = new PointBuilder();
  const refusals: Array<[string, (b: PointBuilder) => PointBuilder, RegExp]> = [
    ['newline in a tag value', (b) => b.measurement('m').tag('k', 'a\nb').floatField('v', 1), /tag value "a\\nb" holds a NUL, tab, newline/],
    ['tab in a measurement', (b) => b.measurement('m\tx').floatField('v', 1), /measurement .* NUL, tab/],
    ['CR in a field key', (b) => b.measurement('m').floatField('a\rb', 1), /field key .* NUL, tab/],
    ['newline in a string', (b) => b.measurement('m').stringField('s', 'x\ny'), /string field "s" holds a raw newline/],
    ['NaN', (b) => b.measurement('m').floatField('v', NaN), /field "v" is NaN/],
    ['Inf', (b) => b.measurement('m').floatField('v', Infinity), /Infinity/],
    ['no fields', (b) => b.measurement('m').tag('a', 'b'), /no fields/],
    ['no measurement', (b) => b.floatField('v', 1), /no measurement/],
    ['comment', (b) => b.measurement('#m').floatField('v', 1), /comment/],
    ['duplicate tag', (b) => b.measurement('m').tag('a', '1').tag('a', '2').floatField('v', 1), /duplicate tag key "a"/],
    ['duplicate field', (b) => b.measurement('m').floatField('v', 1).floatField('v', 2), /duplicate field key "v"/],
    ['time tag', (b) => b.measurement('m').tag('time', '1').floatField('v', 1), /tag key "time"/],
    ['time field', (b) => b.measurement('m').floatField('time', 1), /field key "time"/],
    ['empty tag key', (b) => b.measurement('m').tag('', '1').floatField('v', 1), /tag key is empty/],
    ['backslash before a comma', (b) => b.measurement('m').tag('k', 'a\\,b').floatField('v', 1), /backslash sequence/],
    ['trailing backslash', (b) => b.measurement('m\\').floatField('v', 1), /backslash sequence/],
    ['int too big', (b) => b.measurement('m').intField('i', 2n ** 63n), /not a 64-bit integer/],
    ['long series key', (b) => b.measurement('m').tag('k', 'x'.repeat(70000)).floatField('v', 1), /max key length exceeded/],
  ];
  for (const [name, f, re] of refusals) {
    const before = b.batch().data.length;
    b.begin();
    const why = f(b).end(1n);
    t.match(why, re, name);
    t.equal(b.batch().data.length, before, `${name}: nothing written`);
  }
  t.equal(b.begin().measurement('ok').floatField('v', 1).end(5n), '');
  t.equal(b.batch().data.toString(), 'ok v=1 5\n');
  t.match(new PointBuilder().begin().measurement('m').floatField('v', 1).end(2n ** 63n), /outside/);
  t.match(new PointBuilder().begin().measurement('m').floatField('v', 1).endMs(9223372036855), /outside/);
});

t.test('a point begun and not ended is dropped', async (t) => {
  const b = new PointBuilder();
  b.begin().measurement('m').tag('a', 'b').floatField('v', 1);
  b.begin().measurement('n').floatField('w', 2);
  t.equal(b.end(3n), '');
  t.equal(b.batch().data.toString(), 'n w=2 3\n');
});

t.test('many tags are sorted (merge sort past 16)', async (t) => {
  const b = new PointBuilder();
  const tags: Array<readonly [string, string]> = [];
  for (let i = 0; i < 200; i++) tags.push([`k${(i * 7919) % 1000}`, `v${i}`]);
  const p: Point = { measurement: 'm', tags, fields: [['v', { type: 'float', value: 1 }]], timestamp: 9n };
  t.equal(build(b, p), '');
  t.equal(readsBack(b, p), '');
});

// Random names over the bytes that matter: every point is either refused with a reason or read back
// by the parser (canonical, same bytes), InfluxDB's decoding and Telegraf's grammar as the point built.
const piece = fc.constantFrom('a', 'b', 'x', '0', 'é', ' ', ',', '=', '"', '\\', '\\\\', '#', '\t', '\n', '\r', 't', 'i', 'm', 'e', '\0');
const name = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
const value: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double().map((v) => ({ type: 'float' as const, value: v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ type: 'integer' as const, value: v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ type: 'unsigned' as const, value: v })),
  name.map((v) => ({ type: 'string' as const, value: v })),
  fc.boolean().map((v) => ({ type: 'boolean' as const, value: v })),
);
const point: fc.Arbitrary<Point> = fc.record({
  measurement: name,
  tags: fc.array(fc.tuple(name, fc.oneof(name, fc.constant(''))), { maxLength: 4 }),
  fields: fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 3 }),
  timestamp: fc.bigInt({ min: -(2n ** 63n) + 2n, max: 2n ** 63n - 2n }),
});

t.test('random points: refused with a reason, or read back alike by every reader', async (t) => {
  const b = new PointBuilder();
  let accepted = 0;
  const found: string[] = [];
  fc.assert(fc.property(point, (p) => {
    const why = build(b, p);
    if (why !== '') return;
    accepted++;
    const bad = readsBack(b, p);
    if (bad !== '') found.push(`${pointKey(p)}: ${bad}`);
  }), { numRuns: 6000, seed: 18 });
  t.same(found.slice(0, 5), []);
  t.ok(accepted > 150, `${accepted} points accepted`);
});

// keepSeries()/beginKept(): points of one series (a native histogram's buckets) written with the series
// checked and escaped once are the points begin() writes, refusals and their reasons included.
t.test('a kept series writes the same lines as begin()', async (t) => {
  const extra = fc.array(fc.tuple(fc.array(fc.tuple(name, name), { maxLength: 2 }), fc.tuple(name, value)), { minLength: 1, maxLength: 4 });
  const field = (b: PointBuilder, k: string, v: FieldValue): PointBuilder => {
    switch (v.type) {
      case 'float': return b.floatField(k, v.value);
      case 'integer': return b.intField(k, v.value);
      case 'unsigned': return b.uintField(k, v.value);
      case 'string': return b.stringField(k, v.value);
      case 'boolean': return b.boolField(k, v.value);
    }
  };
  const series = (b: PointBuilder, p: Point): PointBuilder => {
    b.measurement(p.measurement);
    for (const [k, v] of p.tags) b.tag(k, v);
    return b;
  };
  const one = new PointBuilder();
  const kept = new PointBuilder();
  fc.assert(fc.property(point, extra, (p, rest) => {
    const whys: string[] = [];
    const keptWhys: string[] = [];
    rest.forEach(([tags, [k, v]], i) => {
      series(one.begin(), p);
      if (i === 0) series(kept.begin(), p).keepSeries(); else kept.beginKept();
      for (const [tk, tv] of tags) { one.tag(tk, tv); kept.tag(tk, tv); }
      whys.push(field(one, k, v).endMs(i + 1));
      keptWhys.push(field(kept, k, v).endMs(i + 1));
    });
    t.same(keptWhys, whys);
  }), { numRuns: 3000, seed: 18 });
  t.ok(kept.batch().data.equals(one.batch().data), 'same bytes');
  t.same([...kept.batch().seriesLengths], [...one.batch().seriesLengths]);
  t.same([...kept.batch().measurementLengths], [...one.batch().measurementLengths]);
  t.throws(() => new PointBuilder().beginKept(), /without keepSeries/);
  t.throws(() => new PointBuilder().begin().measurement('m').keepSeries().beginKept().measurement('m').floatField('v', 1).keepSeries(), /before fields/);
});

t.test("a float's text is String(v)'s: values of up to 6 decimals (written without a string) and every other", async (t) => {
  const text = (v: number): string => {
    const b = new PointBuilder();
    b.begin().measurement('m').floatField('v', v);
    if (b.end(1n) !== '') return 'refused';
    const line = b.batch().data.toString('latin1');
    return line.slice(line.indexOf('v=') + 2, line.lastIndexOf(' '));
  };
  const want = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  const bits = new Float64Array(1);
  const low = new Uint32Array(bits.buffer);
  /** v and the doubles either side of it. */
  const around = (v: number): number[] => [-1, 0, 1].map((d) => { bits[0] = v; low[0] += d; return bits[0]; });
  let n = 0;
  const same = (v: number): boolean => { n++; return !Number.isFinite(v) || text(v) === want(v); };
  const edges = [1e-6, 1e-7, 9.999999e-7, 1.000001e-6, 0.1, 0.2, 0.1 + 0.2, 2.675, 1.005, 12345.67, 123456789.123456, 999999999.999999,
    1e9 - 1e-6, 999999999.9999999, 1e9, 100.0000005, 5e-324, Number.MAX_VALUE, 2 ** 53 + 0.5, -0];
  for (const e of edges) for (const v of [...around(e), ...around(-e)]) if (!same(v)) t.fail(`${v}: ${text(v)}, not ${want(v)}`);
  // Decimals of 0-9 places (the fast path takes up to 6) and their neighbours, and any double.
  const decimal = fc.tuple(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: 0, max: 9 })).map(([m, k]) => m / 10 ** k);
  fc.assert(fc.property(fc.oneof(decimal, fc.double()), (v) => around(v).every(same)), { numRuns: 20_000 });
  for (let m = 1; m < 200_000; m += 7) if (!around(m / 1e6).every(same)) t.fail(`near ${m}e-6`);
  t.ok(n > 100_000, `${n} values`);
});
