// KINFLUX_MAX_CONNECTIONS: 5,000 idle keep-alive connections were once all held, 65 s each. Now the process holds
// at most the cap; the rest are closed at once, and once the idle ones go, new clients are served again.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux, waitFor } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';

const CAP = 500;
// Both this process and kinflux need a descriptor per connection; stay under the soft limit where it is low.
const fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || 1024;
const WANTED = Math.min(5000, fdLimit - 200);

const sockets = (pid: number): number =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;

const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
t.teardown(() => emulator.stop());

t.test(`${WANTED} idle connections: at most ${CAP} held`, async (t) => {
  t.ok(WANTED > CAP * 2, `enough descriptors to test (${fdLimit})`);
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_MAX_CONNECTIONS: String(CAP) }));
  t.teardown(() => k.stop('SIGKILL'));
  const pid = k.proc.pid ?? 0;
  const before = sockets(pid);
  const open: Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < WANTED; i++) {
    const s = connect(k.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => closedByServer++);
    open.push(s);
    if (i % 250 === 249) await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor(async () => closedByServer >= WANTED - CAP, 30_000);
  const held = sockets(pid) - before;
  t.comment(`${WANTED} connections opened, ${closedByServer} closed by kinflux, ${held} held`);
  t.ok(held <= CAP, `kinflux holds ${held} <= ${CAP} client connections`);
  t.ok(closedByServer >= WANTED - CAP, 'the rest were closed at once');
  for (const s of open) s.destroy();
  await waitFor(async () => (await send(k.url, '/ping')).status === 204, 10_000);
  t.pass('served again once the idle connections are gone');
  await k.stop('SIGTERM');
  t.match(k.output(), /connections refused: KINFLUX_MAX_CONNECTIONS \(500\) are open/, 'the refusals are logged');
});
