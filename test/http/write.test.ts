// End to end: the real server (dist/cli.js) against kinesis-local; every point is read back from the stream.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { decodeLine } from '../../src/parse/index.js';
import type { Point } from '../../src/parse/types.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { connect } from 'node:net';

/**
 * Announces `length` body bytes and streams them until the server answers, then reads the answer.
 * (Node's HTTP client may drop an early answer when the server closes while the body is still going out.)
 */
function sendUntilAnswered(port: number, path: string, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (answer === '' && sent < length && !sock.destroyed) {
          sent += chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
      };
      pump();
    });
    sock.on('data', (b: Buffer) => (answer += b.toString()));
    sock.on('error', () => undefined); // EPIPE once the server has answered and closed
    sock.on('close', () => (answer ? resolve(answer) : reject(new Error('closed without an answer'))));
  });
}
import { oracleDecode, pointKey, telegrafLines } from '../kit/telegraf-lines.js';

const streams = { metrics: 2, plain: 4, gzip: 2, chunked: 1, gzipchunked: 3, partial: 1, v2: 2, edge: 1 };
const emulator = await startKinesisLocal({ streams });
const client = testClient(emulator.endpoint);
const routes = Object.keys(streams).filter((s) => s !== 'metrics').map((s) => `${s}=${s}`).join(',');
// A generous deadline: a shard takes one record at a time (order per series) and kinesis-local is slow on a loaded machine.
const kinflux = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_ROUTES: routes, KINFLUX_DELIVERY_TIMEOUT_MS: '20000' }));
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});

const decodeStored = (line: string): Point => {
  const b = Buffer.from(line + '\n');
  return decodeLine(b, 0, b.length);
};
const body5000 = telegrafLines(5000);
const expected = body5000.trimEnd().split('\n').map(oracleDecode).map(pointKey).sort();

const cases: Array<[string, Buffer, Record<string, string>, number | undefined]> = [
  ['plain', Buffer.from(body5000), {}, undefined],
  ['gzip', gzipSync(body5000), { 'content-encoding': 'gzip' }, undefined],
  ['chunked', Buffer.from(body5000), {}, 37],
  ['gzipchunked', gzipSync(body5000), { 'content-encoding': 'gzip' }, 11],
];
for (const [db, body, headers, chunks] of cases) {
  t.test(`5,000 Telegraf lines, ${db}: 204, then every point read back field by field`, async (t) => {
    const res = await send(kinflux.url, `/write?db=${db}`, body, { headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, chunks });
    t.equal(res.status, 204, res.text);
    const stored = await readLines(client, db);
    t.equal(stored.length, 5000, 'every point is in the stream, once');
    const got = stored.map(decodeStored).map(pointKey).sort();
    t.same(got, expected, 'measurements, tags, field types and values, and timestamps all match');
  });
}

t.test('canonical layout: tags sorted, ns timestamps, receive time for lines without one', async (t) => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const res = await send(kinflux.url, '/write?db=edge&precision=ms', 'm,z=1,a=2 f=1i 1700000000000\nm,b=1 s="a b, c=d"\n');
  t.equal(res.status, 204, res.text);
  const lines = await readLines(client, 'edge');
  t.equal(lines.length, 2);
  t.ok(lines.includes('m,a=2,z=1 f=1i 1700000000000000000'), lines.join('\n'));
  const noTs = lines.find((l) => l.startsWith('m,b=1 '));
  t.ok(noTs);
  const ts = decodeStored(noTs!).timestamp;
  t.ok(ts >= before - 1_000_000n && ts <= BigInt(Date.now()) * 1_000_000n + 1_000_000n, 'receive time, in ns');
  t.same(decodeStored(noTs!).fields, [['s', { type: 'string', value: 'a b, c=d' }]]);
});

t.test('v1 partial write: valid lines delivered, 400 names each bad line', async (t) => {
  const body = 'cpu value=1 1\ncpu value= 2\n# comment\n\ncpu value=3 3\nmem free=x 4\n';
  const res = await send(kinflux.url, '/write?db=partial', body);
  t.equal(res.status, 400);
  t.match(res.headers['content-type'], /application\/json/);
  const err = res.json<{ error: string }>().error;
  t.match(err, /^partial write: unable to parse 'cpu value= 2': .+ \(line 2, column \d+\)/);
  t.match(err, /unable to parse 'mem free=x 4': .+ \(line 6, column \d+[;)]/);
  t.match(err, /dropped=2$/);
  t.ok(res.headers['x-influxdb-error']);
  t.same((await readLines(client, 'partial')).sort(), ['cpu value=1 1', 'cpu value=3 3']);
});

