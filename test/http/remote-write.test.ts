// POST /api/v1/write and /api/v1/prom/write on the real server: remote_write 1.0 and 2.0 by Content-Type (415
// for another proto), the 2.0 written-count headers on every outcome, partial 400s, stale markers counted,
// hostile snappy (declared length over the limit, lies), routing by ?db= and auth.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { labels, snappy, STALE_NAN, v1Proto, v2FromSeries } from '../helpers/remote-write.js';

const TOKEN = 'prom-test-token-0123456789';
const V1 = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', authorization: `Bearer ${TOKEN}` };
const V2 = { ...V1, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' };
const k = await startKinesisLocal({ streams: { rw: 1, r1: 1, r2: 1, r3: 1, r4: 1, other: 1, dflt: 1 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());
const kf = await startKinflux(emulatorEnv(k.endpoint, 'dflt', { KINFLUX_REMOTE_WRITE_STREAM: 'rw', KINFLUX_ROUTES: 'db1=r1,db2=r2,db3=r3,db4=r4,dbo=other', KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_MAX_DECODED_BYTES: '1MiB', KINFLUX_MAX_BODY_BYTES: '1MiB' }));
t.teardown(() => kf.stop());
const post = (path: string, body: Buffer, headers: Record<string, string>) => send(kf.url, path, body, { method: 'POST', headers });
const sample = (name: string, l: Record<string, string>, value: number, timestamp: number) => ({ labels: labels({ __name__: name, ...l }), samples: [{ value, timestamp }] });

t.test('1.0: 204, samples as points, the default remote_write stream; /api/v1/prom/write too', async (t) => {
  const body = snappy(v1Proto({ timeseries: [sample('up', { job: 'node', instance: 'h:9100' }, 1, 1700000000123), sample('temp', { room: 'a b' }, 21.5, 1700000000124)] }));
  const r = await post('/api/v1/write', body, V1);
  t.equal(r.status, 204);
  t.equal(r.headers['x-prometheus-remote-write-samples-written'], undefined, '1.0 answers carry no 2.0 headers');
  t.equal((await post('/api/v1/prom/write', snappy(v1Proto({ timeseries: [sample('up', { job: 'x' }, 0, 1700000000125)] })), V1)).status, 204);
  t.same(await readLines(client, 'rw'), [
    'prometheus_remote_write,instance=h:9100,job=node up=1 1700000000123000000',
    'prometheus_remote_write,room=a\\ b temp=21.5 1700000000124000000',
    'prometheus_remote_write,job=x up=0 1700000000125000000',
  ]);
});

t.test('2.0: 204 with the three headers; unknown proto 415', async (t) => {
  const body = snappy(v2FromSeries([{ labels: { __name__: 'req_total', code: '200' }, samples: [{ value: 5, timestamp: 1700000000000 }], exemplars: 2, metadata: true },
    { labels: { __name__: 'gone' }, samples: [{ value: STALE_NAN, timestamp: 1700000000000 }] }]));
  const r = await post('/api/v1/write?db=db1', body, V2);
  t.equal(r.status, 204);
  t.equal(r.headers['x-prometheus-remote-write-samples-written'], '1');
  t.equal(r.headers['x-prometheus-remote-write-histograms-written'], '0');
  t.equal(r.headers['x-prometheus-remote-write-exemplars-written'], '0');
  t.same(await readLines(client, 'r1'), ['prometheus_remote_write,code=200 req_total=5 1700000000000000000']);
  const other = await post('/api/v1/write', body, { ...V2, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request' });
  t.equal(other.status, 415);
  t.match(other.text, /unsupported Content-Type/);
  t.equal((await post('/api/v1/write', body, { ...V1, 'content-type': 'application/json' })).status, 415);
  t.equal((await post('/api/v1/write', body, { ...V1, 'content-encoding': 'gzip' })).status, 415);
  // Every 2.0 outcome carries the headers: a broken body too.
  const bad = await post('/api/v1/write', snappy(Buffer.from([0x22, 0x05, 0x01])), V2);
  t.equal(bad.status, 400);
  t.equal(bad.headers['x-prometheus-remote-write-samples-written'], '0');
  const m = await send(kf.url, '/metrics');
  t.match(m.text, /kinflux_remote_write_dropped_total\{kind="stale_marker"\} 1/);
  t.match(m.text, /kinflux_remote_write_dropped_total\{kind="exemplar"\} 2/);
  t.match(m.text, /kinflux_http_requests_total\{route="\/api\/v1\/write",code="204"\} \d+/);
});

t.test('a refused series: 400 naming it, the rest stored', async (t) => {
  const body = snappy(v1Proto({ timeseries: [sample('ok', {}, 1, 1700000000000), { labels: labels({ job: 'nameless' }), samples: [{ value: 1, timestamp: 1 }] }, sample('bad', { v: 'x\ny' }, 1, 1)] }));
  const r = await post('/api/v1/write?db=db2', body, V1);
  t.equal(r.status, 400);
  t.match(r.text, /partial write: 2 samples or series refused: series 1 \{job="nameless"\}: metric name "__name__" not found/);
  t.match(r.text, /series 2 .*raw newline|series 2 .*newline/);
  t.same(await readLines(client, 'r2'), ['prometheus_remote_write ok=1 1700000000000000000']);
  const none = await post('/api/v1/write?db=db2', snappy(v1Proto({ timeseries: [{ labels: labels({ a: 'b' }), samples: [{ value: 1, timestamp: 1 }] }] })), V1);
  t.equal(none.status, 400);
  t.match(none.text, /no sample could be stored/);
});

t.test('hostile bodies: snappy bombs, lies, broken protobuf', async (t) => {
  // Declares 2 MiB against a 1 MiB limit: 413 from the length alone.
  const bomb = snappy(v1Proto({ timeseries: [sample('x', { pad: 'a'.repeat(2 << 20) }, 1, 1)] }));
  t.ok(bomb.length < 200_000);
  const r = await post('/api/v1/write', bomb, V1);
  t.equal(r.status, 413);
  t.match(r.text, /declares \d+ bytes, more than the limit of 1048576/);
  const lie = Buffer.from(snappy(v1Proto({ timeseries: [sample('x', {}, 1, 1)] })));
  lie[0] += 5;
  t.equal((await post('/api/v1/write', lie, V1)).status, 400);
  t.match((await post('/api/v1/write', Buffer.from('not snappy at all, framed or block'), V1)).text, /snappy|protobuf/);
  t.equal((await post('/api/v1/write', snappy(Buffer.from([0x0a, 0x7f, 0x01])), V1)).status, 400);
});

t.test('routing and auth', async (t) => {
  const body = snappy(v1Proto({ timeseries: [sample('r', {}, 1, 1700000000000)] }));
  t.equal((await post('/api/v1/write?db=dbo', body, V1)).status, 204);
  t.same(await readLines(client, 'other'), ['prometheus_remote_write r=1 1700000000000000000']);
  const { authorization: _a, ...noAuth } = V1;
  t.equal((await post('/api/v1/write?db=db3', body, noAuth)).status, 401);
  t.equal((await post('/api/v1/write?db=db3', body, { ...noAuth, authorization: `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}` })).status, 204);
  t.equal((await post('/api/v1/write?db=db3', body, { ...noAuth, authorization: `Token ${TOKEN}` })).status, 204);
});

t.test('KINFLUX_INPUTS and KINFLUX_REMOTE_WRITE_METRIC_VERSION=1', async (t) => {
  const k2 = await startKinflux(emulatorEnv(k.endpoint, 'r4', { KINFLUX_INPUTS: 'v1,remote_write', KINFLUX_REMOTE_WRITE_METRIC_VERSION: '1' }));
  t.teardown(() => k2.stop());
  const body = snappy(v1Proto({ timeseries: [sample('up', { job: 'j' }, 1, 1700000000000)] }));
  t.equal((await send(k2.url, '/api/v1/write', body, { method: 'POST', headers: V1 })).status, 204);
  t.same(await readLines(client, 'r4'), ['up,job=j value=1 1700000000000000000']);
  t.equal((await send(k2.url, '/api/v3/write_lp?db=x', 'm v=1', { method: 'POST' })).status, 404);
  t.equal((await send(k2.url, '/api/v2/write?bucket=x', 'm v=1', { method: 'POST' })).status, 404);
  t.equal((await send(k2.url, '/v1/metrics', '{}', { method: 'POST', headers: { 'content-type': 'application/json' } })).status, 404);
});
