// /ping, /query, /health, /ready and /metrics on the real server against kinesis-local.
import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { createStream, deleteStream, emulatorEnv, startKinflux, testClient, waitFor } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';

const emulator = await startKinesisLocal({ streams: { metrics: 1, apps: 1 } });
const client = testClient(emulator.endpoint);
const kinflux = await startKinflux(
  emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_ROUTES: 'app=apps,telegraf=metrics', KINFLUX_HEALTH_INTERVAL_MS: '500' }),
);
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});

t.test('/ping: 204 with the InfluxDB headers, HEAD too, verbose gives 200 JSON', async (t) => {
  const res = await send(kinflux.url, '/ping');
  t.equal(res.status, 204);
  t.match(res.headers['x-influxdb-version'], /^1\.\d+\.\d+/);
  t.equal(res.headers['x-influxdb-build'], 'kinflux');
  t.equal((await send(kinflux.url, '/ping', undefined, { method: 'HEAD' })).status, 204);
  const verbose = await send(kinflux.url, '/ping?verbose=true');
  t.equal(verbose.status, 200);
  t.match(verbose.json(), { version: /^1\./ });
});

t.test("/query: Telegraf's CREATE DATABASE form POST, SHOW DATABASES, and nothing else", async (t) => {
  const create = await send(kinflux.url, '/query', 'q=CREATE+DATABASE+%22telegraf%22', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Telegraf/1.36.1 Go/1.24.4' },
  });
  t.equal(create.status, 200);
  t.same(create.json(), { results: [{ statement_id: 0 }] });
  const show = await send(kinflux.url, '/query?q=SHOW%20DATABASES');
  t.equal(show.status, 200);
  t.same(show.json(), { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['app'], ['telegraf']] }] }] });
  const select = await send(kinflux.url, '/query?q=SELECT%20*%20FROM%20cpu');
  t.equal(select.status, 400);
  t.match(select.json<{ error: string }>().error, /kinflux takes writes only/);
  t.equal((await send(kinflux.url, '/query')).status, 400);
});

t.test('a deleted stream fails only its routes and /health; /ready stays 200 while another stream takes writes', async (t) => {
  const ok = await send(kinflux.url, '/health');
  t.equal(ok.status, 200);
  t.match(ok.json(), { name: 'kinflux', status: 'pass', checks: [{ name: 'metrics', status: 'pass' }, { name: 'apps', status: 'pass' }] });

  await deleteStream(client, 'apps');
  await waitFor(async () => (await send(kinflux.url, '/health')).status === 503);
  const failing = await send(kinflux.url, '/health');
  t.match(failing.json(), { status: 'fail' });
  t.match(failing.text, /apps/, 'the body names the stream');
  const ready = await send(kinflux.url, '/ready');
  t.equal(ready.status, 200, 'the pod stays in the load balancer: the other streams take writes');
  t.same(ready.json(), { status: 'ready', unavailable: ['apps'] });
  const write = await send(kinflux.url, '/write?db=app', 'cpu v=1 1');
  t.equal(write.status, 503, 'writes to the missing stream get 503');
  t.ok(write.headers['retry-after']);
  t.match(write.json(), { error: /^nothing was stored; send them again: stream "apps" is not available/ }, 'names the stream, says nothing was sent');
  const v2 = await send(kinflux.url, '/api/v2/write?bucket=app&org=o', 'cpu v=1 1');
  t.equal(v2.status, 503);
  t.match(v2.json(), { message: /stream "apps"/ });
  t.equal((await send(kinflux.url, '/write?db=telegraf', 'cpu v=1 1')).status, 204, 'other streams keep working');

  // Every stream gone: no write can be taken, the pod leaves the load balancer.
  await deleteStream(client, 'metrics');
  await waitFor(async () => (await send(kinflux.url, '/ready')).status === 503);
  t.match((await send(kinflux.url, '/ready')).text, /apps/);

  await createStream(client, 'apps');
  await createStream(client, 'metrics');
  await waitFor(async () => (await send(kinflux.url, '/health')).status === 200);
  t.same((await send(kinflux.url, '/ready')).json(), { status: 'ready' });
  t.equal((await send(kinflux.url, '/write?db=app', 'cpu v=2 2')).status, 204);
});

t.test('a routed stream absent at start still stops kinflux with exit 1, naming it', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_ROUTES: 'app=nosuchstream' }), { waitReady: false });
  const code = await Promise.race([k.exited, new Promise<string>((r) => setTimeout(() => r('still running after 60 s'), 60_000).unref())]);
  await k.stop('SIGKILL');
  t.equal(code, 1);
  t.match(k.output(), /stream \\?"nosuchstream\\?" does not exist/);
});

t.test('/metrics passes promtool and its counters match what was sent', async (t) => {
  const before = await send(kinflux.url, '/metrics');
  const count = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
  const received = /^kinflux_points_received_total\{stream="metrics"\} (\d+)/m;
  const delivered = /^kinflux_points_delivered_total\{stream="metrics"\} (\d+)/m;
  const rejectedParse = /^kinflux_points_rejected_total\{reason="parse"\} (\d+)/m;
  const writes204 = /^kinflux_http_requests_total\{route="\/write",code="204"\} (\d+)/m;

  const lines = Array.from({ length: 250 }, (_, i) => `mem,host=h${i % 7} used=${i}i ${1700000000000000000 + i}`).join('\n');
  t.equal((await send(kinflux.url, '/write?db=telegraf', lines)).status, 204);
  t.equal((await send(kinflux.url, '/write?db=telegraf', 'ok v=1 1\nbad line\n')).status, 400);

  const after = await send(kinflux.url, '/metrics');
  t.equal(after.status, 200);
  t.equal(count(after.text, received) - count(before.text, received), 251);
  t.equal(count(after.text, delivered) - count(before.text, delivered), 251);
  t.equal(count(after.text, rejectedParse) - count(before.text, rejectedParse), 1);
  t.equal(count(after.text, writes204) - count(before.text, writes204), 1);
  for (const name of [
    'kinflux_http_request_duration_seconds',
    'kinflux_kinesis_records_sent_total',
    'kinflux_kinesis_bytes_sent_total',
    'kinflux_kinesis_put_requests_total',
    'kinflux_kinesis_put_duration_seconds',
    'kinflux_kinesis_points_per_record',
    'kinflux_queue_points',
    'kinflux_queue_bytes',
    'kinflux_stream_up',
    'process_cpu_seconds_total',
  ]) {
    t.match(after.text, new RegExp(`^${name}`, 'm'), name);
  }

  const promtool = '/usr/bin/promtool';
  const dir = mkdtempSync(join(tmpdir(), 'kinflux-metrics-'));
  const file = join(dir, 'metrics.txt');
  writeFileSync(file, after.text);
  const res = await promisify(execFile)('sh', ['-c', `${promtool} check metrics < ${file}`]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  if (res.code === 127 && !process.env.CI) {
    t.comment('skipped: promtool not installed (apt-get install prometheus)');
  } else {
    t.equal(res.code, 0, `promtool check metrics: ${res.out}`);
  }
});
