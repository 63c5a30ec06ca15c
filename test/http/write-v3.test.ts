// POST /api/v3/write_lp on the real server, one test per row of InfluxDB 3's contract: db, precision (auto by
// magnitude, the long and short words), accept_partial (400 bodies in InfluxDB 3's shape), no_sync, Bearer and
// Token auth, gzip (multi-member too), routing by db, and the body limit.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';

const TOKEN = 'v3-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const streams = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, 1]));
const k = await startKinesisLocal({ streams: { ...streams, dflt: 1 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());
const routes = Object.keys(streams).map((s) => `db_${s}=${s}`).join(',');
const kf = await startKinflux(emulatorEnv(k.endpoint, 'dflt', { KINFLUX_ROUTES: routes, KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_MAX_BODY_BYTES: '1MiB' }));
t.teardown(() => kf.stop());
const post = (q: string, body: string | Buffer, headers: Record<string, string> = auth) => send(kf.url, `/api/v3/write_lp?${q}`, body, { method: 'POST', headers });

t.test('204; precision auto guesses each timestamp unit by magnitude', async (t) => {
  const r = await post('db=db_s0', 'm v=1 1700000000\nm v=2 1700000000123\nm v=3 1700000000123456\nm v=4 1700000000123456789\nm v=5 -1\n');
  t.equal(r.status, 204);
  t.same(await readLines(client, 's0'), ['m v=1 1700000000000000000', 'm v=2 1700000000123000000', 'm v=3 1700000000123456000', 'm v=4 1700000000123456789', 'm v=5 -1000000000']);
});

t.test('precision words, long and short', async (t) => {
  const words: Array<[string, string]> = [['nanosecond', '5'], ['ns', '5'], ['n', '5'], ['microsecond', '5000'], ['us', '5000'], ['u', '5000'], ['millisecond', '5000000'], ['ms', '5000000'], ['second', '5000000000'], ['s', '5000000000']];
  for (const [w] of words) t.equal((await post(`db=db_s1&precision=${w}`, `p,w=${w} v=1 5`)).status, 204, w);
  const got = (await readLines(client, 's1')).map((l) => [l.split(',w=')[1].split(' ')[0], l.split(' ')[2]]);
  t.same(got, words);
  const bad = await post('db=db_s1&precision=hours', 'm v=1');
  t.equal(bad.status, 400);
  t.match(bad.json(), { error: /invalid precision "hours"/ });
});

t.test('partial write (accept_partial default true): 400 in InfluxDB 3 shape, good lines kept', async (t) => {
  const r = await post('db=db_s2', 'good v=1 1700000000000000000\nbad v=\ngood v=2 1700000000000000001\nbad2\n');
  t.equal(r.status, 400);
  t.match(r.headers['content-type'], /^application\/json/);
  const body = r.json<{ error: string; data: Array<Record<string, unknown>> }>();
  t.same(Object.keys(body), ['error', 'data']);
  t.equal(body.error, 'partial write of line protocol occurred');
  t.equal(body.data.length, 2);
  t.same(Object.keys(body.data[0]), ['original_line', 'line_number', 'error_message']);
  t.match(body.data[0], { original_line: 'bad v=', line_number: 2, error_message: /.+/ });
  t.match(body.data[1], { original_line: 'bad2', line_number: 4 });
  t.ok(r.text.startsWith('{"error":"partial write of line protocol occurred","data":[{"original_line":"bad v=","line_number":2,"error_message":"'));
  t.same(await readLines(client, 's2'), ['good v=1 1700000000000000000', 'good v=2 1700000000000000001']);
});

t.test('accept_partial=false: nothing written, data is one object', async (t) => {
  const r = await post('db=db_s3&accept_partial=false', 'good v=1 1\nbad v=\nbad2\n');
  t.equal(r.status, 400);
  const body = r.json<{ error: string; data: Record<string, unknown> }>();
  t.equal(body.error, 'parsing failed for write_lp endpoint');
  t.same(Object.keys(body.data), ['original_line', 'line_number', 'error_message']);
  t.match(body.data, { original_line: 'bad v=', line_number: 2 });
  t.equal((await post('db=db_s3&accept_partial=true', 'ok v=1 2')).status, 204);
  t.same(await readLines(client, 's3'), ['ok v=1 2000000000'], 'auto: 2 is seconds');
  t.equal((await post('db=db_s3&accept_partial=maybe', 'ok v=1 2')).status, 400);
});

t.test('no_sync is accepted and keeps the 204 promise', async (t) => {
  t.equal((await post('db=db_s4&no_sync=true', 'a v=1 1')).status, 204);
  t.equal((await post('db=db_s4&no_sync=false', 'a v=2 2')).status, 204);
  t.same(await readLines(client, 's4'), ['a v=1 1000000000', 'a v=2 2000000000']);
  const bad = await post('db=db_s4&no_sync=yes', 'a v=3 3');
  t.equal(bad.status, 400);
  t.match(bad.json(), { error: /no_sync/ });
});

t.test('auth: Bearer or Token; Basic and u/p are v1 only', async (t) => {
  t.equal((await post('db=db_s5', 'a v=1 1', { authorization: `Token ${TOKEN}` })).status, 204);
  t.equal((await post('db=db_s5', 'a v=1 1', {})).status, 401);
  t.equal((await post('db=db_s5', 'a v=1 1', { authorization: 'Bearer wrong' })).status, 401);
  t.equal((await post('db=db_s5', 'a v=1 1', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` })).status, 401);
  t.equal((await post(`db=db_s5&p=${TOKEN}`, 'a v=1 1', {})).status, 401);
  t.match((await post('db=db_s5', 'a v=1 1', {})).json(), { error: /token/ });
});

t.test('gzip, multi-member too', async (t) => {
  const two = Buffer.concat([gzipSync('g v=1 1\n'), gzipSync('g v=2 2\n')]);
  t.equal((await post('db=db_s6', two, { ...auth, 'content-encoding': 'gzip' })).status, 204);
  t.same(await readLines(client, 's6'), ['g v=1 1000000000', 'g v=2 2000000000']);
  t.equal((await post('db=db_s6', Buffer.from('not gzip'), { ...auth, 'content-encoding': 'gzip' })).status, 400);
});

t.test('db: required; routes like the other writes; unrouted ones go to the default stream', async (t) => {
  const missing = await post('', 'a v=1 1');
  t.equal(missing.status, 400);
  t.match(missing.json(), { error: /"db"/ });
  t.equal((await post('db=elsewhere', 'x v=1 1')).status, 204);
  t.ok((await readLines(client, 'dflt')).includes('x v=1 1000000000'));
});

t.test('413 over the body limit', async (t) => {
  const r = await post('db=db_s7', 'm v=1 1\n'.repeat(200000));
  t.equal(r.status, 413);
  t.match(r.json(), { error: /too large/ });
});

t.test('the route label of the request metrics', async (t) => {
  const m = await send(kf.url, '/metrics');
  t.match(m.text, /kinflux_http_requests_total\{route="\/api\/v3\/write_lp",code="204"\} \d+/);
});

t.test("Telegraf's outputs.influxdb_v3 request (plugins/outputs/influxdb_v3/http.go): what it sends, and what it reads back", async (t) => {
  // URL <url>/api/v3/write_lp?db=<database> (no precision: auto), Bearer token, User-Agent, gzip by default,
  // Content-Type text/plain; charset=utf-8; the body is its influx serializer's lines, ns timestamps.
  const headers = { authorization: `Bearer ${TOKEN}`, 'user-agent': 'Telegraf/1.38.0 Go/1.25.0', 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' };
  const lines = 'cpu,cpu=cpu0,host=web01 usage_idle=98.5,usage_user=1.25 1765100000000000000\nmem,host=web01 used=1234567i,available_percent=61.2 1765100000000000000\n';
  const ok = await post('db=db_s8', gzipSync(lines), headers);
  t.equal(ok.status, 204, 'counted as success (200-208)');
  t.same(await readLines(client, 's8'), lines.trim().split('\n'));
  // A 400: Telegraf drops the batch and decodes {"error": string, "data": [{original_line, line_number, error_message}]}.
  const bad = await post('db=db_s8', gzipSync('cpu usage=1 1765100000000000000\ncpu usage=\n'), headers);
  t.equal(bad.status, 400);
  const body = bad.json<{ error: unknown; data: Array<Record<string, unknown>> }>();
  t.type(body.error, 'string');
  t.ok(Array.isArray(body.data));
  for (const d of body.data) {
    t.type(d.original_line, 'string');
    t.ok(Number.isInteger(d.line_number));
    t.type(d.error_message, 'string');
  }
  // A 413 makes it split the batch in half and send both halves.
  const noise = Array.from({ length: 5000 }, () => `m s="${randomBytes(300).toString('hex')}" 1765100000000000000`).join('\n');
  const big = await post('db=db_s9', gzipSync(noise), headers);
  t.ok(big.status === 413, `over KINFLUX_MAX_BODY_BYTES (1 MiB) gzip: ${big.status} ${big.text}`);
});
