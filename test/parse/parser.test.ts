// Unit tests of the parser's corners, from the line protocol docs and InfluxDB 1.x's parser tests
// (values here are what influxd 1.6.7 stores; the differential suite checks them against it).
import t from 'tap';
import { decodeLine, describeLineError, describeLineErrorAt, measurementOf, parseLines, parsePrecision, precisionError, serializePoint, tagValueOf } from '../../src/parse/index.js';
import type { ParseOptions, Point } from '../../src/parse/index.js';
import { DELIBERATE } from './cases.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1700000000123456789n, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

function lines(body: string, o: ParseOptions = V1): string[] {
  const r = parseLines(Buffer.from(body), o);
  return r.points.data.toString().split('\n').slice(0, -1);
}
function reasons(body: string, o: ParseOptions = V1): string[] {
  return parseLines(Buffer.from(body), o).errors.map((e) => e.reason);
}
function one(body: string, o: ParseOptions = V1): Point {
  const r = parseLines(Buffer.from(body), o);
  if (r.points.count !== 1) throw new Error(`expected one point, got ${r.points.count}: ${JSON.stringify(r.errors)}`);
  return decodeLine(r.points.data, r.points.starts[0], r.points.starts[1]);
}

t.test('canonical output: sorted tags, ns timestamp, receive time, booleans spelled out', async (t) => {
  t.same(lines('cpu,z=1,a=2 v=1,s="x",b=t 123'), ['cpu,a=2,z=1 v=1,s="x",b=true 123']);
  t.same(lines('cpu v=1'), ['cpu v=1 1700000000123456789']);
  t.same(lines('cpu v=1', { ...V1, precision: 's' }), ['cpu v=1 1700000000000000000']);
  t.same(lines('cpu v=1 5', { ...V1, precision: 'ms' }), ['cpu v=1 5000000']);
  t.same(lines('cpu v=1 2', { ...V1, precision: 'h' }), ['cpu v=1 7200000000000']);
  t.same(lines('  cpu  v=1   007  '), ['cpu v=1 7']);
  t.same(lines('cpu v=1 -0'), ['cpu v=1 0']);
  t.same(lines('cpu v=T,w=False,x=F,y=TRUE 1'), ['cpu v=true,w=false,x=false,y=true 1']);
  t.same(lines('cpu,a==b v=1 1'), ['cpu,a=\\=b v=1 1']);
  t.same(lines('cpu,path=/a\\ b v=1 1'), ['cpu,path=/a\\ b v=1 1']);
});

t.test('comments, blank lines, line numbers and neighbours of bad lines', async (t) => {
  const r = parseLines(Buffer.from('# c\n\n  \na v=1 1\nb v= 2\nc v=3 3\n   # x\nd,t v=1\n'), V1);
  t.equal(r.points.count, 2);
  t.same(r.errors.map((e) => [e.line, e.reason]), [[5, 'missing field value'], [8, 'missing tag value']]);
  t.equal(describeLineError(r.errors[0]), "unable to parse 'b v= 2': missing field value");
  t.equal(r.errors[0].column, 4);
  t.equal(measurementOf(r.points, 1), 'c');
  t.same([...r.points.lines], [4, 6], 'each point keeps its body line');
});

t.test('the line column: blank, NUL-only and comment lines, quoted and escaped newlines, both paths', async (t) => {
  // Fast path (ns, a newline ahead) and exact path (the last line, precision) alike.
  const body = 'a v=1 1\n\0\n\t\n# c\nb v="x\ny" 2\nc v=1 3\nd\\\ne v=1 4\n\r\nf,t=1 v=2i\ng v=1';
  for (const o of [V1, { ...V1, precision: 's' as const }]) {
    const r = parseLines(Buffer.from(body), o);
    t.same(r.errors.map((e) => e.line), [5, 8, 10], 'raw newlines in a string or a name are refused (record rules); `\\r` is not a point');
    t.same([...r.points.lines], [1, 7, 11, 12], o.precision);
  }
});

t.test('escapes: 1.x unescapes only some sequences', async (t) => {
  t.equal(one('c\\ p\\,u\\=x\\"y v=1 1').measurement, 'c p,u=x"y');
  t.equal(one('c\\pu v=1 1').measurement, 'c\\pu');
  t.same(one('m,a\\ b=c\\,d\\=e v=1 1').tags, [['a b', 'c,d=e']]);
  t.same(one('m,a=\\"x\\" v=1 1').tags, [['a', '\\"x\\"']]);
  t.same(one('m v\\ x\\,y\\=z\\"w=1 1').fields.map(([k]) => k), ['v x,y=z"w']);
  t.equal(one('m v="a\\"b\\\\c\\nd" 1').fields[0][1].value, 'a"b\\c\\nd');
  t.match(reasons('m v="a\nb" 1'), [/^string field holds a raw newline/], '1.x keeps it; no record line can (consumers.ts)');
  t.equal(one('m v="x"y 1').fields[0][1].value, 'x"');
  t.same(reasons('m a\\\\=1 1'), ['invalid value: field-key=a\\\\=1']);
  // 1.x reads the field key `a\=1,b`; Telegraf would read key `a\\` and value 1: no line keeps it.
  t.match(reasons('m a\\\\=1,b=2 1'), [/^field key holds a backslash sequence/]);
  t.same(lines('m v=1 1\\\nm v=2 2'), []);
  t.same(reasons('m v=1 1\\\nm v=2 2'), ['bad timestamp']);
});

