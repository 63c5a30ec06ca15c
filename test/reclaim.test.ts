// src/reclaim.ts: the collection after a burst gives the burst's buffers back, and V8's count of external
// memory (nodejs_external_memory_bytes) says so; the parse thread's trigger collects once per quiet spell.
import t from 'tap';
import { afterQuiet, collectGarbage, SETTLE_MS } from '../src/reclaim.js';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A burst: 64 MiB of buffers, written (so resident), alive until `held.length = 0`. */
const held: Buffer[] = [];
function burst(): void {
  for (let i = 0; i < 16; i++) held.push(Buffer.allocUnsafe(4 * MiB).fill(i));
}

t.test('after the collection the external memory count falls back, not only the buffers', async (t) => {
  await sleep(10);
  collectGarbage();
  await sleep(SETTLE_MS + 100);
  const before = process.memoryUsage().external;
  burst();
  await sleep(10);
  t.ok(process.memoryUsage().external - before >= 60 * MiB, 'the burst is counted');
  held.length = 0;
  collectGarbage();
  // Once the external count stayed at the whole burst until some later collection: in an idle process, never.
  await sleep(SETTLE_MS + 300);
  const left = process.memoryUsage().external - before;
  t.ok(left <= 4 * MiB, `external memory ${(left / MiB).toFixed(1)} MiB above what it was before the burst`);
  
});

t.test('afterQuiet collects once a burst has been quiet for its delay, once per burst', async (t) => {
  let collections = 0;
  const quiet = afterQuiet(200, () => collections++);
  for (let i = 0; i < 5; i++) {
    quiet.burst();
    await sleep(50);
  }
  t.equal(collections, 0, 'no collection while jobs keep coming');
  await sleep(300);
  t.equal(collections, 1, 'one after the quiet spell');
  await sleep(300);
  t.equal(collections, 1, 'none while idle');
  quiet.burst();
  await sleep(300);
  t.equal(collections, 2, 'the next burst gets its own');
});
