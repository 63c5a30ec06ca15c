// aggregation=none with few series (issue 22, finding 6). 2 writers × 2,000-line writes over 8 series: every
// write was answered 503 at its deadline and its points were stored anyway. A shard's call carries one record
// per partition key, so that a record Kinesis fails is never overtaken by a later one of its series (Kinesis
// may fail the first of two and store the second): a key moves one record per round trip. Admission counts
// that: a write with more points of one key than its deadline allows gets 413 naming the lines that fit, a
// write behind too much of its keys' backlog 503 at once, and the writes it takes are acknowledged in order.
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { WriteTooLargeError } from '../../src/deliver/engine.js';
import { recordLines } from '../helpers/kinesis-read.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { makeEngine } from './engine-setup.js';

// The stand-in: Kinesis' limits per shard (1,000 records/s), and a little latency per call as real Kinesis has
// (tens of ms): round trips are what bound a key's records. (kinesis-local stores ~400 records/s.)
const k = await startKinesisStandin({ streams: { few: 2 }, latencyMs: 20 });
t.teardown(() => k.close());

t.test('8 series, one point per record: a write that can never fit is 413 naming what fits; writes that fit are acknowledged in order, none at the deadline', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['few'], { aggregation: 'none', deliveryTimeoutMs: 4000, shardRateLimitPercent: 100 });
  await engine.start();
  let seq = 0;
  const write = (n: number, w: number): string[] => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++, seq++) lines.push(`few,host=h${i % 8} w=${w}i,seq=${seq}i ${1_700_000_000_000_000_000 + seq}`);
    return lines;
  };
  // 250 points per key: 250 round trips of ≥ 20 ms, past ⅔ of the 4.5 s a write may wait.
  const big = await engine.submit('few', batchFromLines(write(2000, 9))).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(big instanceof WriteTooLargeError, 'refused at once as too large, nothing sent');
  if (big instanceof WriteTooLargeError) {
    t.match(big.message, /one partition key.*send at most \d+ lines per write, or use KINFLUX_AGGREGATION=lines/);
    t.ok(big.maxLines >= 200 && big.maxLines < 2000, `fits: ${big.maxLines} lines`);
  }
  t.equal(k.stats('few').acceptedRecords, 0, 'nothing of it was stored');
  const outcomes: string[] = [];
  await Promise.all(
    Array.from({ length: 2 }, async (_, w) => {
      for (let n = 0; n < 4; n++) {
        const r = await engine.submit('few', batchFromLines(write(200, w))).then(
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
  t.ok(count('ok') >= 2, 'writes are acknowledged');
  t.equal(count('deadline'), 0, 'no write taken only to miss its deadline');
  const last = new Map<string, number>();
  let inversions = 0;
  for (const line of recordLines(k.records('few'))) {
    const series = line.slice(0, line.indexOf(' '));
    const s = Number(/seq=(\d+)i/.exec(line)?.[1]);
    if ((last.get(series) ?? -1) > s) inversions++;
    last.set(series, s);
  }
  t.equal(inversions, 0, 'each series stored in write order');
});
