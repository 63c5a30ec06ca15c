import t from 'tap';
import { ShardPacer } from '../../src/pacing/shard-pacer.js';
import { fullJitterDelay } from '../../src/pacing/backoff.js';
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

t.test('pacer: AIMD — throttling cuts a shard, busy success probes back up, floor and ceiling hold', async (t) => {
  const p = new ShardPacer(100);
  const ceil = 1024 * 1024;
  t.equal(p.bytesRate('s0'), ceil, 'an unseen shard starts at the ceiling');
  p.reserve('s0', 1000, 0);
  p.throttled('s0', 1000);
  t.equal(p.bytesRate('s0'), ceil * 0.95, 'an isolated throttle (alone at the ceiling: timing jitter at the limit) cuts a little');
  p.throttled('s0', 1050);
  t.equal(p.bytesRate('s0'), ceil * 0.95, 'one cut per cooldown: the entries of one answer are one signal');
  p.throttled('s0', 1200);
  t.equal(p.bytesRate('s0'), ceil * 0.95 * (1 - 0.5 * 0.95), 'persistent throttling cuts in proportion to the share held (×0.525 at 95%)');
  p.throttled('s0', 1400);
  const f = 0.95 * (1 - 0.5 * 0.95);
  t.equal(p.bytesRate('s0'), ceil * f * (1 - 0.5 * f), 'lower down, a lighter cut: those above their share lose more per throttle');
  for (let now = 2000; now < 60_000; now += 200) p.throttled('s0', now);
  t.equal(p.bytesRate('s0'), ceil * 0.02, 'never below the floor');
  t.equal(p.bytesRate('s1'), ceil, 'other shards untouched');
  // Success while the shard is not waiting for allowance: no information, no raise.
  p.accepted('s0', 61_000);
  t.equal(p.bytesRate('s0'), ceil * 0.02);
  // Busy: the pacer made it wait lately; then the rate rises by 1% of the ceiling per second, faster
  // the longer no cut comes (up to 8×): gentle near the rate last cut, quick once the others have gone.
  let now = 61_000;
  for (; p.bytesRate('s0') < ceil && now < 200_000; now += 100) {
    p.reserve('s0', 200 * 1024, now);
    p.accepted('s0', now);
  }
  t.ok(now - 61_000 >= 19_000 && now - 61_000 <= 21_000, `floor to ceiling in ~20 s (${now - 61_000} ms)`);
  t.equal(p.bytesRate('s0'), ceil, 'never above the ceiling');
  t.equal(new ShardPacer(50).bytesRate('x'), ceil / 2, 'KINFLUX_SHARD_RATE_LIMIT_PERCENT is the ceiling');
});

t.test('pacer: a tenth of a second of burst; the gentle cut only while alone at the ceiling', async (t) => {
  const p = new ShardPacer(100);
  const ceil = 1024 * 1024;
  t.equal(p.available('s', 0), ceil * 0.1, '0.1 s banked: replicas back from a lull do not empty Kinesis\' shared bucket together');
  p.throttled('s', 100);
  t.equal(p.bytesRate('s', 100), ceil * 0.95, 'alone at the ceiling, first throttle: timing jitter, a gentle cut');
  p.throttled('s', 6000);
  t.equal(p.bytesRate('s', 6000), ceil * 0.95 * (1 - 0.5 * 0.95), 'below the ceiling a throttle is news of another writer, even 6 s later');
  let now = 6000;
  for (; now < 60_000; now += 100) p.demanded('s', now);
  t.equal(p.bytesRate('s', now), ceil, 'the other writer has gone: back at the ceiling');
  p.throttled('s', now);
  t.equal(p.bytesRate('s', now), ceil * 0.95, 'and alone again: gentle');
});

