// A local start as a new user makes it: loopback by default in embedded mode (so no auth warning), no other
// warning, and every counter whose labels are known exported at 0 before its first event (dashboards show 0,
// not "No data").
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../../src/emulator/kinesis-local.js';
import { CLI, waitFor } from '../helpers/kinflux.js';

t.test('embedded mode: loopback, quiet, counters at 0 from the start', async (t) => {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KINFLUX_PORT: String(port), KINFLUX_EMBEDDED_PORT: String(await freePort()), KINFLUX_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((r) => proc.once('exit', r));
  t.teardown(async () => {
    proc.kill('SIGTERM');
    await exited;
  });
  await waitFor(async () => out.includes('"kinflux listening"'), 60_000);
  const listening = out.split('\n').find((l) => l.includes('"kinflux listening"')) ?? '';
  t.equal((JSON.parse(listening) as { url: string }).url, `http://127.0.0.1:${port}`, 'listens on loopback only');
  const warnings = out.split('\n').filter((l) => l.includes('"level":40'));
  t.same(warnings, [], 'no warning on a local start (auth off on loopback, the Node version)');

  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const series of [
    'kinflux_points_rejected_total{reason="parse"} 0',
    'kinflux_points_rejected_total{reason="overloaded"} 0',
    'kinflux_kinesis_retries_total{stream="metrics"} 0',
    'kinflux_kinesis_put_requests_total{stream="metrics",outcome="error"} 0',
    'kinflux_writes_refused_early_total{stream="metrics",code="503"} 0',
    'kinflux_points_delivered_total{stream="metrics"} 0',
  ]) {
    t.ok(text.split('\n').includes(series), series);
  }
});

t.test("the README documents the tag: key's fallback", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  t.match(readme, /`tag:<name>\[:<default>\]`[^\n]*\n?[^\n]*`telegraf`/, 'tag:<name>[:<default>] falls back to `telegraf`, as Telegraf does');
});
