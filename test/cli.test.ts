// The process as users run it: exit codes, --help, the embedded quick start, and SIGTERM mid-write.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startKinesisLocal } from '../src/emulator/kinesis-local.js';
import { CLI, emulatorEnv, readLines, startKinflux, testClient, waitFor } from './helpers/kinflux.js';
import { send } from './helpers/http.js';

// One emulator for the file (each start costs seconds of CPU): the tests that need a Kinesis, or a port an
// emulator holds, share it.
const emulator = await startKinesisLocal({ streams: { metrics: 2 } });
t.teardown(() => emulator.stop());

const run = (args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> =>
  promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );

t.test('--help lists the settings; a bad setting exits 2 naming it', async (t) => {
  const help = await run(['--help'], {});
  t.equal(help.code, 0);
  t.match(help.out, /KINFLUX_AGGREGATION/);
  t.match(help.out, /KINFLUX_PARTITION_KEY/);
  const bad = await run([], { KINFLUX_AGGREGATION: 'bogus' });
  t.equal(bad.code, 2);
  t.match(bad.out, 'KINFLUX_AGGREGATION must be one of lines, none, kpl');
  const kplGzip = await run([], { KINFLUX_AGGREGATION: 'kpl', KINFLUX_COMPRESSION: 'gzip' });
  t.equal(kplGzip.code, 2, 'kpl with compression is refused: the KCL could not de-aggregate it');
  t.match(kplGzip.out, /kpl cannot be combined with KINFLUX_COMPRESSION=gzip/);
});

t.test('the command line refuses what it does not know: exit 2 and a usage line, no server', async (t) => {
  // A bad setting makes every refused case fail fast even if argument checking regressed (no server starts).
  const env = { KINFLUX_PORT: '1', KINFLUX_EMBEDDED_PORT: '1' };
  for (const args of [['--bogus'], ['help'], ['serve'], ['-x'], ['--help', '--bogus'], ['--version', 'extra'], ['read', '--bogus'], ['read', 'a', 'b']]) {
    const r = await run(args, env);
    t.equal(r.code, 2, `kinflux ${args.join(' ')} exits 2: ${r.out}`);
    t.match(r.out, /^Usage: kinflux /m, `kinflux ${args.join(' ')} prints the usage line`);
    t.notMatch(r.out, /listening|embedded kinesis-local/, 'nothing started');
  }
  t.match((await run(['--bogus'], env)).out, /unknown option "--bogus"/);
  t.match((await run(['help'], env)).out, /unknown command "help"/);
});

t.test('kinflux read --help has its own help', async (t) => {
  const r = await run(['read', '--help'], {});
  t.equal(r.code, 0);
  t.match(r.out, /^Usage: kinflux read \[stream\]/m);
  t.notMatch(r.out, /KINFLUX_AGGREGATION/, 'not the main help');
  const main = await run(['-h'], {});
  t.equal(main.code, 0);
  t.match(main.out, /kinflux read --help/, 'the main help points to it');
});

