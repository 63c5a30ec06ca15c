// `kinflux read` as a user runs it: records recognised by their bytes (no KINFLUX_COMPRESSION needed), KPL
// de-aggregated, --payload, `| head -3` without a stack, and a refused connection said in one line.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deflateSync, gzipSync } from 'node:zlib';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { freePort, startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { KplAggregate } from '../../src/encode/kpl-format.js';
import { CLI, emulatorEnv, testClient } from '../helpers/kinflux.js';

type Run = { code: number; stdout: string; stderr: string };
const run = (file: string, args: string[], env: Record<string, string>): Promise<Run> =>
  promisify(execFile)(file, args, { env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );

// One emulator for the file (each start costs seconds of CPU), a stream per test.
const emulator = await startKinesisLocal({ streams: { mixed: 1, big: 1, evil: 1 } });
t.teardown(() => emulator.stop());

t.test('a stream of gzip, zlib, KPL and plain records reads as text without KINFLUX_COMPRESSION', async (t) => {
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());
  const kpl = new KplAggregate();
  kpl.add('k', Buffer.from('kpl v=1 1\n'));
  kpl.add('k2', Buffer.from('kpl v=2 2\n'));
  for (const data of [gzipSync('gz v=1 1\n'), deflateSync('zl v=1 1\n'), kpl.build(), Buffer.from('plain v=1 1\n')]) {
    await client.send(new PutRecordCommand({ StreamName: 'mixed', PartitionKey: 'a', Data: data }));
  }
  const env = emulatorEnv(emulator.endpoint, 'mixed');
  const full = await run(process.execPath, [CLI, 'read'], env);
  t.equal(full.code, 0, full.stderr);
  t.notMatch(full.stdout, /\ufffd/, 'no mojibake');
  t.match(full.stdout, /^# shardId-\d+ seq=\d+ key=a bytes=\d+ gzip\ngz v=1 1\n/m);
  t.match(full.stdout, /^# shardId-\d+ seq=\d+ key=a bytes=\d+ zlib\nzl v=1 1\n/m);
  t.match(full.stdout, /^# shardId-\d+ seq=\d+ key=a bytes=\d+ kpl=2\nkpl v=1 1\nkpl v=2 2\n/m);
  const payload = await run(process.execPath, [CLI, 'read', '--payload'], env);
  t.equal(payload.code, 0, payload.stderr);
  t.equal(payload.stdout, 'gz v=1 1\nzl v=1 1\nkpl v=1 1\nkpl v=2 2\nplain v=1 1\n', '--payload: the payloads alone');
  const short = await run(process.execPath, [CLI, 'read', '-p', 'mixed'], env);
  t.equal(short.stdout, payload.stdout, '-p is --payload');
});

t.test('kinflux read | head -3: no EPIPE stack, exit 0', async (t) => {
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());
  // Far more than a pipe's buffer, so kinflux is still writing when head exits.
  const lines = Array.from({ length: 20_000 }, (_, i) => `m,host=h${i} v=${i} ${i}\n`).join('');
  for (let i = 0; i < 4; i++) await client.send(new PutRecordCommand({ StreamName: 'big', PartitionKey: String(i), Data: Buffer.from(lines) }));
  const env = emulatorEnv(emulator.endpoint, 'big');
  const r = await run('sh', ['-c', '{ "$NODE" "$CLI" read; echo "kinflux=$?" >&2; } | head -3'], { ...env, NODE: process.execPath, CLI });
  t.equal(r.stdout.split('\n').length, 4, 'three lines and the end');
  t.equal(r.stderr, 'kinflux=0\n', 'nothing on stderr but the exit code, which is 0');
});

t.test('a refused connection is one line that says what to do', async (t) => {
  const port = await freePort();
  const embedded = await run(process.execPath, [CLI, 'read'], { KINFLUX_EMBEDDED_PORT: String(port) });
  t.equal(embedded.code, 1);
  t.equal(embedded.stdout, '');
  t.equal(embedded.stderr.trimEnd().split('\n').length, 1, `one line: ${embedded.stderr}`);
  t.match(embedded.stderr, `kinflux read: cannot reach the embedded Kinesis at http://127.0.0.1:${port} (ECONNREFUSED): it runs only while kinflux runs`);
  const remote = await run(process.execPath, [CLI, 'read'], emulatorEnv(`http://127.0.0.1:${port}`, 'x'));
  t.equal(remote.code, 1);
  t.equal(remote.stderr.trimEnd().split('\n').length, 1, `one line: ${remote.stderr}`);
  t.match(remote.stderr, `cannot reach http://127.0.0.1:${port} (KINFLUX_KINESIS_ENDPOINT) (ECONNREFUSED)`);
});

t.test('a hostile record and a bomb: no control character reaches the terminal, the bomb is not inflated', async (t) => {
  const HOSTILE = 'evil,host=a msg="\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b31m\x00\x7f" 1\n';
  const client = testClient(emulator.endpoint);
  t.teardown(() => client.destroy());
  await client.send(new PutRecordCommand({ StreamName: 'evil', PartitionKey: 'a', Data: gzipSync(HOSTILE) }));
  await client.send(new PutRecordCommand({ StreamName: 'evil', PartitionKey: 'b', Data: gzipSync(Buffer.alloc(128 * 1024 * 1024)) }));
  const r = await run(process.execPath, ['--max-old-space-size=256', CLI, 'read'], emulatorEnv(emulator.endpoint, 'evil'));
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'stdout carries no raw control character');
  t.match(r.stdout, /evil,host=a msg="\\x1b\]0;pwned\\x07/);
  t.match(r.stdout, /not printed: the payload inflates beyond/, 'the 128 MiB bomb is refused under a 256 MiB heap');
});

t.test('the README says how to get kinflux on PATH', async (t) => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const way of ['npx kinflux read', 'npm link', 'npm run read --', 'the image has it on PATH']) t.match(readme, way);
});
