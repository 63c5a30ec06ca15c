// Token auth in every scheme InfluxDB clients send, probes left open, and tokens never in the logs.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';

const TOKEN = 'tok-3f9a1c7e5b';
const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
const client = testClient(emulator.endpoint);
const kinflux = await startKinflux(
  emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_AUTH_TOKENS: `other-token,${TOKEN}`, KINFLUX_LOG_LEVEL: 'debug' }),
);
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

t.test('v1 accepts Token, Basic with the token as password, and u/p; refuses the rest with 401', async (t) => {
  const ok: Array<[string, Record<string, string>]> = [
    ['/write?db=telegraf', { authorization: `Token ${TOKEN}` }],
    ['/write?db=telegraf', { authorization: basic('telegraf', TOKEN) }],
    [`/write?db=telegraf&u=telegraf&p=${TOKEN}`, {}],
  ];
  for (const [i, [path, headers]] of ok.entries()) {
    const res = await send(kinflux.url, path, `auth,scheme=${i} v=1 ${i + 1}`, { headers });
    t.equal(res.status, 204, `${path} ${JSON.stringify(Object.keys(headers))}`);
  }
  const refused: Array<[string, Record<string, string>]> = [
    ['/write?db=telegraf', {}],
    ['/write?db=telegraf', { authorization: 'Token wrong' }],
    ['/write?db=telegraf', { authorization: basic(TOKEN, 'wrong') }],
    ['/write?db=telegraf&u=x&p=wrong', {}],
    ['/query?q=SHOW%20DATABASES', {}],
  ];
  for (const [path, headers] of refused) {
    const res = await send(kinflux.url, path, path.startsWith('/write') ? 'auth v=1 1' : undefined, { headers });
    t.equal(res.status, 401, path);
    t.match(res.json<{ error: string }>().error, /authorization failed/);
    t.equal(res.headers['www-authenticate'], 'Basic realm="InfluxDB"');
  }
  t.equal((await readLines(client, 'metrics')).filter((l) => l.startsWith('auth,')).length, 3, 'only the authorised writes were stored');
});

t.test('v2 accepts Token only', async (t) => {
  const ok = await send(kinflux.url, '/api/v2/write?bucket=b&org=o', 'authv2 v=1 1', { headers: { authorization: `Token ${TOKEN}` } });
  t.equal(ok.status, 204);
  const attempts: Array<Record<string, string>> = [{}, { authorization: 'Token nope' }, { authorization: basic('u', TOKEN) }];
  for (const headers of attempts) {
    const res = await send(kinflux.url, '/api/v2/write?bucket=b&org=o', 'authv2 v=1 1', { headers });
    t.equal(res.status, 401);
    t.same(res.json(), { code: 'unauthorized', message: 'authorization failed: a valid token is required' });
  }
});

t.test('probes stay open', async (t) => {
  for (const path of ['/ping', '/health', '/ready', '/metrics']) {
    t.ok((await send(kinflux.url, path)).status < 300, path);
  }
});

t.test('tokens and bodies never reach the logs, even at debug level', async (t) => {
  await send(kinflux.url, `/write?db=telegraf&u=me&p=${TOKEN}`, 'secretbody,host=x v=1 1');
  await send(kinflux.url, '/write?db=telegraf', 'secretbody2 v=oops', { headers: { authorization: `Token ${TOKEN}` } });
  await new Promise((r) => setTimeout(r, 200));
  const logs = kinflux.output();
  t.match(logs, /"msg":"request"/, 'one debug line per request');
  t.notMatch(logs, TOKEN);
  t.notMatch(logs, 'secretbody');
});

t.test('KINFLUX_AUTH_PROBES closes the probes too', async (t) => {
  const closed = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_AUTH_PROBES: 'true' }), {
    waitReady: false,
  });
  t.teardown(() => closed.stop('SIGKILL'));
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 100 && (await send(closed.url, '/ping', undefined, { headers: { authorization: `Token ${TOKEN}` } }).then((r) => r.status, () => 0)) !== 204; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const path of ['/ping', '/health', '/ready', '/metrics']) {
    t.equal((await send(closed.url, path)).status, 401, `${path} without a token`);
    t.ok((await send(closed.url, path, undefined, { headers: { authorization: `Token ${TOKEN}` } })).status < 300, `${path} with a token`);
  }
});

t.test('a non-ASCII token works in every scheme: compared as the bytes the client sent', async (t) => {
  const token = 'tökén-ñ-日本-ключ-0123456789';
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_AUTH_TOKENS: `ascii-token-0123456789,${token}` }));
  t.teardown(() => k.stop('SIGKILL'));
  // A client sends the token's UTF-8 bytes; Node's client takes a header value as one char per byte (latin1).
  const raw = Buffer.from(token, 'utf8').toString('latin1');
  const ok: Array<[string, Record<string, string>]> = [
    ['/api/v2/write?bucket=b&org=o', { authorization: `Token ${raw}` }],
    ['/write?db=telegraf', { authorization: `Token ${raw}` }],
    ['/write?db=telegraf', { authorization: `Basic ${Buffer.from(`telegraf:${token}`, 'utf8').toString('base64')}` }],
    [`/write?db=telegraf&u=me&p=${encodeURIComponent(token)}`, {}],
  ];
  for (const [path, headers] of ok) t.equal((await send(k.url, path, 'utf8tok v=1 1', { headers })).status, 204, `${path} ${JSON.stringify(Object.keys(headers))}`);
  // The same characters read as latin1 text are another token.
  const latin1 = Buffer.from(token, 'utf8').toString('latin1');
  const wrong = await send(k.url, `/write?db=telegraf&u=me&p=${encodeURIComponent(latin1)}`, 'utf8tok v=1 1');
  t.equal(wrong.status, 401);
});

t.test('a token no client can send is refused at start, by position, never quoted', async (t) => {
  for (const [tokens, reason] of [
    ['good-token-0123456789,bad\ttoken-0123456789', /token 2 of 2 holds a control character/],
    ['bad\u0001token-0123456789', /token 1 of 1 holds a control character/],
  ] as const) {
    const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_AUTH_TOKENS: tokens }), { waitReady: false });
    const code = await Promise.race([k.exited, new Promise<string>((r) => setTimeout(() => r('still running after 30 s'), 30_000).unref())]);
    await k.stop('SIGKILL');
    t.equal(code, 2);
    t.match(k.output(), reason);
    t.notMatch(k.output(), 'token-0123456789', 'the token is not quoted');
  }
});