t.test('a quoted value followed by more text before = or , (InfluxDB TestParsePointMissingFieldValue)', async (t) => {
  // 1.x's scanner counts these '=' as fields; its iterator (walkFields) reads them as one value.
  t.same(reasons('m f="blah"=123,r 1531703600000000000'), ['invalid value: field-key=r']);
  t.same(lines('m f="blah"=123,r 1531703600000000000\n'), [], 'fast path too');
  t.same(reasons('m f="a"=1'), ['invalid field format']);
  // Accepted by 1.x, read the iterator's way: one string `a"=` and a key `r,s`.
  t.same(lines('m f="a"=1,r,s=2 1'), ['m f="a\\"=",r\\,s=2 1']);
  t.same(lines('m f="a"=1,r,s=2 1\n'), ['m f="a\\"=",r\\,s=2 1']);
  t.same(one('m f="a"b=1,r,s=2i 1').fields, [['f', { type: 'string', value: 'a"b=' }], ['r,s', { type: 'integer', value: 2n }]]);
});

t.test('numbers', async (t) => {
  const v = (x: string) => one(`m v=${x} 1`).fields[0][1];
  t.same(v('1.'), { type: 'float', value: 1 });
  t.same(v('.5'), { type: 'float', value: 0.5 });
  t.same(v('-.5e1'), { type: 'float', value: -5 });
  t.same(v('9223372036854775807i'), { type: 'integer', value: 9223372036854775807n });
  t.same(v('-9223372036854775808i'), { type: 'integer', value: -9223372036854775808n });
  for (const bad of ['NaN', 'inf', '-', '.', '1.2.3', '1i2', '1.5i', '1e5i', 'i', '-i', '1-2', '+1', '1u'])
    t.ok(reasons(`m v=${bad} 1`).length === 1, bad);
  t.same(reasons('m v=9223372036854775808i 1'), ['unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "9223372036854775808": value out of range']);
  t.same(reasons('m v=1e309 1'), ['invalid float']);
  t.same(reasons('m v=1e 1'), ['invalid float']);
  t.same(reasons('m v=nope 1'), ['invalid number']);
  t.same(reasons('m v=+1 1'), ['invalid boolean']);
  t.same(one('m v=18446744073709551615u 1', V2).fields[0][1].value, 18446744073709551615n, 'unsigned with allowUnsigned');
});

t.test('unsigned and CRLF follow the options (1.x rejects, 2.x accepts)', async (t) => {
  t.same(reasons('m v=1u 1'), ['invalid number']);
  t.same(one('m v=1u 1', V2).fields[0][1], { type: 'unsigned', value: 1n });
  t.same(reasons('m v=18446744073709551616u 1', V2), ['unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing "18446744073709551616": value out of range']);
  t.same(reasons('m v=-1u 1', V2), ['invalid number']);
  t.same(reasons('m v=1 1\r\nm v=2 2'), ['bad timestamp']);
  t.same(lines('m v=1 1\r\nm v=2 2\r\n', V2), ['m v=1 1', 'm v=2 2']);
});

t.test('booleans: the ten spellings', async (t) => {
  for (const b of ['t', 'T', 'true', 'True', 'TRUE']) t.equal(one(`m v=${b} 1`).fields[0][1].value, true, b);
  for (const b of ['f', 'F', 'false', 'False', 'FALSE']) t.equal(one(`m v=${b} 1`).fields[0][1].value, false, b);
  for (const b of ['tRUE', 'yes', 'tru', 'truee', 'fAlse']) t.same(reasons(`m v=${b} 1`), ['invalid boolean'], b);
});

t.test('timestamps: range and precision overflow', async (t) => {
  t.equal(one('m v=1 -9223372036854775806').timestamp, -9223372036854775806n);
  t.equal(one('m v=1 9223372036854775806').timestamp, 9223372036854775806n);
  const range = 'time outside range -9223372036854775806 - 9223372036854775806';
  t.same(reasons('m v=1 9223372036854775807'), [range]);
  t.same(reasons('m v=1 -9223372036854775807'), [range]);
  t.same(reasons('m v=1 9223372036854775808'), ['strconv.ParseInt: parsing "9223372036854775808": value out of range']);
  t.same(reasons('m v=1 -'), ['strconv.ParseInt: parsing "-": invalid syntax']);
  t.same(reasons('m v=1 9223372036855', { ...V1, precision: 'ms' }), [range]);
  t.same(reasons('m v=1 1.5'), ['bad timestamp']);
  t.same(reasons('m v=1 1 2'), ['point is invalid']);
  t.same(reasons('m v=1 1\t'), ['bad timestamp']);
});

