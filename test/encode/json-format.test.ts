import t from 'tap';
import { pointToJson, goJsonString } from '../../src/encode/json-format.js';
import { pointEncoder } from '../../src/encode/record-format.js';
import { decodeLine } from '../../src/encode/point-access.js';
import { batchFromLines } from './batch-from-lines.js';
import { readJsonLine, readJsonRecord, withSortedFields } from '../helpers/json-record.js';
import { BatchEncoder } from '../../src/encode/batch-encoder.js';
import { loadSettings } from '../../src/config/settings.js';

t.test("Telegraf's json serializer layout: sorted keys, one object per line", async (t) => {
  const b = batchFromLines(['cpu,host=a,cpu=cpu0 usage_idle=98.5,usage_user=1.5 1700000000123456789']);
  const enc = pointEncoder('json', 'ms');
  t.equal(
    enc(b, 0).toString(),
    '{"fields":{"usage_idle":98.5,"usage_user":1.5},"name":"cpu","tags":{"cpu":"cpu0","host":"a"},"timestamp":1700000000123}\n',
  );
});

t.test('every field type; int64/uint64 exact beyond 2^53; units', async (t) => {
  const l = 'm,t=x b=true,f=-0.000001,i=-9223372036854775808i,s="he said \\"<hi>\\" & \\\\",u=18446744073709551615u,z=1e+21 1700000000999999999';
  const p = decodeLine(Buffer.from(l), 0, l.length);
  t.equal(
    pointToJson(p, 'ns'),
    '{"fields":{"b":true,"f":-0.000001,"i":-9223372036854775808,"s":"he said \\"\\u003chi\\u003e\\" \\u0026 \\\\","u":18446744073709551615,"z":1e+21},"name":"m","tags":{"t":"x"},"timestamp":1700000000999999999,"unsigned":["u"]}\n',
  );
  t.match(pointToJson(p, 's'), /"timestamp":1700000000,/);
  t.match(pointToJson(p, 'us'), /"timestamp":1700000000999999,/);
  t.match(pointToJson(p, 'ms'), /"timestamp":1700000000999,/, 'truncated, as Go integer division');
  const parsed = JSON.parse(pointToJson(p, 'ns')) as { fields: { s: string } };
  t.equal(parsed.fields.s, 'he said "<hi>" & \\', 'valid JSON');
});

t.test('escaped names and Go-style escapes', async (t) => {
  const l = 'my\\ m,k\\=1=v\\,2 f\\ x=1i 1';
  const p = decodeLine(Buffer.from(l), 0, l.length);
  t.equal(p.measurement, 'my m');
  t.same(p.tags, [['k=1', 'v,2']]);
  t.same(p.fields, [['f x', { type: 'integer', value: 1n }]]);
  t.equal(goJsonString('a\u2028b\n'), '"a\\u2028b\\n"');
});

t.test('number types survive the text: floats carry a point or an exponent, integers never, unsigned listed', async (t) => {
  const l =
    'm f1=1,f2=-0,f3=1e300,f4=5e-324,f5=-1.5e-7,f6=123456789012345678901234,f7=0.1,i1=0i,i2=9223372036854775807i,i3=-9223372036854775808i,i4=9007199254740993i,u1=0u,u2=18446744073709551615u 1';
  const p = decodeLine(Buffer.from(l), 0, l.length);
  const j = pointToJson(p, 'ns');
  t.match(j, /"f1":1\.0,"f2":-0\.0,"f3":1e\+300,"f4":5e-324,"f5":-1\.5e-7,"f6":1\.2345678901234569e\+23,"f7":0\.1,/);
  t.match(j, /"i1":0,"i2":9223372036854775807,"i3":-9223372036854775808,"i4":9007199254740993,"u1":0,"u2":18446744073709551615\}/);
  t.match(j, /,"unsigned":\["u1","u2"\]\}\n$/, 'unsigned fields named after the timestamp, sorted');
  t.same(readJsonLine(j.slice(0, -1)), withSortedFields(p), 'a typed reader gets the very point back');
  const plain = JSON.parse(j) as { fields: Record<string, number> };
  t.equal(plain.fields.f1, 1, 'a plain JSON reader still reads numbers');
  t.ok(Object.is(plain.fields.f2, -0));
  t.notMatch(pointToJson(decodeLine(Buffer.from('m f=1i 1'), 0, 8), 'ns'), /unsigned/, 'no "unsigned" key without unsigned fields');
});

t.test('every emitted record line validates against docs/record.schema.json', async (t) => {
  const lines = [
    'cpu,host=a,region=eu\\ west usage=1.5,n=3i,ok=true,s="x\\"y" 1700000000000000000',
    'e\\,m\\ ö,t\\=k=v\\,ö f\\=x="Grüße 🌍 <&>",u=5u -1',
    'm f=0 0',
  ];
  const b = batchFromLines(lines);
  const enc = pointEncoder('json', 'ns');
  for (let i = 0; i < b.count; i++) {
    const back = readJsonRecord(enc(b, i));
    t.same(back, [withSortedFields(decodeLine(b.data, b.starts[i], b.starts[i + 1]))], lines[i]);
  }
  t.throws(() => readJsonLine('{"fields":{},"name":"m","tags":{},"timestamp":1}'), /schema/, 'the schema refuses a point without fields');
  t.throws(() => readJsonLine('{"fields":{"a":1},"name":"m","tags":{},"timestamp":1.5}'), /schema/);
});

t.test('json records refuse points that are not UTF-8 (they would collapse keys or lose fields); line records keep the bytes', async (t) => {
  const raw = (s: string): Buffer => Buffer.from(s, 'latin1');
  const lines = [raw('u8,\xfe=a,\xff=b f=1i 1\n'), raw('ok f=1i 2\n'), raw('u8f \xfe=1i,\xff="x" 3\n'), raw('s f="caf\xe9" 4\n')];
  const data = Buffer.concat(lines);
  const starts = new Uint32Array(lines.length + 1);
  for (let i = 0; i < lines.length; i++) starts[i + 1] = starts[i] + lines[i].length;
  const seriesLengths = Uint32Array.from(lines.map((l) => l.indexOf(0x20)));
  const measurementLengths = Uint32Array.from(lines.map((l) => Math.min(...[l.indexOf(0x2c), l.indexOf(0x20)].filter((x) => x >= 0))));
  const batch = { data, count: lines.length, starts, seriesLengths, measurementLengths, lines: Uint32Array.from(lines, (_, i) => i + 1) };
  const json = new BatchEncoder(loadSettings({ KINFLUX_RECORD_FORMAT: 'json' }).delivery);
  t.same(json.unencodable(batch, 1 << 20).map((u) => [u.index, u.kind]), [[0, 'invalid_utf8'], [2, 'invalid_utf8'], [3, 'invalid_utf8']]);
  t.match(json.unencodable(batch, 1 << 20)[0].reason, /invalid UTF-8 .* KINFLUX_RECORD_FORMAT=line/);
  const line = new BatchEncoder(loadSettings({}).delivery);
  t.same(line.unencodable(batch, 1 << 20), [], 'line records pass the bytes through, as InfluxDB stores them');
});
