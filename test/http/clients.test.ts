// Real InfluxDB clients write through kinflux; every point is read back from the stream.
import t from 'tap';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { promisify } from 'node:util';
import { rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { InfluxDB as NodeInflux, type IPoint } from 'influx';
import { InfluxDB, Point as ClientPoint } from '@influxdata/influxdb-client';
import { startKinesisLocal, freePort } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient, waitFor } from '../helpers/kinflux.js';

const streams = { metrics: 1, nodeinflux: 2, clientjs: 2, cli: 1, curl: 1 };
const emulator = await startKinesisLocal({ streams });
const client = testClient(emulator.endpoint);
const kinflux = await startKinflux(
  emulatorEnv(emulator.endpoint, 'metrics', {
    KINFLUX_ROUTES: Object.keys(streams).filter((s) => s !== 'metrics').map((s) => `${s}=${s}`).join(','),
    KINFLUX_AUTH_TOKENS: 'secret-token',
  }),
);
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});

t.test('node-influx: ping, getDatabaseNames (SHOW DATABASES) and writePoints with precisions', async (t) => {
  const influx = new NodeInflux({ host: '127.0.0.1', port: kinflux.port, database: 'nodeinflux', username: 'u', password: 'secret-token' });
  const [ping] = await influx.ping(5000);
  t.equal(ping.online, true);
  t.match(ping.version, /^1\./);
  t.same((await influx.getDatabaseNames()).sort(), ['cli', 'clientjs', 'curl', 'nodeinflux']);
  await influx.createDatabase('nodeinflux');

  const base: IPoint = { measurement: 'weather', tags: { city: 'Paris' }, fields: { temp: 21.5, humid: 40, ok: true, note: 'sunny, warm' } };
  await influx.writePoints([{ ...base, timestamp: 1700000000 }], { precision: 's' });
  await influx.writePoints([{ ...base, tags: { city: 'Oslo' }, timestamp: 1700000000123 }], { precision: 'ms' });
  await influx.writePoints([{ ...base, tags: { city: 'Rome' }, timestamp: '1700000000123456789' }], { precision: 'n' });
  const lines = (await readLines(client, 'nodeinflux')).sort();
  // node-influx writes fields sorted by key; kinflux keeps the order it receives.
  t.same(lines, [
    'weather,city=Oslo humid=40,note="sunny, warm",ok=true,temp=21.5 1700000000123000000',
    'weather,city=Paris humid=40,note="sunny, warm",ok=true,temp=21.5 1700000000000000000',
    'weather,city=Rome humid=40,note="sunny, warm",ok=true,temp=21.5 1700000000123456789',
  ]);
});

/** A proxy in front of kinflux that answers the first `failures` writes with 503 + Retry-After, as an overloaded kinflux would. */
async function flakyProxy(target: number, failures: number): Promise<{ server: Server; port: number; refused: () => number }> {
  let refused = 0;
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.url?.includes('/write') && refused < failures) {
      refused++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ code: 'unavailable', message: 'points not stored: queue full' }));
      return;
    }
    const up = request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, port, refused: () => refused };
}

t.test('@influxdata/influxdb-client: WriteApi batching with gzip, retrying a 503', async (t) => {
  const proxy = await flakyProxy(kinflux.port, 1);
  t.teardown(() => new Promise<void>((r) => proxy.server.close(() => r())));
  const influx = new InfluxDB({ url: `http://127.0.0.1:${proxy.port}`, token: 'secret-token' });
  const writeApi = influx.getWriteApi('any-org', 'clientjs', 'ns', {
    batchSize: 100,
    gzipThreshold: 1, // gzip every batch
    maxRetries: 3,
    minRetryDelay: 100,
    maxRetryDelay: 1000,
  });
  for (let i = 0; i < 250; i++) {
    writeApi.writePoint(
      new ClientPoint('sensor').tag('id', `s${i % 5}`).floatField('value', i / 4).intField('count', -i).stringField('msg', `a "quoted" \\ value ${i}`).timestamp(`${1700000000000000000n + BigInt(i)}`),
    );
  }
  await writeApi.flush();
  // The refused batch waits in the client's retry buffer for Retry-After, then lands.
  await waitFor(async () => (await readLines(client, 'clientjs')).length >= 250, 15_000, 250);
  await writeApi.close();
  t.equal(proxy.refused(), 1, 'the first write met a 503 and was retried');
  const lines = await readLines(client, 'clientjs');
  t.equal(lines.length, 250, 'every point once');
  // The client writes fields sorted by key.
  t.ok(lines.includes('sensor,id=s3 count=-3i,msg="a \\"quoted\\" \\\\ value 3",value=0.75 1700000000000000003'), lines.slice(0, 3).join('\n'));
});

