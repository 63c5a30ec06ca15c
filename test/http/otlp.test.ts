// POST /v1/metrics on the real server: partial success with good and unmappable data points mixed, the
// failures as google.rpc.Status in the request's encoding, hostile bodies refused by name.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { gaugeMetric, keyValue, numberPoint, request as pbRequest } from '../kit/otlp-bodies.js';

const T = '1700000000000000000';
const gauge = (name: string, dp: Record<string, unknown>) => ({ name, gauge: { dataPoints: [dp] } });
const request = (metrics: unknown[], resource: unknown[] = [{ key: 'service.name', value: { stringValue: 'route-test' } }]) =>
  JSON.stringify({ resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 'sc' }, metrics }] }] });
const json = { 'content-type': 'application/json' };

const k = await startKinesisLocal({ streams: { otlp: 1, other: 1 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());
const kf = await startKinflux(emulatorEnv(k.endpoint, 'other', { KINFLUX_OTLP_STREAM: 'otlp', KINFLUX_MAX_LINES: '1000' }));
t.teardown(() => kf.stop());

t.test('partial success: good and unmappable data points mixed', async (t) => {
  const body = request([
    gauge('good_a', { timeUnixNano: T, asDouble: 1.5, attributes: [{ key: 'k', value: { intValue: '42' } }] }),
    gauge('no_time', { asDouble: 2 }),
    gauge('nan', { timeUnixNano: T, asDouble: 'NaN' }),
    gauge('arr', { timeUnixNano: T, asInt: 3, attributes: [{ key: 'list', value: { arrayValue: { values: [] } } }] }),
    { name: 'good_b', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T, startTimeUnixNano: '1', asInt: '9007199254740993' }] } },
    gauge('bad\nname', { timeUnixNano: T, asDouble: 1 }),
  ]);
  const r = await send(kf.url, '/v1/metrics', body, { method: 'POST', headers: json });
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^application\/json/);
  const ps = (JSON.parse(r.text) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } }).partialSuccess;
  t.equal(ps.rejectedDataPoints, '4');
  for (const what of ['"no_time"', 'no timestamp', '"nan"', 'NaN', '"arr"', '"list" is an array', 'bad\\nname', 'tab, newline']) t.match(ps.errorMessage, what);
  const lines = await readLines(client, 'otlp');
  t.same(lines.sort(), [
    `prometheus,k=42,otel.library.name=sc,service.name=route-test good_a=1.5 ${T}`,
    `prometheus,otel.library.name=sc,service.name=route-test good_b=9007199254740993i,start_time_unix_nano=1i ${T}`,
  ]);
});

t.test('every data point refused: 400 with the reasons', async (t) => {
  const r = await send(kf.url, '/v1/metrics', request([gauge('x', { asDouble: 1 })]), { method: 'POST', headers: json });
  t.equal(r.status, 400);
  t.match(JSON.parse(r.text), { code: 3, message: /no timestamp/ });
});

t.test('empty request: 200 with an empty response', async (t) => {
  const r = await send(kf.url, '/v1/metrics', '{}', { method: 'POST', headers: json });
  t.equal(r.status, 200);
  t.equal(r.text, '{}');
});

t.test('refusals as google.rpc.Status', async (t) => {
  const cases: Array<[string, Buffer | string, Record<string, string>, number, RegExp]> = [
    ['another Content-Type', request([]), { 'content-type': 'text/plain' }, 415, /unsupported Content-Type/],
    ['not JSON', '{"resourceMetrics":', json, 400, /not JSON/],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"resourceMetrics":[],"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), json, 400, /UTF-8/],
    ['a wrong type', '{"resourceMetrics":{}}', json, 400, /resourceMetrics: expected a list/],
    ['an enum as a name', request([{ name: 's', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' } }]), json, 400, /enums as integers/],
    ['deep nesting', '{"a":' + '['.repeat(100) + ']'.repeat(100) + '}', json, 400, /nested deeper/],
    ['too many data points', request([{ name: 'g', gauge: { dataPoints: Array.from({ length: 1001 }, () => ({ timeUnixNano: T, asDouble: 1 })) } }]), json, 413, /more than 1000 data points/],
  ];
  for (const [what, body, headers, status, message] of cases) {
    const r = await send(kf.url, '/v1/metrics', body, { method: 'POST', headers });
    t.equal(r.status, status, what);
    t.match(JSON.parse(r.text), { code: Number, message }, what);
  }
});

t.test('gzip bodies', async (t) => {
  const body = gzipSync(request([gauge('zipped', { timeUnixNano: T, asDouble: 3 })]));
  const r = await send(kf.url, '/v1/metrics', body, { method: 'POST', headers: { ...json, 'content-encoding': 'gzip' } });
  t.equal(r.status, 200);
  t.ok((await readLines(client, 'otlp')).some((l) => l.includes('zipped=3')));
});

t.test('protobuf: partial success answered in protobuf, refusals as a protobuf google.rpc.Status', async (t) => {
  const body = pbRequest([keyValue('service.name', { s: 'route-pb' })], [
    gaugeMetric('pb_good', [numberPoint([keyValue('k', { s: 'v' })], 2.5, 1700000000000000001n)]),
    gaugeMetric('pb_nan', [numberPoint([], NaN)]),
    gaugeMetric('pb_arr', [numberPoint([keyValue('a', { arrayDepth: 2 })], 1)]),
  ]);
  const r = await sendRaw('/v1/metrics', body, { 'content-type': 'application/x-protobuf' });
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/x-protobuf');
  // ExportMetricsServiceResponse { partial_success (1) { rejected_data_points (1) = 2, error_message (2) } }
  const ps = readFields(readFields(r.body).get(1) as Buffer);
  t.equal(ps.get(1), 2);
  t.match((ps.get(2) as Buffer).toString(), /"pb_nan"[\s\S]*NaN[\s\S]*"pb_arr"[\s\S]*"a" is an array/);
  t.ok((await readLines(client, 'otlp')).includes('prometheus,k=v,otel.library.name=kit,otel.library.version=1.0,service.name=route-pb pb_good=2.5 1700000000000000001'));

  const bad = await sendRaw('/v1/metrics', Buffer.from([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' });
  t.equal(bad.status, 400);
  const st = readFields(bad.body);
  t.equal(st.get(1), 3, 'INVALID_ARGUMENT');
  t.match((st.get(2) as Buffer).toString(), /truncated/);
});

async function sendRaw(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const res = await fetch(kf.url + path, { method: 'POST', body, headers });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) };
}

/** Top-level varint and length-delimited fields of a small protobuf message (last one wins). */
function readFields(b: Buffer): Map<number, number | Buffer> {
  const out = new Map<number, number | Buffer>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let m = 1;
    for (;;) {
      const c = b[i++];
      v += (c & 0x7f) * m;
      m *= 128;
      if (c < 0x80) return v;
    }
  };
  while (i < b.length) {
    const tag = varint();
    if ((tag & 7) === 0) out.set(tag >>> 3, varint());
    else {
      const n = varint();
      out.set(tag >>> 3, b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}
