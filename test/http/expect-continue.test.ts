// `Expect: 100-continue`: a client that waits for 100 Continue before sending its body gets kinflux's refusal
// instead when the body would be refused (503 + Retry-After when the in-flight body budget is full, 413 when
// the body alone is too big, 401 without a token), so it never sends the body; Node once sent the 100 as soon
// as the head arrived, before any of those checks. With room, the 100 comes and the write is taken.
// Real clients: raw sockets (exact control of what is sent when) and curl. The 413 instead of 100 is the one a
// body over the limit gets once sent, both from one function.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { buildStubServer } from '../helpers/stub-server.js';
import { send } from '../helpers/http.js';
import { sendBodyTooLarge } from '../../src/http/body-budget.js';

const KiB = 1024;
const TOKEN = 'expect-continue-test-token';
const app = buildStubServer({ KINFLUX_MAX_INFLIGHT_BODY_BYTES: '1MiB', KINFLUX_MAX_BODY_BYTES: '4MiB', KINFLUX_AUTH_TOKENS: TOKEN });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const port = Number(new URL(url).port);
t.teardown(() => app.close());
const auth = `Authorization: Token ${TOKEN}\r\n`;
const lines = (bytes: number): Buffer => Buffer.from('m v=1i 1\n'.repeat(Math.floor(bytes / 9)));

interface Exchange {
  /** Status codes in the order they came: 100 first when the server asked for the body. */
  statuses: number[];
  /** Everything the server sent. */
  text: string;
  /** True when the server closed the connection (the client never closed it first). */
  closedByServer: boolean;
  /** Body bytes the client sent. */
  sent: number;
}

/**
 * Sends `head` (with Expect: 100-continue), then the body only once a 100 arrives, as a client that honours
 * Expect does. Resolves when the server closes the connection, or after `waitMs` of silence.
 */
function exchange(head: string, body: Buffer, opts: { chunked?: boolean; waitMs?: number; port?: number } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock: Socket = connect(opts.port ?? port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let closedByServer = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(idle);
      const statuses = [...text.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, closedByServer, sent });
    };
    const quiet = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        sock.destroy();
        finish();
      }, opts.waitMs ?? 3000);
    };
    sock.on('data', (b: Buffer) => {
      const before = text;
      text += b.toString('latin1');
      if (!/HTTP\/1\.1 100 /.test(before) && /^HTTP\/1\.1 100 [^\r]*\r\n\r\n/.test(text) && sent === 0) {
        sent = body.length;
        if (opts.chunked) sock.write(`${body.length.toString(16)}\r\n`), sock.write(body), sock.write('\r\n0\r\n\r\n');
        else sock.write(body);
      }
      quiet();
    });
    sock.on('end', () => (closedByServer = true));
    sock.on('error', () => undefined);
    sock.on('close', finish);
    sock.write(head);
    quiet();
  });
}

const writeHead = (path: string, length: number | 'chunked', extra = auth): string =>
  `POST ${path} HTTP/1.1\r\nHost: k\r\n${extra}${length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\nExpect: 100-continue\r\n\r\n`;

/** Holds `length` bytes of the budget: a write whose head promised that much and whose body is still coming. */
function holdBudget(length: number): Promise<Socket> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`POST /write?db=telegraf HTTP/1.1\r\nHost: k\r\n${auth}Content-Length: ${length}\r\n\r\n`);
      // Bytes are claimed as they arrive: all but the last 10 are sent, and held until the client goes.
      sock.write(Buffer.alloc(length - 10, 'a'));
      setTimeout(() => resolve(sock), 100);
    });
    sock.on('error', () => undefined);
  });
}

t.test('with room: 100 Continue, then the body, then 204', async (t) => {
  const body = lines(200 * KiB);
  const r = await exchange(writeHead('/write?db=telegraf', body.length, `${auth}Connection: close\r\n`), body);
  t.same(r.statuses, [100, 204], r.text.slice(0, 200));
  t.equal(r.sent, body.length);
  const chunked = await exchange(writeHead('/api/v2/write?bucket=b', 'chunked', `${auth}Connection: close\r\n`), body, { chunked: true });
  t.same(chunked.statuses, [100, 204], 'chunked too');
});