t.test('influx CLI (Debian influxdb-client): INSERT through -execute', async (t) => {
  const run = promisify(execFile);
  const cli = await run('influx', ['-version']).then(() => true, () => false);
  if (!cli && !process.env.CI) {
    t.comment('skipped: influx CLI not installed (apt-get install influxdb-client)');
    return;
  }
  const out = await run('influx', [
    '-host', '127.0.0.1', '-port', String(kinflux.port), '-username', 'u', '-password', 'secret-token',
    '-database', 'cli', '-execute', 'INSERT cpu,host=cli usage_idle=99.5,procs=12i 1700000000000000000',
  ]);
  t.equal(out.stderr.trim(), '', 'no error');
  t.same(await readLines(client, 'cli'), ['cpu,host=cli usage_idle=99.5,procs=12i 1700000000000000000']);
});

t.test("curl: the README's examples", async (t) => {
  const run = promisify(execFile);
  const write = await run('curl', ['-s', '-i', '-XPOST', `${kinflux.url}/write?db=curl&u=x&p=secret-token`, '--data-binary', 'cpu,host=a usage=1.5 1700000000000000000']);
  t.match(write.stdout, /^HTTP\/1\.1 204 /);
  const ping = await run('curl', ['-s', '-i', `${kinflux.url}/ping`]);
  t.match(ping.stdout, /^HTTP\/1\.1 204 /);
  t.match(ping.stdout, /X-Influxdb-Build: kinflux/i);
  const unauthorized = await run('curl', ['-s', '-i', '-XPOST', `${kinflux.url}/write?db=curl`, '--data-binary', 'cpu v=1']);
  t.match(unauthorized.stdout, /^HTTP\/1\.1 401 /);
  t.same(await readLines(client, 'curl'), ['cpu,host=a usage=1.5 1700000000000000000']);
});

t.test('error messages name the likely cause and the fix (issue 12 item 9)', async (t) => {
  const run = promisify(execFile);
  const influx = new InfluxDB({ url: kinflux.url, token: 'secret-token' });
  // A tag written as a field: InfluxDB says only "invalid boolean".
  const api = influx.getWriteApi('o', 'clientjs', 'ns', { maxRetries: 0 });
  api.writeRecord('cpu host=a');
  const err = await api.close().then(() => undefined, (e: unknown) => e as { statusCode?: number; body?: string });
  t.equal(err?.statusCode, 400);
  t.match(err?.body ?? '', /invalid boolean.*hint: .*tag written as a field.*cpu,host=a value=1/);
  // No bucket: InfluxDB 2.x's 404 "bucket not found", with what to add.
  const nobucket = influx.getWriteApi('o', '', 'ns', { maxRetries: 0 });
  nobucket.writeRecord('cpu value=1');
  const err2 = await nobucket.close().then(() => undefined, (e: unknown) => e as { statusCode?: number; body?: string });
  t.equal(err2?.statusCode, 404);
  t.match(err2?.body ?? '', /bucket is required: add \?bucket=<name>/);
  // The u suffix on /write names the setting; curl as the client.
  const unsigned = await run('curl', ['-s', '-XPOST', `${kinflux.url}/write?db=curl&u=x&p=secret-token`, '--data-binary', 'hint v=1u 1']);
  t.match(unsigned.stdout, /invalid number.*hint: the u suffix.*KINFLUX_V1_ALLOW_UNSIGNED=true/);
  // A gzip body without Content-Encoding: a 400 that says so, not a parse error full of binary.
  const gz = `/tmp/parser-consumers-hint-${process.pid}.gz`;
  writeFileSync(gz, gzipSync('hint v=1 1\n'));
  t.teardown(() => rmSync(gz, { force: true }));
  const gzip = await run('curl', ['-s', '-w', '\n%{http_code}', '-XPOST', `${kinflux.url}/write?db=curl&u=x&p=secret-token`, '--data-binary', `@${gz}`]);
  const [body, code] = gzip.stdout.split('\n');
  t.equal(code, '400');
  t.match(body, /the body is gzip-compressed but the request has no \\"Content-Encoding: gzip\\" header/);
  t.notMatch(body, /unable to parse/);
  const withHeader = await run('curl', ['-s', '-w', '%{http_code}', '-XPOST', '-H', 'Content-Encoding: gzip', `${kinflux.url}/write?db=curl&u=x&p=secret-token`, '--data-binary', `@${gz}`]);
  t.equal(withHeader.stdout, '204', 'the same body with the header is written');
});
