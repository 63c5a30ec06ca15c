// npm run bench:faults [-- --seconds 6]
// The ledger of issue 22: writers send points that each carry a unique (writer, seq), through faults, and the
// whole stream is then read back (KPL de-aggregated under the KCL's rule: a sub-record outside its shard's hash
// range is dropped). Per scenario: acknowledged points, missing (must be 0), acknowledged points stored twice
// (0 outside resets, where kinflux counts its re-sends in kinflux_kinesis_unknown_outcomes_total), and points
// stored after a later point of their writer on the same shard (reordered; first copies only).
// Scenarios: PutRecords answers cut off after Kinesis stored them (10% and 25% of calls); KPL with a shard split
// while DescribeStreamSummary or ListShards answers 500; gzip with 15,000-line single-series writes on a
// stand-in that throttles.
import { SplitShardCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { startKinesisLocal } from '../src/emulator/kinesis-local.js';
import { hashKeyOf } from '../src/encode/shard-map.js';
import { decompressPayload } from '../src/encode/compress.js';
import { startFaultProxy } from '../test/kit/fault-proxy.js';
import { startKinesisStandin } from '../test/kit/kinesis-standin.js';
import { listShards, localClient, readStream } from '../test/helpers/kinesis-read.js';
import { deaggregate } from '../test/encode/kpl-deagg.js';
import { batchFromLines } from '../test/encode/batch-from-lines.js';
import { counterValue, makeEngine } from '../test/deliver/engine-setup.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', 6));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Writers sending `lines`-line writes over `series` series until stop(); the acknowledged (writer, seq) pairs. */
function writers(engine, stream, { count, lines, series }) {
  let running = true;
  const acked = new Set();
  let done = 0;
  let refused = 0;
  const loops = Array.from({ length: count }, async (_, w) => {
    let seq = 0;
    while (running) {
      const batch = [];
      const ids = [];
      for (let i = 0; i < lines; i++, seq++) {
        batch.push(`ledger,host=h${seq % series},w=w${w} seq=${seq}i,v=${(seq * 7919) % 100003} ${1_700_000_000_000_000_000 + seq}`);
        ids.push(`w${w}:${seq}`);
      }
      const ok = await engine.submit(stream, batchFromLines(batch)).then(() => true, () => false);
      done++;
      if (ok) for (const id of ids) acked.add(id);
      else {
        refused++;
        await sleep(200);
      }
    }
  });
  return {
    writes: () => done,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acked, writes: done, refused };
    },
  };
}

/** Tallies what the stream holds: copies per id, and points stored after a later one of their writer on their shard. */
function ledger(records, acked, { kpl = false, compression = 'none', ranges }) {
  const copies = new Map();
  const last = new Map(); // shard|writer -> highest seq seen
  let reordered = 0;
  for (const r of records) {
    let users = [{ partitionKey: r.partitionKey, data: r.data }];
    if (kpl) users = deaggregate(r.partitionKey, r.data).filter((u) => {
      const [a, b] = ranges.get(r.shardId) ?? [1n, 0n];
      const h = hashKeyOf(u.partitionKey);
      return h >= a && h <= b; // the KCL's rule
    });
    for (const u of users) {
      const text = decompressPayload(compression, u.data).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const w = /,w=(w\d+) /.exec(line)?.[1];
        const seq = Number(/ seq=(\d+)i/.exec(line)?.[1]);
        const id = `${w}:${seq}`;
        const n = (copies.get(id) ?? 0) + 1;
        copies.set(id, n);
        if (n > 1) continue;
        const k = `${r.shardId}|${w}`;
        if (seq < (last.get(k) ?? -1)) reordered++;
        else last.set(k, seq);
      }
    }
  }
  let missing = 0;
  let twice = 0;
  for (const id of acked) {
    const n = copies.get(id) ?? 0;
    if (n === 0) missing++;
    if (n > 1) twice++;
  }
  return { acked: acked.size, missing, twice, reordered };
}

const rows = [];
function row(name, r, extra = '') {
  rows.push({ name, ...r, extra });
  console.log(`  ${name}: ${JSON.stringify(r)} ${extra}`);
}

