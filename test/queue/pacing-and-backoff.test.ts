import t from 'tap';
import { ShardPacer } from '../../src/queue/shard-pacer.js';
import { fullJitterDelay } from '../../src/queue/backoff.js';
import { Deque } from '../../src/queue/deque.js';

t.test('pacer: 1 MiB/s and 1,000 records/s per shard, scaled by percent', async (t) => {
  const p = new ShardPacer(100);
  let now = 0;
  let sent = 0;
  // 10 s of 1 KiB records as fast as allowed: records/s is the binding limit.
  while (now < 10_000) {
    const wait = p.reserve('s0', 1024, now);
    if (wait === 0) sent++;
    else now += wait;
  }
  t.ok(sent >= 10_000 && sent <= 11_000, `~1,000 records/s (${sent} in 10 s incl. 1 s burst)`);
  const big = new ShardPacer(100);
  now = 0;
  let bytes = 0;
  while (now < 10_000) {
    const wait = big.reserve('s0', 512 * 1024, now);
    if (wait === 0) bytes += 512 * 1024;
    else now += wait;
  }
  t.ok(bytes <= 11 * 1024 * 1024 && bytes >= 9 * 1024 * 1024, `~1 MiB/s (${(bytes / 1048576).toFixed(1)} MiB in 10 s)`);
  t.equal(big.reserve('s1', 512 * 1024, now), 0, 'shards are paced separately');
  const half = new ShardPacer(50);
  t.equal(half.reserve('s', 600 * 1024, 0), 0, 'a record bigger than the bucket passes when it is full');
  t.ok(half.reserve('s', 1, 0) > 0, 'and then the debt is waited off');
  t.equal(new ShardPacer(0).reserve('s', 1e9, 0), 0, '0 disables');
});

t.test('full-jitter backoff stays within [0, min(cap, base*2^n))', async (t) => {
  const top = [1, 2, 3, 4, 5, 6, 30].map((n) => fullJitterDelay({ baseMs: 100, capMs: 2000 }, n, () => 0.999999));
  t.same(top, [99, 199, 399, 799, 1599, 1999, 1999]);
  t.equal(fullJitterDelay({ baseMs: 100, capMs: 2000 }, 5, () => 0), 0);
});

t.test('deque keeps FIFO order with retries at the front', async (t) => {
  const d = new Deque<number>();
  for (let i = 0; i < 3000; i++) d.push(i);
  let inOrder = true;
  for (let i = 0; i < 2000; i++) if (d.shift() !== i) inOrder = false;
  t.ok(inOrder, 'FIFO');
  d.unshift(1999);
  d.unshift(1998);
  t.same([...d].slice(0, 3), [1998, 1999, 2000]);
  t.equal(d.length, 1002);
});