t.test('budget full: 503 + Retry-After instead of 100, the body never sent, the connection closed', async (t) => {
  const held = await holdBudget(900 * KiB);
  const body = lines(200 * KiB);
  for (const path of ['/write?db=telegraf', '/api/v2/write?bucket=b']) {
    const r = await exchange(writeHead(path, body.length), body);
    t.same(r.statuses, [503], `${path}: ${r.text.slice(0, 300)}`);
    t.match(r.text, /\r\nretry-after: 1\r\n/i);
    t.match(r.text, /busy: .*KINFLUX_MAX_INFLIGHT_BODY_BYTES/);
    t.equal(r.sent, 0, 'no body sent');
    t.ok(r.closedByServer, 'the server closed the connection (the body it did not ask for never comes)');
  }
  held.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const again = await exchange(writeHead('/write?db=telegraf', body.length, `${auth}Connection: close\r\n`), body);
  t.same(again.statuses, [100, 204], 'room again once the held body is gone');
});

t.test('budget full to the byte: a chunked body is refused before its 100 as well', async (t) => {
  const held = await holdBudget(1024 * KiB);
  const r = await exchange(writeHead('/write?db=telegraf', 'chunked'), lines(10 * KiB), { chunked: true });
  t.same(r.statuses, [503], r.text.slice(0, 300));
  t.equal(r.sent, 0);
  held.destroy();
});

t.test('a body too big alone gets 413 instead of 100: bigger than the budget, bigger than KINFLUX_MAX_BODY_BYTES', async (t) => {
  const overBudget = await exchange(writeHead('/write?db=telegraf', 2 * 1024 * KiB), Buffer.alloc(0));
  t.same(overBudget.statuses, [413], overBudget.text.slice(0, 300));
  t.match(overBudget.text, /alone pass the in-flight body budget of 1048576 bytes/);
  const overLimit = await exchange(writeHead('/api/v2/write?bucket=b', 64 * 1024 * KiB), Buffer.alloc(0));
  t.same(overLimit.statuses, [413], overLimit.text.slice(0, 300));
  t.match(overLimit.text, /"code":"request too large".*more than 4194304 bytes/);
  t.ok(overBudget.closedByServer && overLimit.closedByServer, 'both connections closed, no body awaited');
  const query = await exchange(writeHead('/query', 2 * 1024 * KiB, `${auth}Content-Type: application/x-www-form-urlencoded\r\n`), Buffer.alloc(0));
  t.same(query.statuses, [413], `/query forms are bounded at 1 MiB: ${query.text.slice(0, 200)}`);
});

t.test('no token: 401 instead of 100', async (t) => {
  const r = await exchange(writeHead('/write?db=telegraf', 1000, ''), lines(1000));
  t.same(r.statuses, [401], r.text.slice(0, 200));
  t.equal(r.sent, 0);
});

t.test('curl, a real client that sends Expect: 100-continue, waits for the 100 or the refusal', async (t) => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'kinflux-expect-'));
  const file = join(dir, 'body.lp');
  writeFileSync(file, lines(600 * KiB));
  // --expect100-timeout 20: without kinflux's 100, curl would sit 20 s before sending anyway.
  const curl = async (): Promise<{ code: string; uploaded: number; seconds: number }> => {
    const { stdout } = await run('curl', [
      '-s', '-o', '/dev/null', '-w', '%{http_code} %{size_upload} %{time_total}', '--expect100-timeout', '20',
      '-H', 'Expect: 100-continue', '-H', `Authorization: Token ${TOKEN}`, '--data-binary', `@${file}`, `${url}/write?db=telegraf`,
    ]);
    const [code, uploaded, seconds] = stdout.trim().split(' ');
    return { code, uploaded: Number(uploaded), seconds: Number(seconds) };
  };
  const ok = await curl();
  t.equal(ok.code, '204');
  t.equal(ok.uploaded, 600 * KiB - ((600 * KiB) % 9), 'the whole body went up');
  t.ok(ok.seconds < 10, `after kinflux's 100, not curl's 20 s timeout (${ok.seconds} s)`);
  const held = await holdBudget(900 * KiB);
  const busy = await curl();
  held.destroy();
  t.equal(busy.code, '503');
  t.equal(busy.uploaded, 0, 'curl sent none of the body');
});

