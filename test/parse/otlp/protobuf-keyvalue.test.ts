// KeyValue decoding: the usual shape is read at once (protobuf.ts plainKeyValue), every other shape field by field;
// both must give the same tag, and the field-by-field reading the same refusals.
import t from 'tap';
import { convertRequest } from '../../../src/parse/otlp/convert.js';
import { Pb, numberPoint, gaugeMetric, request } from '../../kit/otlp-bodies.js';

const limits = { maxPoints: 1e6, maxBytes: 1e9 };
const bad = Buffer.from([0xc3, 0x28]);
const kv = (f: (p: Pb) => void): Pb => { const p = new Pb(); f(p); return p; };
const av = kv;
/** Raw bytes after a tag (Pb writes only well-formed values). */
const raw = (p: Pb, bytes: number[]): Pb => (p as unknown as { push(b: Buffer): Pb }).push(Buffer.from(bytes));

function tags(k: Pb): string {
  const r = convertRequest(request([], [gaugeMetric('g', [numberPoint([k], 1), numberPoint([k], 2)])]), 'protobuf', 'prometheus-v2', limits);
  if (!r.ok) return `${r.status} ${r.message}`;
  const line = r.points.data.toString('utf8', 0, r.points.starts[1] - 1);
  return line.slice(0, line.indexOf(',otel.library'));
}

t.test('KeyValue shapes', async (t) => {
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.str(1, 'v'))))), 'prometheus,k=v');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.uint(3, 200))))), 'prometheus,k=200');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.uint(3, (1 << 28) - 1))))), 'prometheus,k=268435455');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.uint(3, 1 << 28))))), 'prometheus,k=268435456');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.uint(3, -5n & 0xffffffffffffffffn))))), 'prometheus,k=-5');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => raw(a.tag(3, 0), [0x81, 0x80, 0x00]))))), 'prometheus,k=1', 'an overlong varint');
  t.equal(tags(kv((p) => p.msg(2, av((a) => a.str(1, 'v'))).str(1, 'k'))), 'prometheus,k=v', 'value before key');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.str(1, 'v').str(1, 'w'))))), 'prometheus,k=w', 'a later value wins');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.str(1, 'v').uint(3, 7))))), 'prometheus,k=7');
  t.equal(tags(kv((p) => p.str(1, 'k').str(1, 'j').msg(2, av((a) => a.str(1, 'v'))))), 'prometheus,j=v', 'a later key wins');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.str(1, 'v'))).uint(9, 1))), 'prometheus,k=v', 'an unknown field');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.str(1, 'x'.repeat(200)))))), `prometheus,k=${'x'.repeat(200)}`);
  t.equal(tags(kv((p) => p.str(1, 'ké').msg(2, av((a) => a.str(1, 'ü'))))), 'prometheus,ké=ü');
  t.equal(tags(kv((p) => p.bytes(1, bad).msg(2, av((a) => a.str(1, 'v'))))), '400 invalid OTLP protobuf request: KeyValue field 1: a string that is not valid UTF-8');
  t.equal(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => a.bytes(1, bad))))), '400 invalid OTLP protobuf request: AnyValue field 1: a string that is not valid UTF-8');
  t.equal(tags(kv((p) => raw(p.tag(1, 0), [5]).msg(2, av((a) => a.str(1, 'v'))))), '400 invalid OTLP protobuf request: KeyValue field 1 has wire type varint, not length-delimited');
  t.match(tags(kv((p) => p.str(1, 'k').msg(2, av((a) => raw(a.tag(3, 0), [0x81]))))), /^400 .*truncated.*\(in AnyValue\)$/);
});
