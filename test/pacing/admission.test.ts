// Admission (src/pacing/admission.ts): the latency horizon, the room a large write gets, and its deadline
// growing with its size up to the clients' timeout.
import t from 'tap';
import { admissionPolicy, admissionWait, deadlineMs, recordWeight, weighRecords } from '../../src/pacing/admission.js';
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

t.test('one point per record: a point weighs its share of the record limit, so a write of many small points is judged by records as well as bytes', async (t) => {
  const policy = admissionPolicy(4000, 5000);
  const now = 1_000_000;
  t.equal(recordWeight(60), 1024 * 1024 / 1000, 'a 60-byte point weighs a 1,000th of 1 MiB (1,000 records/s per shard)');
  t.equal(recordWeight(5000), 5000, 'a larger point weighs its bytes');
  // 2,000 points of 60 bytes over 8 series, keys on two shards: 1,000 records a shard, 1 s of its record limit.
  const groups = Array.from({ length: 2000 }, (_, i) => (i % 8 < 4 ? 'a' : 'b'));
  const starts = groups.map((_, i) => i * 60);
  const { byGroup, bytes } = weighRecords(groups, starts, starts.map((s) => s + 60));
  t.ok(Math.abs((byGroup.get('a') ?? 0) - 1000 * recordWeight(60)) < 1e-6 && Math.abs(bytes - 2000 * recordWeight(60)) < 1e-6, 'weighed per shard');
  const verdict = admissionWait([...byGroup].map(([group, w]) => ({ group, bytes: w, backlog: 0 })), new ShardPacer(100), now, policy);
  t.equal(verdict.refuse, false, 'taken on idle shards (however few its series: a call carries many records of a key)');
  t.ok(verdict.etaS > 0.9 && verdict.etaS < 1.1, `drains in ~1 s at the record limit (${verdict.etaS.toFixed(2)} s), not in its 120 KB`);
  t.equal(admissionWait([{ group: 'a', bytes: byGroup.get('a') ?? 0, backlog: 0.5 * 1024 * 1024 }], new ShardPacer(100), now, policy).refuse, true, 'not behind 0.5 s of records');
});

t.test('OfferedRate: what writes offered a shard lately, averaged over about 2 s (the longer horizon holds below its rate)', async (t) => {
  const { OfferedRate } = await import('../../src/pacing/admission.js');
  const o = new OfferedRate();
  t.equal(o.get(1000), 0, 'nothing offered yet');
  for (let ms = 0; ms <= 10_000; ms += 100) o.add(50_000, 1000 + ms); // 500 kB/s for 10 s
  t.ok(Math.abs(o.get(11_000) - 500_000) < 30_000, `steady 500 kB/s reads as such: ${Math.round(o.get(11_000))}`);
  t.ok(o.get(19_000) < 25_000, 'and fades within a few windows once writes stop');
});
