// aggregation=none with few series (issue 22, finding 6). 2 writers × 2,000-line writes over 8 series: a shard's
// call carried one record per partition key, so a shard moved about as many records per round trip as it had
// series; every write was answered 503 at its deadline and its points were stored anyway. Now a call carries as
// many of a shard's records as the limits allow (the same key more than once, as Kinesis allows), and admission
// weighs records as well as bytes: every write is acknowledged (a write refused while the other's backlog drains
// is refused at once, nothing sent, and acknowledged when resent after its Retry-After, as Telegraf resends).
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { DeliveryError } from '../../src/deliver/engine.js';
import { recordLines } from '../helpers/kinesis-read.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { makeEngine } from './engine-setup.js';

// The stand-in: Kinesis' limits per shard (1,000 records/s), and a little latency per call as real Kinesis has
// (tens of ms): round trips are what one record per key per call wasted. (kinesis-local stores ~400 records/s.)
const k = await startKinesisStandin({ streams: { few: 2 }, latencyMs: 20 });
t.teardown(() => k.close());

t.test('8 series, 2 writers × 2,000-line writes, one point per record: every write acknowledged, none at the deadline, none 413', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['few'], { aggregation: 'none', deliveryTimeoutMs: 4000, shardRateLimitPercent: 100 });
  await engine.start();
  let seq = 0;
  const outcomes: string[] = [];
  const acknowledged = new Set<number>();
  await Promise.all(
    Array.from({ length: 2 }, async (_, w) => {
      for (let n = 0; n < 5; n++) {
        const first = seq;
        const lines: string[] = [];
        for (let i = 0; i < 2000; i++, seq++) lines.push(`few,host=h${i % 8} w=${w}i,seq=${seq}i ${1_700_000_000_000_000_000 + seq}`);
        // Resent as long as it is refused at once with nothing sent (Telegraf keeps a batch answered 503).
        for (;;) {
          const r = await engine.submit('few', batchFromLines(lines)).then(
            () => 'ok',
            (e: unknown) => e,
          );
          if (r === 'ok') {
            for (let s = first; s < first + 2000; s++) acknowledged.add(s);
            outcomes.push('ok');
            break;
          }
          const refusedAtOnce = r instanceof DeliveryError && r.reason === 'overloaded' && r.nothingSent;
          outcomes.push(refusedAtOnce ? '503 at once' : r instanceof Error ? `${r.name} ${(r as { reason?: string }).reason ?? ''}` : String(r));
          if (!refusedAtOnce) break;
          await new Promise((res) => setTimeout(res, r.retryAfterSeconds * 1000));
        }
      }
    }),
  );
  await engine.shutdown(10_000);
  const st = k.stats('few');
  const count = (x: string): number => outcomes.filter((o) => o === x).length;
  t.comment(`outcomes: ${JSON.stringify(Object.fromEntries([...new Set(outcomes)].map((o) => [o, count(o)])))}; records stored ${st.acceptedRecords}, throttled ${st.throttledEntries}; PutRecords calls ${st.putRecordsCalls}`);
  t.equal(count('ok'), 10, 'all 10 writes acknowledged (204)');
  t.same(
    outcomes.filter((o) => o !== 'ok' && o !== '503 at once'),
    [],
    'no write taken only to miss its deadline, none 413',
  );
  const stored = new Map<number, number>();
  for (const line of recordLines(k.records('few'))) {
    const s = Number(/seq=(\d+)i/.exec(line)?.[1]);
    stored.set(s, (stored.get(s) ?? 0) + 1);
  }
  t.equal([...acknowledged].filter((s) => !stored.has(s)).length, 0, 'no acknowledged point missing');
  t.equal([...stored.values()].filter((n) => n > 1).length, 0, 'none stored twice');
  t.equal(stored.size, 20_000, 'nothing stored but the acknowledged writes');
  t.ok(st.entries / st.putRecordsCalls > 16, `calls carry many records per shard (${(st.entries / st.putRecordsCalls).toFixed(1)} per call)`);
});