t.test('pacer: a write refused for the shard\'s rate is demand, and the rate probes up without any record sent', async (t) => {
  // A replica cut low refuses writes before they queue: it never waits for allowance and sends nothing.
  // Were waiting the only sign of demand, it would stay low for ever while the others hold the shard.
  const p = new ShardPacer(100);
  const ceil = 1024 * 1024;
  for (let now = 0; now < 10_000; now += 200) p.throttled('s', now);
  const low = p.bytesRate('s', 10_000);
  t.ok(low < 0.05 * ceil, `cut to ${(low / 1024).toFixed(0)} KiB/s`);
  t.equal(p.bytesRate('s', 15_000), low, 'no demand, no raise');
  for (let now = 15_000; now <= 25_000; now += 500) p.demanded('s', now);
  const after = p.bytesRate('s', 25_000);
  t.ok(after > low + 0.15 * ceil, `10 s of refused writes raised it to ${(after / 1024).toFixed(0)} KiB/s`);
  t.equal(p.splitAbove('s'), after * 0.25, 'a throttled record above a quarter second of the rate is split');
  t.equal(new ShardPacer(0).splitAbove('s'), Infinity, 'never without pacing');
});

t.test('pacer: a throttled record gets its allowance back, so its retry waits for the cut rate, not for its own debt', async (t) => {
  // A third of a shard, a 110 KB record (a write's share, more than the 35 KB bucket): it leaves with a full
  // bucket and the debt is waited off. Kinesis throttles it: nothing of it was stored, so the debt goes.
  const p = new ShardPacer(100);
  const ceil = 1024 * 1024;
  for (let now = 0; now <= 600; now += 200) p.throttled('s', now); // cut to about a third (0.30), bucket full by 5 s
  const rate = p.bytesRate('s', 5000);
  t.ok(rate > 0.25 * ceil && rate < 0.45 * ceil, `about a third of the shard: ${(rate / ceil).toFixed(2)}`);
  const now = 5000;
  t.equal(p.reserve('s', 110_000, now), 0, 'a full bucket lets the record go');
  const debt = p.waitFor('s', 110_000, now);
  t.ok(debt >= 200, `without an answer its debt holds the next one back ${debt} ms`);
  p.throttled('s', now + 25, 110_000);
  const wait = p.waitFor('s', 110_000, now + 25);
  t.ok(wait <= 100, `throttled: the retry waits ${wait} ms (the cut's smaller bucket refilling at most), not the debt`);
  const q = new ShardPacer(100);
  q.reserve('s', 1000, 0);
  q.throttled('s', 10, 1000);
  t.ok(q.available('s', 10) <= q.bytesRate('s') * 0.1, 'never more than a full bucket');
});

t.test('pacer: two senders sharing a shard converge to fair shares (simulated)', async (t) => {
  // A shard of 1 MiB/s with one second of burst, two pacers sending 64 KiB records as fast as allowed.
  const a = new ShardPacer(100);
  const b = new ShardPacer(100);
  const size = 64 * 1024;
  let tokens = 1024 * 1024;
  let last = 0;
  const sent = [0, 0];
  let throttled = 0;
  let attempts = 0;
  const next = [0, 0];
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let now = 0; now < 120_000; now++) {
    tokens = Math.min(1024 * 1024, tokens + ((now - last) / 1000) * 1024 * 1024);
    last = now;
    [a, b].forEach((p, i) => {
      if (now < next[i] || (i === 1 && now < 5000)) return; // b starts 5 s late, with a at the ceiling
      const wait = p.reserve('s', size, now);
      if (wait > 0) return void (next[i] = now + wait + Math.floor(random() * 5));
      attempts++;
      next[i] = now + 15 + Math.floor(random() * 10); // one call's latency
      if (tokens >= size) {
        tokens -= size;
        if (now > 60_000) sent[i] += size;
        p.accepted('s', now);
      } else {
        throttled++;
        p.throttled('s', now, size);
      }
    });
  }
  const jain = (sent[0] + sent[1]) ** 2 / (2 * (sent[0] ** 2 + sent[1] ** 2));
  const goodput = (sent[0] + sent[1]) / 60 / (1024 * 1024);
  t.ok(jain > 0.95, `fair: Jain ${jain.toFixed(3)}`);
  t.ok(goodput > 0.85, `the shard stays busy: ${(goodput * 100).toFixed(0)}% of its limit`);
  t.ok(throttled / attempts < 0.1, `few attempts throttled: ${((throttled / attempts) * 100).toFixed(1)}%`);
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
