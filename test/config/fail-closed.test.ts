// Settings that half-parse never turn a protection off: blank token lists stop startup, YAML lists are taken whole,
// blank or malformed limits are refused, and an open listener is announced.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SettingError, loadSettings, startupWarnings } from '../../src/config/settings.js';
import { createTokenChecker } from '../../src/http/auth.js';
import { CLI } from '../helpers/kinflux.js';
import type { FastifyRequest } from 'fastify';

const run = (env: Record<string, string>): Promise<{ code: number; out: string }> =>
  promisify(execFile)(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
/** True when loading throws a SettingError (the CLI's exit 2). */
const refused = (env: Record<string, string>): boolean => {
  try {
    loadSettings(env);
    return false;
  } catch (err) {
    return err instanceof SettingError;
  }
};
const dir = mkdtempSync(join(tmpdir(), 'kinflux-failclosed-'));
const configFile = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

t.test('a token setting that holds no token stops startup with exit 2', async (t) => {
  for (const raw of [' , ', '', ',', '   ', ',,\t,']) {
    t.throws(() => loadSettings({ KINFLUX_AUTH_TOKENS: raw }), { message: /KINFLUX_AUTH_TOKENS is set but holds no token/ }, JSON.stringify(raw));
  }
  for (const yaml of ['auth_tokens: " , "\n', 'auth_tokens:\n', 'auth_tokens: []\n', 'auth_tokens: ["a-long-enough-token", " "]\n']) {
    t.ok(refused({ KINFLUX_CONFIG: configFile('t.yaml', yaml) }), yaml);
  }
  const res = await run({ KINFLUX_AUTH_TOKENS: ' , ' });
  t.equal(res.code, 2, 'exit code 2 before anything listens');
  t.match(res.out, /KINFLUX_AUTH_TOKENS is set but holds no token/);
  t.notOk(loadSettings({}).http.authTokens.length, 'unset still means no auth');
});

t.test('tokens from a YAML or JSON list are taken whole', async (t) => {
  const whole = '9f8e7d6c5b4a39281706f5e4d3c2b1a0,x';
  const yaml = loadSettings({ KINFLUX_CONFIG: configFile('l.yaml', `auth_tokens: ["${whole}", " second-token-0123456789 "]\n`) });
  t.same(yaml.http.authTokens, [whole, 'second-token-0123456789']);
  const json = loadSettings({ KINFLUX_CONFIG: configFile('l.json', JSON.stringify({ KINFLUX_AUTH_TOKENS: [whole] })) });
  t.same(json.http.authTokens, [whole]);
  const checker = createTokenChecker(yaml.http.authTokens);
  const req = (authorization: string): FastifyRequest => ({ headers: { authorization }, query: {} }) as unknown as FastifyRequest;
  t.notOk(checker.check(req('Token x'), 'v2'), 'the tail after the comma is no token');
  t.ok(checker.check(req(`Token ${whole}`), 'v2'));
  t.same(loadSettings({ KINFLUX_AUTH_TOKENS: 'a-long-enough-token-1, b-long-enough-token-2,' }).http.authTokens, ['a-long-enough-token-1', 'b-long-enough-token-2'], 'the environment form stays comma-separated');
});

t.test('a list or mapping where one value belongs is refused, not flattened', async (t) => {
  t.throws(() => loadSettings({ KINFLUX_CONFIG: configFile('s.yaml', 'stream: [a, b]\n') }), { message: /KINFLUX_STREAM .* must be a single value/ });
  t.throws(() => loadSettings({ KINFLUX_CONFIG: configFile('p.yaml', 'max_body_bytes: {a: 1}\n') }), { message: /KINFLUX_MAX_BODY_BYTES .* must be a single value/ });
});

t.test('limits that half-parse are refused; 0 means "no limit" only where it says so', async (t) => {
  const bad: Array<Record<string, string>> = [
    { KINFLUX_MAX_BODY_BYTES: '-1' },
    { KINFLUX_MAX_BODY_BYTES: '10 MBs' },
    { KINFLUX_MAX_BODY_BYTES: '1.5MiB' },
    { KINFLUX_MAX_BODY_BYTES: '' },
    { KINFLUX_MAX_BODY_BYTES: '0' },
    { KINFLUX_MAX_LINES: '-1' },
    { KINFLUX_MAX_LINES: '1e6' },
    { KINFLUX_MAX_LINES: '' },
    { KINFLUX_QUEUE_MAX_BYTES: 'unlimited' },
    { KINFLUX_REQUEST_TIMEOUT_MS: '0' },
    { KINFLUX_AUTH_PROBES: 'maybe' },
  ];
  for (const env of bad) t.ok(refused(env), JSON.stringify(env));
  t.equal(loadSettings({ KINFLUX_MAX_BODY_BYTES: '10 MB', KINFLUX_MAX_DECODED_BYTES: '64MiB' }).http.maxBodyBytes, 10_000_000, '"10 MB" is a whole size');
  t.equal(loadSettings({ KINFLUX_MAX_LINES: '0' }).http.maxLinesPerRequest, 0, 'an explicit 0 for no line limit');
  t.equal(loadSettings({ KINFLUX_AUTH_PROBES: '' }).http.authProbes, false, 'a blank boolean is its default');
  const yaml = configFile('n.yaml', 'max_lines: -1\n');
  t.throws(() => loadSettings({ KINFLUX_CONFIG: yaml }), { message: /KINFLUX_MAX_LINES must be a whole number/ });
});

t.test('a blank certificate, config file or endpoint stops startup instead of dropping TLS, tokens or Kinesis', async (t) => {
  const blanks: Array<Record<string, string>> = [
    { KINFLUX_TLS_CERT: '', KINFLUX_TLS_KEY: '' },
    { KINFLUX_TLS_CERT: ' ', KINFLUX_TLS_KEY: ' ' },
    { KINFLUX_TLS_CLIENT_CA: '' },
    { KINFLUX_CONFIG: '' },
    { KINFLUX_KINESIS_ENDPOINT: '' },
  ];
  for (const env of blanks) {
    t.ok(refused(env), JSON.stringify(env));
  }
  t.ok(refused({ KINFLUX_CONFIG: configFile('tls.yaml', 'tls_cert: ""\ntls_key: ""\n') }), 'blank in a config file too');
});

t.test('startup warns when auth is off on a reachable listener, and about short tokens (never quoting them)', async (t) => {
  const open = startupWarnings(loadSettings({ KINFLUX_HOST: '0.0.0.0' }));
  t.match(open.join('\n'), /auth is off .* 0\.0\.0\.0/);
  t.same(startupWarnings(loadSettings({ KINFLUX_HOST: '127.0.0.1' })), [], 'loopback without auth is quiet');
  t.same(startupWarnings(loadSettings({ KINFLUX_HOST: '::1' })), []);
  t.same(startupWarnings(loadSettings({ KINFLUX_HOST: '0.0.0.0', KINFLUX_AUTH_TOKENS: 'a-token-of-sixteen-plus' })), []);
  const short = startupWarnings(loadSettings({ KINFLUX_HOST: '0.0.0.0', KINFLUX_AUTH_TOKENS: 'shorty,a-token-of-sixteen-plus' }));
  t.match(short.join('\n'), /1 of 2 KINFLUX_AUTH_TOKENS is shorter than 16 characters/);
  t.notMatch(short.join('\n'), /shorty/);
});
