// aggregation=none with few series (issue 22, finding 6). 2 writers × 2,000-line writes over 8 series: a shard's
// call used to carry one record per partition key, so a shard moved about 8 records per round trip, every
// write was answered 503 at its deadline and its points were stored anyway. Now a call carries as many of a
// shard's records as the limits allow (the same key more than once, as Kinesis allows), and admission weighs
// records as well as bytes: the writes it takes are acknowledged, the others refused before anything is sent.
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { makeEngine } from './engine-setup.js';

// The stand-in: Kinesis' limits per shard (1,000 records/s), and a little latency per call as real Kinesis has
// (tens of ms): round trips are what one record per key per call wastes. (kinesis-local stores ~400 records/s.)
const k = await startKinesisStandin({ streams: { few: 2 }, latencyMs: 20 });
t.teardown(() => k.close());

t.test('8 series, 2,000-line writes, one point per record: writes are acknowledged, none at the deadline', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['few'], { aggregation: 'none', deliveryTimeoutMs: 4000, shardRateLimitPercent: 100 });
  await engine.start();
  const outcomes: string[] = [];
  let seq = 0;
  await Promise.all(
    Array.from({ length: 2 }, async (_, w) => {
      for (let n = 0; n < 5; n++) {
        const lines: string[] = [];
        for (let i = 0; i < 2000; i++, seq++) lines.push(`few,host=h${i % 8} w=${w}i,seq=${seq}i ${1_700_000_000_000_000_000 + seq}`);
        const r = await engine.submit('few', batchFromLines(lines)).then(
          () => 'ok',
          (e: { reason?: string }) => e.reason ?? 'error',
        );
        outcomes.push(r);
        if (r !== 'ok') await new Promise((res) => setTimeout(res, 1000));
      }
    }),
  );
  await engine.shutdown(10_000);
  const st = k.stats('few');
  const count = (x: string): number => outcomes.filter((o) => o === x).length;
  t.comment(`outcomes: ${JSON.stringify(Object.fromEntries([...new Set(outcomes)].map((o) => [o, count(o)])))}; records stored ${st.acceptedRecords}, throttled ${st.throttledEntries}; PutRecords calls ${st.putRecordsCalls}`);
  t.ok(count('ok') >= 2, 'writes are acknowledged (at 1,000 records/s a shard takes one such write a second or so: the others are refused at once)');
  t.equal(count('deadline'), 0, 'no write taken only to miss its deadline');
  t.ok(st.entries / st.putRecordsCalls > 16, `calls carry many records per shard (${(st.entries / st.putRecordsCalls).toFixed(1)} per call)`);
});
