// Admission (src/pacing/admission.ts): the latency horizon, the room a large write gets, and its deadline
// growing with its size up to the clients' timeout.
import t from 'tap';
import { admissionPolicy, admissionWait, deadlineMs, keyWait } from '../../src/pacing/admission.js';
import { ShardPacer } from '../../src/pacing/shard-pacer.js';

const MiB = 1024 * 1024;

t.test('a write is admitted while its drain estimate is within the horizon; past it, 503 with the wait', async (t) => {
  const policy = admissionPolicy(4000, 5000);
  const p = new ShardPacer(100);
  const now = 1000;
  const banked = p.available('s', now);
  t.equal(admissionWait([{ group: 's', bytes: 50_000, backlog: 0 }], p, now, policy).refuse, false, 'empty shard');
  const near = admissionWait([{ group: 's', bytes: 50_000, backlog: banked + 0.15 * MiB }], p, now, policy);
  t.equal(near.refuse, false, '0.15 s ahead + 0.05 s own: within 0.25 s');
  t.ok(Math.abs(near.etaS - (0.15 * MiB + 50_000) / MiB) < 1e-9, `estimate ${near.etaS.toFixed(3)} s`);
  const far = admissionWait([{ group: 's', bytes: 50_000, backlog: banked + 0.6 * MiB }], p, now, policy);
  t.equal(far.refuse, true, '0.6 s ahead: refused');
  t.ok(far.seconds > 0.35 && far.seconds < 0.45, `Retry-After from the backlog: ${far.seconds.toFixed(2)} s`);
  t.ok(p.bytesRate('s', now + 600) === MiB, 'at the ceiling, a refusal has nothing to raise');
});

t.test('a large write waits behind at most 0.05 s of backlog, and its deadline grows to fit it, up to 0.5 s before the client gives up', async (t) => {
  const policy = admissionPolicy(4000, 5000);
  t.equal(policy.maxDeadlineMs, 4500);
  const p = new ShardPacer(100);
  const now = 1000;
  const banked = p.available('s', now);
  // 2.9 MiB for one shard: 2.9 s at 1 MiB/s, more than ⅔ of the 4 s delivery deadline.
  const big = admissionWait([{ group: 's', bytes: 2.9 * MiB, backlog: banked + 0.04 * MiB }], p, now, policy);
  t.equal(big.refuse, false, 'admitted behind 0.04 s of backlog');
  const d = deadlineMs(policy, big.etaS);
  t.ok(d > 4000 && d <= 4500, `its deadline grew to ${d} ms`);
  t.equal(deadlineMs(policy, 0.3), 4000, 'a small write keeps the delivery deadline');
  t.equal(deadlineMs(policy, 10), 4500, 'never past the clients\' timeout less 0.5 s');
  t.equal(admissionWait([{ group: 's', bytes: 2.9 * MiB, backlog: banked + 0.07 * MiB }], p, now, policy).refuse, true, 'not behind 0.07 s of backlog');
  t.equal(admissionWait([{ group: 's', bytes: 3.1 * MiB, backlog: 0 }], p, now, policy).refuse, true, 'past ⅔ of 4.5 s at the shard\'s rate: refused');
  const fixed = admissionPolicy(4000, 3000);
  t.equal(fixed.maxDeadlineMs, 4000, 'clients that wait less than the delivery deadline: no growth');
  t.equal(admissionWait([{ group: 's', bytes: 2.9 * MiB, backlog: 0 }], new ShardPacer(100), now, fixed).refuse, true);
});

t.test('one point per record: a key moves one record per round trip, so its count and backlog are weighed in round trips', async (t) => {
  const policy = admissionPolicy(4000, 5000);
  const rtt = 0.02;
  t.equal(keyWait([{ count: 10, ahead: 0 }, { count: 5, ahead: 2 }], rtt, policy).refuse, false, '0.2 s of one key: within the horizon');
  const most = keyWait([{ count: 10, ahead: 0 }, { count: 5, ahead: 2 }], rtt, policy);
  t.equal(most.most, 10);
  t.ok(Math.abs(most.etaS - 0.2) < 1e-9, `estimate ${most.etaS} s`);
  t.equal(keyWait([{ count: 100, ahead: 2 }], rtt, policy).refuse, false, 'a larger write behind 0.04 s of its key');
  t.equal(keyWait([{ count: 100, ahead: 10 }], rtt, policy).refuse, true, 'not behind 0.2 s of its key');
  const never = keyWait([{ count: 200, ahead: 0 }], rtt, policy);
  t.ok(never.refuse && never.seconds > 0.9, `4 s of one key: past ⅔ of 4.5 s (${never.seconds.toFixed(2)} s over)`);
});

t.test('OfferedRate: what writes offered a shard lately, averaged over about 2 s (the longer horizon holds below its rate)', async (t) => {
  const { OfferedRate } = await import('../../src/pacing/admission.js');
  const o = new OfferedRate();
  t.equal(o.get(1000), 0, 'nothing offered yet');
  for (let ms = 0; ms <= 10_000; ms += 100) o.add(50_000, 1000 + ms); // 500 kB/s for 10 s
  t.ok(Math.abs(o.get(11_000) - 500_000) < 30_000, `steady 500 kB/s reads as such: ${Math.round(o.get(11_000))}`);
  t.ok(o.get(19_000) < 25_000, 'and fades within a few windows once writes stop');
});