t.test('reserved keys, duplicate tags and fields', async (t) => {
  const r = parseLines(Buffer.from('m,time=x v=1 1\nm time=1 1\nm time=1,v=2 1\nm a=1,a=2i 1\nm a=1,b=2,a=3 1\nm,a=1,a=2 v=1 1'), V1);
  t.same(r.errors.map((e) => [e.line, describeLineError(e)]), [
    [1, 'invalid tag key: input tag "time" on measurement "m" is invalid'],
    [2, 'invalid field name: input field "time" on measurement "m" is invalid'],
    [4, 'field type conflict: input field "a" on measurement "m" is type integer, already exists as type float'],
    [6, "unable to parse 'm,a=1,a=2 v=1 1': duplicate tags"],
  ]);
  t.same(r.points.data.toString(), 'm v=2 1\nm a=3,b=2 1\n');
});

t.test('precision names and errors', async (t) => {
  t.equal(parsePrecision(undefined, 'v1'), 'ns');
  t.equal(parsePrecision('', 'v1'), 'ns');
  t.equal(parsePrecision('n', 'v1'), 'ns');
  t.equal(parsePrecision('u', 'v1'), 'us');
  t.equal(parsePrecision('us', 'v1'), undefined);
  t.equal(parsePrecision('us', 'v2'), 'us');
  t.equal(parsePrecision('h', 'v2'), undefined);
  t.equal(precisionError('x', 'v1'), 'invalid precision "x" (use n, u, ms, s, m or h)');
  t.equal(precisionError('x', 'v2'), 'invalid precision; valid precision units are ns, us, ms, and s');
});

t.test('batch accessors', async (t) => {
  const r = parseLines(Buffer.from('c\\ pu,b=x\\ y,a=1 v=1 1\nmem v=2 2'), V1);
  t.equal(measurementOf(r.points, 0), 'c pu');
  t.equal(tagValueOf(r.points, 0, 'b'), 'x y');
  t.equal(tagValueOf(r.points, 0, 'a'), '1');
  t.equal(tagValueOf(r.points, 0, 'c'), undefined);
  t.equal(tagValueOf(r.points, 1, 'a'), undefined);
  t.equal(r.points.data.subarray(r.points.starts[0], r.points.starts[0] + r.points.seriesLengths[0]).toString(), 'c\\ pu,a=1,b=x\\ y');
});

t.test('serializePoint', async (t) => {
  const p: Point = { measurement: 'a b,c', tags: [['z', '1'], ['a', 'x=y']], fields: [['s', { type: 'string', value: 'q"\\' }], ['i', { type: 'integer', value: -5n }], ['f', { type: 'float', value: -0 }]], timestamp: 5n };
  t.equal(serializePoint(p), 'a\\ b\\,c,a=x\\=y,z=1 s="q\\"\\\\",i=-5i,f=-0 5');
  t.throws(() => serializePoint({ ...p, fields: [['f', { type: 'float', value: NaN }]] }));
});

t.test('deliberate differences from influxd 1.6.7 (src/parse/README.md)', async (t) => {
  // influxd fails the request on the second line's type ("field type conflict"); we keep both.
  t.equal(parseLines(Buffer.from(DELIBERATE.crossLineTypeConflict), V1).points.count, 2);
  // influxd answers 204 but cannot read the point back; Telegraf reads another point: rejected.
  t.match(reasons(DELIBERATE.unreadableMeasurement), [/^measurement holds a backslash sequence/]);
  // influxd panics and exits (a lone `"` as the value its iterator reads); a 500 for an empty value.
  t.same(reasons(DELIBERATE.panicsInfluxd), ['invalid field value: InfluxDB reads 7a.=" as a string it cannot store']);
  t.same(reasons('a \\\\="=,a="3a 1'), ['invalid field value: InfluxDB reads \\\\="= as an empty value it cannot store']);
  // ... but a field keyed `time` is skipped before its value is read: influxd stores the point.
  t.same(reasons('m ,a="="a,time=1.5x" 1'), []);
  // Quoted lines are truncated in errors.
  const long = 'm v=' + 'x'.repeat(400);
  t.ok(parseLines(Buffer.from(long), V1).errors[0].text.endsWith('...'));
});

t.test('hints: InfluxDB\'s reason unchanged, the likely cause beside it', async (t) => {
  const err = (body: string, o: ParseOptions = V1) => parseLines(Buffer.from(body), o).errors[0];
  t.equal(err('cpu host=a').reason, 'invalid boolean');
  t.match(err('cpu host=a').hint, /tag written as a field/);
  t.match(describeLineErrorAt(err('cpu host=a')), /^unable to parse 'cpu host=a': invalid boolean \(line 1, column \d+; hint: /);
  t.equal(err('cpu v=1u 1').reason, 'invalid number');
  t.match(err('cpu v=1u 1').hint, /KINFLUX_V1_ALLOW_UNSIGNED/);
  t.equal(err('cpu v=-1u 1', V2).hint, undefined, 'a negative unsigned is wrong on 2.x too: no hint');
  t.match(err('cpu,host=a').hint, /at least one field/);
  t.match(err('cpu v=1 1\r\ncpu v=2 2').hint, /KINFLUX_V1_ALLOW_CRLF/);
  t.equal(err('cpu v=1 1x').hint, undefined);
});