t.test('a refusal the query string alone decides comes instead of 100: bad precision, no db or bucket, an unrouted db', async (t) => {
  const strict = buildStubServer({ KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_ROUTES: 'telegraf=metrics', KINFLUX_STRICT_ROUTES: 'true' });
  const strictUrl = await strict.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => strict.close());
  const body = lines(10 * KiB);
  const cases: Array<[string, number, RegExp, number?]> = [
    ['/write?db=telegraf&precision=fortnight', 400, /precision/],
    ['/api/v2/write?bucket=b&precision=h', 400, /precision/],
    ['/write', 400, /database is required/],
    ['/api/v2/write', 404, /bucket is required/],
    ['/write?db=elsewhere', 404, /database not found: \\"elsewhere\\"/, Number(new URL(strictUrl).port)],
    ['/api/v2/write?bucket=elsewhere', 404, /bucket \\"elsewhere\\" not found/, Number(new URL(strictUrl).port)],
  ];
  for (const [path, status, text, to] of cases) {
    const r = await exchange(writeHead(path, body.length), body, to === undefined ? {} : { port: to });
    t.same(r.statuses, [status], `${path}: ${r.text.slice(0, 300)}`);
    t.match(r.text, text, path);
    t.equal(r.sent, 0, `${path}: no body sent`);
    t.ok(r.closedByServer, `${path}: the connection closed (the body it did not ask for never comes)`);
  }
  // Without Expect the same refusals come once the body is read, as before; a good write still gets its 100.
  const plain = await exchange(writeHead('/write?db=telegraf&precision=fortnight', body.length).replace('Expect: 100-continue\r\n', ''), Buffer.alloc(0), { waitMs: 500 });
  t.same(plain.statuses, [], 'no answer before the body');
  const ok = await exchange(writeHead('/write?db=telegraf&precision=s', body.length, `${auth}Connection: close\r\n`), body);
  t.same(ok.statuses, [100, 204], ok.text.slice(0, 200));
});

t.test('the 413 instead of 100 is the very answer a body over the limit gets once sent: one source, sendBodyTooLarge', async (t) => {
  const MiB = 1024 * KiB;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const cases: Array<[string, number, 'v1' | 'v2', Record<string, string>]> = [
    ['/write?db=telegraf', 4 * MiB, 'v1', {}],
    ['/api/v2/write?bucket=b', 4 * MiB, 'v2', {}],
    ['/query', MiB, 'v1', form],
  ];
  const reference = Fastify();
  reference.get('/:api/:limit', (req, reply) => {
    const p = req.params as { api: 'v1' | 'v2'; limit: string };
    return sendBodyTooLarge(reply, p.api, Number(p.limit));
  });
  t.teardown(() => reference.close());
  const errorHeader = (h: string): RegExp => new RegExp(`\\r\\n${h}: ([^\\r]*)\\r\\n`, 'i');
  for (const [path, limit, api, headers] of cases) {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const early = await exchange(writeHead(path, limit + 1, `${auth}${extra}`), Buffer.alloc(0));
    const late = await send(url, path, Buffer.alloc(limit + 1, 'a'), { headers: { authorization: `Token ${TOKEN}`, ...headers } });
    const expected = await reference.inject(`/${api}/${limit}`);
    t.same(early.statuses, [413], `${path} early: ${early.text.slice(0, 200)}`);
    t.equal(late.status, 413, `${path} late`);
    t.equal(early.text.split('\r\n\r\n')[1], expected.body, `${path}: the body instead of 100 is sendBodyTooLarge's`);
    t.equal(late.text, expected.body, `${path}: the body after the upload is sendBodyTooLarge's`);
    const header = api === 'v1' ? 'x-influxdb-error' : 'x-platform-error-code';
    t.equal(errorHeader(header).exec(early.text)?.[1], expected.headers[header], `${path}: ${header} instead of 100`);
    t.equal(late.headers[header], expected.headers[header], `${path}: ${header} after the upload`);
  }
});
