// The process-wide body budget (README "Memory budget"), end to end under --max-old-space-size=512: 64 connections
// each trickling an 8 MiB body (once 1,179 MiB held, still 1,156 MiB 40 s later) get either an answer for
// their body or an early 503 + Retry-After; RSS stays within the documented budget and returns near idle.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { telegrafLines } from '../kit/telegraf-lines.js';

const MiB = 1024 * 1024;
const BUDGET = 128 * MiB;
const BODY = 8 * MiB;
const CONNECTIONS = 64;
// The README's expansion factor: bytes of RSS per byte of body in flight (raw chunks, their copy, parsed points).
const FACTOR = 3;

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

// A v2 write of valid Telegraf lines ending in one invalid line: parsed whole, then refused (400) as InfluxDB 2.x
// does, so the test measures receive + decode + parse without pushing 128 MiB through the emulator.
const lines = telegrafLines(Math.ceil(BODY / 100));
const body = Buffer.concat([Buffer.from(lines.slice(0, BODY - 16 - (BODY - 16 - lines.lastIndexOf('\n', BODY - 16)))), Buffer.from('\n')]);
const payload = Buffer.concat([body, Buffer.alloc(BODY - body.length - 1, 'x'.charCodeAt(0)), Buffer.from('\n')]);

// 16 shards: an 8 MiB write is deliverable within the deadline (on one shard it gets 413 before its body).
const emulator = await startKinesisLocal({ streams: { metrics: 16 } });
t.teardown(() => emulator.stop());

/** Sends the head, then the body in slices over `ms`; resolves with the status line (or '' if none came). */
function trickle(port: number, ms: number): Promise<{ status: number; early: boolean; retryAfter: string | undefined }> {
  return new Promise((resolve) => {
    const sock: Socket = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    const slice = 256 * 1024;
    const steps = Math.ceil(payload.length / slice);
    const timer = setInterval(() => {
      if (sent >= payload.length || sock.destroyed) return clearInterval(timer);
      sock.write(payload.subarray(sent, sent + slice));
      sent += slice;
    }, ms / steps);
    sock.on('data', (b: Buffer) => {
      reply += b.toString('latin1');
      if (reply.includes('\r\n\r\n')) sock.end();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(reply)?.[1] ?? 0);
      resolve({ status, early: sent < payload.length, retryAfter: /\r\nretry-after: (\d+)/i.exec(reply)?.[1] });
    });
    sock.write(`POST /api/v2/write?bucket=b&org=o HTTP/1.1\r\nHost: k\r\nContent-Length: ${payload.length}\r\n\r\n`);
  });
}

t.test('64 connections trickling 8 MiB bodies: early 503s past the budget, bounded RSS, back near idle', async (t) => {
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { NODE_OPTIONS: '--max-old-space-size=512', MALLOC_MMAP_THRESHOLD_: '65536', KINFLUX_MAX_INFLIGHT_BODY_BYTES: String(BUDGET) }));
  t.teardown(() => k.stop('SIGKILL'));
  const pid = k.proc.pid ?? 0;
  t.equal((await send(k.url, '/write?db=telegraf', lines.slice(0, 100_000))).status, 400, 'warm-up: the parser and routes have run once');
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssOf(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  const results = await Promise.all(Array.from({ length: CONNECTIONS }, () => trickle(k.port, 6000)));
  clearInterval(sampler);
  const budgetRss = idle + BUDGET * FACTOR;
  const counts = new Map<number, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  t.comment(`idle ${(idle / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, budget ${(budgetRss / MiB).toFixed(0)} MiB; statuses ${JSON.stringify([...counts])}`);
  const refused = results.filter((r) => r.status === 503);
  const answered = results.filter((r) => r.status === 400);
  t.equal(refused.length + answered.length, CONNECTIONS, 'every connection got 503 or its body answered (400: the bad last line)');
  t.ok(answered.length >= BUDGET / BODY - 1, `at least the budget's worth of bodies were taken (${answered.length})`);
  t.ok(refused.length >= CONNECTIONS - 2 * (BUDGET / BODY), `the rest were refused (${refused.length})`);
  // Bytes are claimed as they arrive (issue 20 finding 4), so a 503 may come at any point of the body.
  t.ok(refused.every((r) => r.retryAfter === '1'), `each 503 came with Retry-After (${refused.filter((r) => r.early).length} before the body was all sent)`);
  t.ok(peak < budgetRss, `peak RSS ${(peak / MiB).toFixed(0)} MiB < idle + budget × ${FACTOR} = ${(budgetRss / MiB).toFixed(0)} MiB`);
  t.equal((await send(k.url, '/ping')).status, 204, 'alive');

  // Memory goes back within seconds (the issue measured no return at all after 40 s), with the glibc setting the
  // Dockerfile carries (README "Memory budget").
  let after = rssOf(pid);
  for (let i = 0; i < 20 && after > idle + 64 * MiB; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    after = rssOf(pid);
  }
  t.comment(`RSS after the load: ${(after / MiB).toFixed(0)} MiB`);
  t.ok(after <= idle + 64 * MiB, `RSS back near idle: ${(after / MiB).toFixed(0)} MiB <= ${(idle / MiB).toFixed(0)} + 64 MiB`);
  t.equal((await send(k.url, '/api/v2/write?bucket=b&org=o', 'after,load=done v=1 1')).status, 204, 'writes are taken again');
});