t.test('v1 with no valid line: 400 unable to parse, nothing delivered', async (t) => {
  const res = await send(kinflux.url, '/write?db=partial', 'just-a-measurement\n');
  t.equal(res.status, 400);
  t.match(res.json<{ error: string }>().error, /^unable to parse 'just-a-measurement': /);
});

t.test('v2 write routed by bucket with precision s; a bad line rejects the whole batch', async (t) => {
  const ok = await send(kinflux.url, '/api/v2/write?org=o&bucket=v2&precision=s', 'cpu,host=a usage=1.5 1700000000\ncpu,host=b usage=2u 1700000001\n', {
    headers: { authorization: 'Token whatever' },
  });
  t.equal(ok.status, 204, ok.text);
  t.same((await readLines(client, 'v2')).sort(), ['cpu,host=a usage=1.5 1700000000000000000', 'cpu,host=b usage=2u 1700000001000000000']);

  const bad = await send(kinflux.url, '/api/v2/write?org=o&bucket=v2&precision=s', 'cpu,host=c usage=3 1700000002\ncpu,host=d usage=oops 1700000003\n');
  t.equal(bad.status, 400);
  const body = bad.json<{ code: string; message: string; line: number }>();
  t.equal(body.code, 'invalid');
  t.match(body.message, /unable to parse 'cpu,host=d usage=oops 1700000003'/);
  t.equal(body.line, 2);
  t.equal(bad.headers['x-platform-error-code'], 'invalid');
  t.equal((await readLines(client, 'v2')).length, 2, 'nothing of the rejected batch was delivered');
});

t.test('bad precision gets InfluxDB texts on both APIs', async (t) => {
  const v1 = await send(kinflux.url, '/write?db=edge&precision=x', 'm f=1');
  t.equal(v1.status, 400);
  t.equal(v1.json<{ error: string }>().error, 'invalid precision "x" (use n, u, ms, s, m or h)');
  const v2 = await send(kinflux.url, '/api/v2/write?bucket=edge&precision=m', 'm f=1');
  t.equal(v2.status, 400);
  t.same(v2.json(), { code: 'invalid', message: 'invalid precision; valid precision units are ns, us, ms, and s' });
});

t.test('missing db and bucket', async (t) => {
  const v1 = await send(kinflux.url, '/write', 'm f=1');
  t.equal(v1.status, 400);
  t.equal(v1.json<{ error: string }>().error, 'database is required');
  const v2 = await send(kinflux.url, '/api/v2/write?org=o', 'm f=1');
  t.equal(v2.status, 404);
  t.equal(v2.json<{ code: string }>().code, 'not found');
  t.match(v2.json<{ message: string }>().message, /^bucket is required/);
});

t.test('hints: a line without fields, CRLF on /write', async (t) => {
  const nofields = await send(kinflux.url, '/write?db=edge', 'cpu,host=a\n');
  t.match(nofields.json<{ error: string }>().error, /missing fields \(line 1, column \d+; hint: a point needs at least one field after a space/);
  const crlf = await send(kinflux.url, '/write?db=edge', 'cpu v=1 1\r\n');
  t.match(crlf.json<{ error: string }>().error, /bad timestamp \(line 1, column \d+; hint: .*KINFLUX_V1_ALLOW_CRLF=true/);
});

t.test('bodies: oversized, gzip bomb and broken gzip get 413/400 and the server stays healthy', async (t) => {
  const tooBig = await sendUntilAnswered(kinflux.port, '/write?db=edge', 33 * 1024 * 1024);
  t.match(tooBig, /^HTTP\/1\.1 413 /, 'refused from its Content-Length, before the body');
  t.match(tooBig, /"error":"request body too large: more than 33554432 bytes"/);
  const bomb = gzipSync(Buffer.alloc(512 * 1024 * 1024, 'a'));
  const bombed = await send(kinflux.url, '/api/v2/write?bucket=edge', bomb, { headers: { 'content-encoding': 'gzip' } });
  t.equal(bombed.status, 413);
  t.equal(bombed.json<{ code: string }>().code, 'request too large');
  const broken = await send(kinflux.url, '/write?db=edge', Buffer.from('definitely not gzip'), { headers: { 'content-encoding': 'gzip' } });
  t.equal(broken.status, 400);
  t.match(broken.json<{ error: string }>().error, /^gzip: /);
  t.equal((await send(kinflux.url, '/ready')).status, 200, 'still ready');
  t.equal((await send(kinflux.url, '/write?db=edge', 'after f=1 1')).status, 204, 'still writing');
});

t.test('unknown paths get a JSON 404', async (t) => {
  const res = await send(kinflux.url, '/nope');
  t.equal(res.status, 404);
  t.match(res.json<{ error: string }>().error, /not found: GET \/nope/);
});
