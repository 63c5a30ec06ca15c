// Sealing with pacing (issue 11, "pacing that costs nothing"): while a shard waits for its allowance,
// its open record keeps filling and is sealed when the allowance covers it, so waiting never cuts
// records short; without pacing the same writes are sealed at once, as before.
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { recordLines } from '../helpers/kinesis-read.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { makeEngine } from './engine-setup.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// One shard, no limits of its own: kinflux's pacing is the only limit.
const s = await startKinesisStandin({ streams: { paced: 1, unpaced: 1 }, bytesPerSecond: 0, recordsPerSecond: 0 });
t.teardown(() => s.close());

/** `n` lines of about 200 bytes, one series each (so the record holds them all, in order). */
const lines = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `m,w=${tag} v=${i}i,pad="${'x'.repeat(170)}" ${1_000_000 + i}`);

/** Admission refuses at once (a rejected promise); an admitted write is still pending a tick later. */
function refusedAtOnce(p: Promise<void>): Promise<boolean> {
  const tick = new Promise<false>((r) => setImmediate(() => r(false)));
  return Promise.race([p.then(() => false, (e: unknown) => ((e as { reason?: string }).reason === 'overloaded' ? true : Promise.reject(e))), tick]);
}

async function threeWrites(stream: string, percent: number): Promise<{ records: number; lines: number; tookMs: number; refusedC: number }> {
  const { engine } = makeEngine(s.endpoint, [stream], { shardRateLimitPercent: percent, deliveryTimeoutMs: 15_000, lingerMs: 50 });
  await engine.start();
  // 1% of a shard: 10,485 bytes/s, a bucket of 0.1 s (1 KB). A (8 KB) goes when the bucket is full and
  // leaves a debt of about 7 KB.
  await engine.submit(stream, batchFromLines(lines('a', 40)));
  const t0 = Date.now();
  // B's 0.6 KB then waits for allowance (the debt: about 0.7 s).
  const b = engine.submit(stream, batchFromLines(lines('b', 3)));
  // C, one line, is offered every 20 ms until admission takes it (at once: 0.6 KB ahead drains within
  // admission's horizon), so while B still waits for its allowance.
  let refusedC = 0;
  let c: Promise<void> | undefined;
  while (!c) {
    await sleep(20);
    const attempt = engine.submit(stream, batchFromLines(lines('c', 1)));
    if (await refusedAtOnce(attempt)) refusedC++;
    else c = attempt;
  }
  await Promise.all([b, c]);
  const tookMs = Date.now() - t0;
  await engine.shutdown(2000);
  return { records: s.stats(stream).acceptedRecords, lines: recordLines(s.records(stream)).length, tookMs, refusedC };
}

t.test('a shard waiting for allowance keeps filling its open record: the writes that arrive meanwhile share one record', async (t) => {
  const r = await threeWrites('paced', 1);
  t.equal(r.lines, 44, 'every point stored');
  t.equal(r.records, 2, 'A, then B and C together (sealing B at once would make 3 records, the last two waiting in line)');
  // B and C go when A's debt is paid and the bucket holds their 0.8 KB: about 0.75 s at 10 KB/s. Generous bounds.
  t.ok(r.tookMs >= 300 && r.tookMs < 5000, `B and C acknowledged after ${r.tookMs} ms (paced, not stalled; C refused ${r.refusedC} times first)`);
});

t.test('without pacing the same writes are sealed as soon as the pipe is free (nothing waits)', async (t) => {
  const r = await threeWrites('unpaced', 0);
  t.equal(r.lines, 44);
  t.equal(r.records, 3, 'one record per write: each was sealed before the next arrived');
  t.ok(r.tookMs < 3000, `${r.tookMs} ms`);
});
