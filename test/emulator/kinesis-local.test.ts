import t from 'tap';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { EmulatorPortTakenError, startKinesisLocal } from '../../src/emulator/kinesis-local.js';

/** Local addresses (hex ip:port as /proc/net shows them) of every socket pid listens on. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/net/${table}`, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === '0A' && inodes.has(c[9] ?? '')) out.push(`${table} ${c[1]}`);
    }
  }
  return out;
}

t.test('starts with its streams active and stops', async (t) => {
  const k = await startKinesisLocal({ streams: { one: 1, two: 2 } });
  t.match(k.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  await k.stop();
  t.not(k.process.exitCode === null && k.process.signalCode === null, true, 'process is gone');
});

t.test('every port the emulator opens listens on 127.0.0.1 only (its TLS port too)', async (t) => {
  const k = await startKinesisLocal({ streams: { one: 1 } });
  t.teardown(() => k.stop());
  const addrs = listeningAddresses(k.process.pid!);
  t.equal(addrs.length, 2, `the plain and the TLS port: ${addrs.join(', ')}`);
  for (const a of addrs) t.match(a, /^tcp 0100007F:[0-9A-F]{4}$/, `${a} is 127.0.0.1`);
  t.ok(addrs.includes(`tcp 0100007F:${k.port.toString(16).toUpperCase().padStart(4, '0')}`), 'the plain port is among them');
});

t.test('a port held by another emulator is never adopted', async (t) => {
  const other = await startKinesisLocal({ streams: { theirs: 1 } });
  t.teardown(() => other.stop());
  const started = Date.now();
  await t.rejects(startKinesisLocal({ port: other.port, streams: { ours: 1 } }), EmulatorPortTakenError);
  t.ok(Date.now() - started < 30_000, 'fails without waiting for the start timeout');
});

t.test('a port held by any server fails the start', async (t) => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as { port: number }).port;
  await t.rejects(startKinesisLocal({ port }), { name: 'EmulatorPortTakenError', port });
});