// 1. Resets after Kinesis stored the call.
{
  const k = await startKinesisLocal({ streams: { r10: 2, r25: 2 } });
  for (const [stream, share] of [['r10', 0.1], ['r25', 0.25]]) {
    const proxy = await startFaultProxy(k.endpoint, { resetAfterForwardShare: share });
    const { engine, metrics } = makeEngine(proxy.endpoint, [stream], { deliveryTimeoutMs: 4000, shardRateLimitPercent: 100 });
    await engine.start();
    const load = writers(engine, stream, { count: 3, lines: 500, series: 40 });
    await sleep(SECONDS * 1000);
    const { acked, writes, refused } = await load.stop();
    proxy.set({ resetAfterForwardShare: 0 });
    await engine.shutdown(10_000);
    const reader = localClient(k.endpoint);
    const r = ledger(await readStream(reader, stream), acked, {});
    reader.destroy();
    const unknown = await counterValue(metrics, 'kinflux_kinesis_unknown_outcomes_total');
    row(`resets after storing, ${share * 100}% of calls`, r, `(writes ${writes}, 503 ${refused}; calls cut ${proxy.stats.resetsAfterForward}, unknown outcomes counted ${unknown})`);
    await proxy.close();
  }
  await k.stop();
}

// 2. KPL, a shard split while the control plane fails.
{
  const k = await startKinesisLocal({ streams: { sd: 2, sl: 2 } });
  const admin = localClient(k.endpoint);
  for (const [stream, action] of [['sd', 'DescribeStreamSummary'], ['sl', 'ListShards']]) {
    const proxy = await startFaultProxy(k.endpoint);
    const { engine } = makeEngine(proxy.endpoint, [stream], { aggregation: 'kpl', deliveryTimeoutMs: 4000, healthIntervalMs: 1000, shardRateLimitPercent: 0 });
    await engine.start();
    const load = writers(engine, stream, { count: 3, lines: 200, series: 53 });
    await sleep(1500);
    proxy.set({ failActions: [action] });
    await admin.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 126n).toString() }));
    while ((await admin.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await sleep(200);
    await sleep(SECONDS * 1000);
    proxy.set({ failActions: [] });
    await sleep(SECONDS * 1000);
    const { acked, writes, refused } = await load.stop();
    await engine.shutdown(10_000);
    const shards = await listShards(admin, stream);
    const ranges = new Map(shards.map((s) => [s.ShardId ?? '', [BigInt(s.HashKeyRange?.StartingHashKey ?? '0'), BigInt(s.HashKeyRange?.EndingHashKey ?? '0')]]));
    row(`KPL, split under failing ${action}`, ledger(await readStream(admin, stream), acked, { kpl: true, ranges }), `(writes ${writes}, 503 ${refused})`);
    await proxy.close();
  }
  admin.destroy();
  await k.stop();
}

// 3. gzip, 15,000-line single-series writes, a stand-in whose shards take a quarter of Kinesis' 1 MiB/s (kinflux unpaced: it is throttled).
{
  const s = await startKinesisStandin({ streams: { gz: 2 }, bytesPerSecond: 256 * 1024, latencyMs: 5 });
  const { engine } = makeEngine(s.endpoint, ['gz'], { compression: 'gzip', deliveryTimeoutMs: 15_000, shardRateLimitPercent: 0 });
  await engine.start();
  const load = writers(engine, 'gz', { count: 4, lines: 15_000, series: 1 });
  await sleep(2 * SECONDS * 1000);
  const { acked, writes, refused } = await load.stop();
  await engine.shutdown(20_000);
  row('gzip, 15,000-line single-series writes, throttled', ledger(s.records('gz'), acked, { compression: 'gzip' }), `(writes ${writes}, 503 ${refused}, throttled entries ${s.stats('gz').throttledEntries})`);
  await s.close();
}

console.log('\n| scenario | acknowledged points | missing | acknowledged stored twice | reordered within a shard |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.acked} | ${r.missing} | ${r.twice} | ${r.reordered} |`);
process.exit(rows.some((r) => r.missing > 0) ? 1 : 0);
