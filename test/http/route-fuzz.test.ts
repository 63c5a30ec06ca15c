// Random query strings, headers and bodies on every route: the only 5xx allowed is 503 from delivery.
// And a 5xx that is kinflux's fault is logged at a bounded rate, never once per request.
import t from 'tap';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { buildStubServer } from '../helpers/stub-server.js';
import { DeliveryError } from '../../src/deliver/errors.js';

const TOKEN = 'fuzz-token-0123456789';
let deliveryFails = false;
const app = buildStubServer(
  { KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_ROUTES: 'telegraf=metrics', KINFLUX_MAX_BODY_BYTES: '64KiB', KINFLUX_MAX_DECODED_BYTES: '256KiB', KINFLUX_MAX_LINES: '100' },
  {
    delivery: {
      submit: async (stream) => {
        if (deliveryFails) throw new DeliveryError('queue_full', stream);
      },
    },
  },
);
await app.ready();
t.teardown(() => app.close());

const ROUTES: Array<[string, string]> = [
  ['POST', '/write'],
  ['POST', '/api/v2/write'],
  ['GET', '/ping'],
  ['HEAD', '/ping'],
  ['GET', '/query'],
  ['POST', '/query'],
  ['GET', '/health'],
  ['GET', '/ready'],
  ['GET', '/metrics'],
  ['GET', '/openapi.yaml'],
  ['GET', '/nope'],
  ['POST', '/write/'],
  ['POST', '/wr%C0%AFite'],
  ['GET', '/%zz'],
  ['POST', '/write%00'],
];
const KEYS = ['db', 'rp', 'precision', 'u', 'p', 'q', 'bucket', 'org', 'orgID', 'verbose', 'epoch', 'q[]', 'db[]', 'p[0]', '__proto__', 'constructor', ''];
// Pieces that make odd encodings likely: bad escapes, overlong UTF-8, NUL, surrogates, separators.
const PIECES = ['%', '%z', '%zz', '%00', '%C0%AF', '%ED%A0%80', '%FF', '%E2%82', '+', '&', '=', '[', ']', '[]', ';', '#', 'é', 'telegraf', 'ns', 's', 'x', TOKEN, 'SHOW DATABASES', 'CREATE DATABASE d', '\u0000'];
const fragment = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 4 }).map((a) => a.join(''));
const param = fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 6 }, { arbitrary: fragment, weight: 1 }), fc.option(fragment, { nil: undefined, freq: 8 }));
const queryString = fc.array(param, { maxLength: 8 }).map((ps) => ps.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const headers = fc.record(
  {
    authorization: fc.oneof({ arbitrary: fc.constant(`Token ${TOKEN}`), weight: 4 }, fc.constant(`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`), headerValue, fc.constant('Basic %%%')),
    'content-encoding': fc.oneof(fc.constantFrom('gzip', 'x-gzip', 'identity', 'br', 'GZIP'), headerValue),
    'content-type': fc.oneof(fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', 'application/json', ''), headerValue),
    accept: headerValue,
    'x-random': headerValue,
  },
  { requiredKeys: ['authorization'] },
);
const lineBody = fc.array(fc.oneof(fc.constantFrom('cpu,host=a v=1 1', 'cpu v=1', 'bad', '', '# c', 'm f="x" 1', `m,t=${TOKEN} v=1i`), fc.string({ maxLength: 20 })), { maxLength: 8 }).map((ls) => ls.join('\n'));
const body = fc.oneof(
  lineBody.map((s) => Buffer.from(s)),
  lineBody.map((s) => gzipSync(s)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fragment.map((s) => Buffer.from(`q=${s}&q=${s}`)),
);

t.test('no malformed request gets a 5xx other than delivery\'s 503', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES), queryString, headers, fc.option(body, { nil: undefined }), fc.boolean(), async ([method, path], qs, hdrs, payload, fails) => {
      deliveryFails = fails;
      runs++;
      const res = await app.inject({ method, url: qs ? `${path}?${qs}` : path, headers: hdrs, ...(payload && method === 'POST' ? { payload } : {}) });
      const isDelivery503 = res.statusCode === 503 && fails && path.includes('write');
      if (res.statusCode >= 500 && !isDelivery503) throw new Error(`${method} ${path}?${qs} → ${res.statusCode} ${res.body}`);
      if (res.statusCode >= 400 && method !== 'HEAD') {
        // Every error is JSON that says what to fix.
        const parsed = JSON.parse(res.body) as { error?: string; message?: string };
        if (!(parsed.error ?? parsed.message)) throw new Error(`no message: ${res.body}`);
      }
    }),
    { numRuns: 3000, seed: Number(process.env.FUZZ_SEED ?? 20261130) },
  );
  t.equal(runs, 3000);
});

t.test('a 500 is logged at error level at a bounded rate, with what failed and never the request', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'trace' }, sink) as unknown as FastifyBaseLogger;
  const broken = buildStubServer({ KINFLUX_AUTH_TOKENS: TOKEN }, { logger, delivery: { submit: async () => Promise.reject(new Error('bug in delivery')) } });
  await broken.ready();
  t.teardown(() => broken.close());
  for (let i = 0; i < 200; i++) {
    const res = await broken.inject({ method: 'POST', url: `/write?db=x&p=${TOKEN}`, payload: 'cpu v=1 1' });
    t.equal(res.statusCode, 500);
    t.same(res.json(), { error: 'internal error: the request could not be processed' });
  }
  const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string; occurrences?: number; err?: { message: string } }).filter((e) => e.level >= 50);
  t.equal(errors.length, 1, '200 failures, one error entry in the interval');
  t.match(errors[0], { msg: /requests failed with 500/, occurrences: 1, err: { message: 'bug in delivery' } });
  t.notMatch(lines.join('\n'), TOKEN);
});
