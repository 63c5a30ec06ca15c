// Start-up failures as a user meets them: one line on stderr naming the setting, no stack; TLS files checked before
// anything starts; and a start that fails after the embedded emulator booted stops it (port free) before exiting.
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/emulator/kinesis-local.js';
import { CLI } from '../helpers/kinflux.js';

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs kinflux to its exit; `during` runs while it starts. */
function run(env: Record<string, string>, during?: () => Promise<void>): Promise<Run> {
  const proc = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KINFLUX_HOST: '127.0.0.1', KINFLUX_LOG_FORMAT: 'json', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
  void during?.();
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const oneLine = (t: Test, r: Run, pattern: string | RegExp): void => {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  t.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  t.match(lines[0] ?? '', pattern);
  t.notMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
};

const dir = mkdtempSync(join(tmpdir(), 'kinflux-startup-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'a.key', '-out', 'a.pem', '-days', '2', '-subj', '/CN=a');
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'b.key', '-out', 'b.pem', '-days', '2', '-subj', '/CN=b');
const f = (name: string): string => join(dir, name);

t.test('TLS files: one line naming the setting, before the emulator starts', async (t) => {
  const cases: Array<[Record<string, string>, string | RegExp]> = [
    [{ KINFLUX_TLS_CERT: f('a.pem'), KINFLUX_TLS_KEY: f('b.key') }, 'kinflux: KINFLUX_TLS_KEY is not the key of the certificate in KINFLUX_TLS_CERT'],
    [{ KINFLUX_TLS_CERT: f('missing.pem'), KINFLUX_TLS_KEY: f('a.key') }, /^kinflux: KINFLUX_TLS_CERT: cannot read ".*missing\.pem" \(ENOENT\)/],
    [{ KINFLUX_TLS_CERT: f('a.pem'), KINFLUX_TLS_KEY: f('missing.key') }, /^kinflux: KINFLUX_TLS_KEY: cannot read/],
    [{ KINFLUX_TLS_CERT: f('a.key'), KINFLUX_TLS_KEY: f('a.key') }, /^kinflux: KINFLUX_TLS_CERT: .* holds no PEM certificate/],
    [{ KINFLUX_TLS_CERT: f('a.pem'), KINFLUX_TLS_KEY: f('a.pem') }, /^kinflux: KINFLUX_TLS_KEY: .* holds no unencrypted PEM private key/],
    [{ KINFLUX_TLS_CERT: f('a.pem'), KINFLUX_TLS_KEY: f('a.key'), KINFLUX_TLS_CLIENT_CA: f('a.key') }, /^kinflux: KINFLUX_TLS_CLIENT_CA: .* holds no PEM certificate/],
  ];
  for (const [env, pattern] of cases) {
    const r = await run({ ...env, KINFLUX_PORT: String(await freePort()), KINFLUX_EMBEDDED_PORT: String(await freePort()) });
    t.equal(r.code, 1, JSON.stringify(env));
    oneLine(t, r, pattern);
    t.notMatch(r.stdout, /embedded kinesis-local started/, 'nothing started');
  }
});

t.test('an unreachable KINFLUX_KINESIS_ENDPOINT: one line naming it', async (t) => {
  const port = await freePort();
  const r = await run({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'x',
    KINFLUX_STREAM: 'metrics',
    KINFLUX_KINESIS_ENDPOINT: `http://127.0.0.1:${port}`,
    KINFLUX_STARTUP_TIMEOUT_MS: '1500',
    KINFLUX_PORT: String(await freePort()),
  });
  t.equal(r.code, 1);
  oneLine(t, r, `kinflux: cannot reach Kinesis at http://127.0.0.1:${port} (KINFLUX_KINESIS_ENDPOINT) within KINFLUX_STARTUP_TIMEOUT_MS (1500 ms):`);
  t.match(r.stderr, /ECONNREFUSED/);
});

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

const listenOn = (port: number): Promise<Server | undefined> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(srv));
  });

t.test('a start that fails after the embedded emulator booted stops it first: its port is free at exit', async (t) => {
  const httpPort = await freePort();
  const embeddedPort = await freePort();
  let squatter: Server | undefined;
  t.teardown(() => squatter?.close());
  // The HTTP port is free at the preflight check and taken once the emulator is up, before kinflux listens.
  const r = await run({ KINFLUX_PORT: String(httpPort), KINFLUX_EMBEDDED_PORT: String(embeddedPort) }, async () => {
    const deadline = Date.now() + 60_000;
    while (!(await accepts(embeddedPort)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    squatter = await listenOn(httpPort);
  });
  t.ok(squatter, 'the test took the HTTP port while the emulator booted');
  t.equal(r.code, 1);
  t.match(r.stderr, `port ${httpPort} on 127.0.0.1 is already in use (KINFLUX_PORT)`);
  const free = await listenOn(embeddedPort);
  t.ok(free, `the embedded port ${embeddedPort} is free the moment kinflux has exited: a restart can take it`);
  await new Promise((res) => free?.close(res));
});
