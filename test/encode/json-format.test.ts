import t from 'tap';
import { pointToJson, goJsonString } from '../../src/encode/json-format.js';
import { pointEncoder } from '../../src/encode/record-format.js';
import { decodeLine } from '../../src/encode/point-access.js';
import { batchFromLines } from './batch-from-lines.js';

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
    '{"fields":{"b":true,"f":-0.000001,"i":-9223372036854775808,"s":"he said \\"\\u003chi\\u003e\\" \\u0026 \\\\","u":18446744073709551615,"z":1e+21},"name":"m","tags":{"t":"x"},"timestamp":1700000000999999999}\n',
  );
  t.match(pointToJson(p, 's'), /"timestamp":1700000000}/);
  t.match(pointToJson(p, 'us'), /"timestamp":1700000000999999}/);
  t.match(pointToJson(p, 'ms'), /"timestamp":1700000000999}/, 'truncated, as Go integer division');
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