t.test('an unknown KINFLUX_ variable is a warning naming the closest setting', async (t) => {
  // `read` against a closed port: it loads the settings (and warns) without starting a server.
  const r = await run(['read'], { KINFLUX_PROT: '9000', KINFLUX_EMBEDDED_PORT: '1', KINFLUX_STRAEM: 'x', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  t.match(r.out, /warning: unknown setting KINFLUX_PROT is ignored; did you mean KINFLUX_PORT\?/);
  t.match(r.out, /warning: unknown setting KINFLUX_STRAEM is ignored; did you mean KINFLUX_STREAM\?/);
  const clean = await run(['read'], { KINFLUX_PORT: '9000', KINFLUX_EMBEDDED_PORT: '1' });
  t.notMatch(clean.out, /unknown setting/, 'known settings draw no warning');
});

t.test('embedded quick start: no AWS settings, the README curl gives 204 and `kinflux read` shows the record', async (t) => {
  const embeddedPort = await freePort();
  const k = await startKinflux({ KINFLUX_EMBEDDED_PORT: String(embeddedPort) });
  t.teardown(() => k.stop('SIGTERM'));
  const res = await send(k.url, '/write?db=telegraf', 'cpu,host=a usage=1.5 1700000000000000000');
  t.equal(res.status, 204, res.text);
  const read = await run(['read'], { KINFLUX_EMBEDDED_PORT: String(embeddedPort) });
  t.equal(read.code, 0, read.out);
  t.match(read.out, /^cpu,host=a usage=1\.5 1700000000000000000$/m);
  t.match(k.output(), `read records back with: KINFLUX_EMBEDDED_PORT=${embeddedPort} npm run read -- metrics`, 'the hint carries the port really used');
  t.equal(await k.stop('SIGTERM'), 0);
});

t.test('fail fast: one line naming the setting, before anything starts', async (t) => {
  const lines = (out: string): string[] => out.split('\n').filter((l) => l.trim() !== '');

  t.test('a busy HTTP port names KINFLUX_PORT, and no emulator starts', async (t) => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
    const port = (srv.address() as { port: number }).port;
    const r = await run([], { KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(port), KINFLUX_EMBEDDED_PORT: String(await freePort()), KINFLUX_LOG_FORMAT: 'json' });
    t.equal(r.code, 1);
    t.same(lines(r.out), [`kinflux: port ${port} on 127.0.0.1 is already in use (KINFLUX_PORT): stop what holds it, or set KINFLUX_PORT to a free port`]);
  });

  t.test('an embedded port held by another emulator names KINFLUX_EMBEDDED_PORT; that emulator is not used', async (t) => {
    const other = emulator;
    const r = await run([], { KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(await freePort()), KINFLUX_EMBEDDED_PORT: String(other.port), KINFLUX_LOG_FORMAT: 'json' });
    t.equal(r.code, 1);
    t.equal(lines(r.out).length, 1, r.out);
    t.match(r.out, `port ${other.port} on 127.0.0.1 is already in use (KINFLUX_EMBEDDED_PORT)`);
    t.notMatch(r.out, /listening|started/);
  });

  t.test('no AWS credentials: said at once, as credentials, not as an unreachable Kinesis after the startup timeout', async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'first-ten-nocreds-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    const started = Date.now();
    const r = await run([], {
      HOME: home,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      KINFLUX_KINESIS_ENDPOINT: emulator.endpoint,
      KINFLUX_STREAM: 'metrics',
      KINFLUX_HOST: '127.0.0.1',
      KINFLUX_PORT: String(await freePort()),
      KINFLUX_LOG_FORMAT: 'json',
    });
    const took = Date.now() - started;
    t.equal(r.code, 1);
    t.equal(lines(r.out).length, 1, r.out);
    t.match(r.out, /^kinflux: no usable AWS credentials: Could not load credentials from any providers\. Provide them through the standard chain \(AWS_PROFILE, AWS_ACCESS_KEY_ID/);
    t.notMatch(r.out, /unreachable/);
    // The startup timeout is 30 s; the bound is wide for a loaded machine, not a speed claim.
    t.ok(took < 20_000, `exited after ${took} ms`);
  });
});

t.test('with Kinesis at hand', async (t) => {
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());

  t.test('an absent stream at startup: logs its name and exits 1', async (t) => {
    const k = await startKinflux(emulatorEnv(emulator.endpoint, 'no-such-stream'), { waitReady: false });
    t.equal(await k.exited, 1);
    t.match(k.output(), /no-such-stream/);
  });

  t.test('SIGTERM during a write still delivers it, answers 204 and exits 0', async (t) => {
    // A long linger keeps the points queued when the signal arrives.
    const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_BATCH_LINGER_MS: '3000' }));
    const lines = Array.from({ length: 1000 }, (_, i) => `sigterm,host=h${i % 10} v=${i}i ${1700000000000000000 + i}`).join('\n');
    const pending = send(k.url, '/write?db=telegraf', lines);
    await waitFor(async () => /kinflux_points_received_total\{stream="metrics"\} 1000/.test((await send(k.url, '/metrics')).text), 10_000, 20);
    k.proc.kill('SIGTERM');
    const res = await pending;
    t.equal(res.status, 204, res.text);
    t.equal(await k.exited, 0);
    const stored = (await readLines(client, 'metrics')).filter((l) => l.startsWith('sigterm,'));
    t.equal(stored.length, 1000, 'every acknowledged point is in the stream');
  });
});
