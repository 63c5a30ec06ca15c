// Issue 20, finding 4: eight idle sockets refused every write for 30 s, renewably. The whole announced
// Content-Length was claimed from KINFLUX_MAX_INFLIGHT_BODY_BYTES when the head arrived: eight heads of
// `Content-Length: 33554432` sending a byte now and then held all 256 MiB until the 30 s body deadline. Now bytes
// are claimed as they arrive, and a body that sends nothing for 5 s is cut off: the real server under
// --max-old-space-size=512 takes ordinary writes (204) beside eight trickling and eight silent 32 MiB heads, cuts
// the silent ones within seconds, stays within its memory budget, and /ping p99 stays <= 100 ms.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { checkProbe, readmeBudget, underAttack } from '../helpers/under-attack.js';

// 16 shards: a 32 MiB write is deliverable within the deadline, so the heads are not refused at once with 413.
const emulator = await startKinesisLocal({ streams: { metrics: 16 } });
t.teardown(() => emulator.stop());

/** A write announcing 32 MiB that sends one byte every `everyMs` (never, when 0); resolves with ms until the server closed it. */
function idleHead(port: number, everyMs: number, t0: number): { closed: Promise<number>; sock: Socket } {
  const sock = connect(port, '127.0.0.1');
  const closed = new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    sock.on('connect', () => {
      sock.write('POST /write?db=metrics HTTP/1.1\r\nHost: k\r\nContent-Length: 33554432\r\n\r\na');
      if (everyMs > 0) timer = setInterval(() => sock.write('a'), everyMs);
    });
    sock.on('error', () => undefined);
    sock.on('data', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - t0);
    });
  });
  return { closed, sock };
}

t.test('eight trickling and eight silent 32 MiB heads: ordinary writes still get 204, silent bodies are cut', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { NODE_OPTIONS: '--max-old-space-size=512', KINFLUX_LOG_LEVEL: 'error' }));
  t.teardown(() => k.stop('SIGKILL'));
  const statuses: number[] = [];
  let silentClosed: number[] = [];
  let tricklingOpen = 0;
  const probe = await underAttack(k.port, k.proc.pid ?? 0, async () => {
    const t0 = Date.now();
    const trickling = Array.from({ length: 8 }, () => idleHead(k.port, 2000, t0));
    const silent = Array.from({ length: 8 }, () => idleHead(k.port, 0, t0));
    await new Promise((r) => setTimeout(r, 500));
    // Ordinary writes for 8 s: on 09777d8 every one got 503 (the heads held the whole budget).
    let i = 0;
    while (Date.now() - t0 < 8500) {
      statuses.push((await send(k.url, '/write?db=metrics', `idle_claims,n=${i % 5} v=${i}i ${1_700_000_000_000_000_000 + i}\n`)).status);
      i++;
      await new Promise((r) => setTimeout(r, 200));
    }
    silentClosed = await Promise.all(silent.map((s) => Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 8000))])));
    tricklingOpen = trickling.filter((s) => !s.sock.destroyed).length;
    for (const s of [...trickling, ...silent]) s.sock.destroy();
  });
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  t.comment(`ordinary writes: ${JSON.stringify([...counts])}; silent heads closed after ${JSON.stringify(silentClosed)} ms; trickling still open ${tricklingOpen}`);
  t.ok(statuses.length >= 10, `${statuses.length} ordinary writes`);
  t.same([...counts.keys()], [204], 'every ordinary write beside the heads got 204');
  t.ok(silentClosed.every((ms) => ms <= 12_000), 'each silent body was cut off within the idle window (5 s) plus slack, not at the 30 s deadline');
  checkProbe(t, probe, k.proc.exitCode === null, readmeBudget(probe.idleRss));
});
