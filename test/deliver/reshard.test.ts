// Resharding under load: UpdateShardCount 2→4 on kinesis-local while clients write to the real server.
// A consumer applies the KCL's rule (a de-aggregated sub-record whose hash key the shard does not own is
// dropped) and must still see every acknowledged point; records packed after the map refresh sit on the
// shards that own their points.
import t from 'tap';
import { DescribeStreamSummaryCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { hashKeyOf } from '../../src/encode/shard-map.js';
import { emulatorEnv, startKinflux, testClient, waitFor } from '../helpers/kinflux.js';
import { listShards, readStream } from '../helpers/kinesis-read.js';
import { send } from '../helpers/http.js';
import { deaggregate } from '../encode/kpl-deagg.js';

const k = await startKinesisLocal({ streams: { lines: 2, kpl: 2 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());

const WRITERS = 4;
const LINES_PER_BODY = 250;

/** Clients writing distinct points until `stop()`; returns the acknowledged ones (204) by seq. */
function writeLoad(url: string): { stop(): Promise<Map<number, string>>; seq(): number } {
  let running = true;
  let seq = 0;
  const acked = new Map<number, string>();
  const loops = Array.from({ length: WRITERS }, async (_, w) => {
    while (running) {
      const lines: Array<[number, string]> = [];
      for (let i = 0; i < LINES_PER_BODY; i++) {
        const n = seq++;
        lines.push([n, `reshard,host=h${n % 101},writer=w${w} seq=${n}i,v=${n / 7} ${1_700_000_000_000_000_000n + BigInt(n)}`]);
      }
      const res = await send(url, '/write?db=x', lines.map((l) => l[1]).join('\n'));
      if (res.status === 204) for (const [n, l] of lines) acked.set(n, l);
      else if (res.status !== 503) throw new Error(`unexpected ${res.status}: ${res.text}`);
      // Paced (about 10 writes/s per writer, tens of thousands of points): writes in flight across the reshard
      // are what is tested; flat out, the emulator stored and the test read back 200,000 points per mode.
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return {
    seq: () => seq,
    async stop() {
      running = false;
      await Promise.all(loops);
      return acked;
    },
  };
}

async function streamStatus(stream: string): Promise<string | undefined> {
  return (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus;
}

for (const aggregation of ['lines', 'kpl'] as const) {
  t.test(`${aggregation}: UpdateShardCount 2→4 while writing loses no acknowledged point`, async (t) => {
    const stream = aggregation;
    const kf = await startKinflux(emulatorEnv(k.endpoint, stream, { KINFLUX_AGGREGATION: aggregation, KINFLUX_HEALTH_INTERVAL_MS: '1000' }));
    t.teardown(() => kf.stop('SIGKILL'));
    const load = writeLoad(kf.url);
    await new Promise((r) => setTimeout(r, 1500));
    await client.send(new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
    await waitFor(async () => (await streamStatus(stream)) === 'ACTIVE');
    // Several health intervals (1 s): the map is refreshed by then, whether or not a mismatch triggered
    // it, with room for a loaded machine.
    await new Promise((r) => setTimeout(r, 4000));
    const settledSeq = load.seq();
    await new Promise((r) => setTimeout(r, 1500));
    const acked = await load.stop();
    t.equal(await kf.stop('SIGTERM'), 0);

    const shards = await listShards(client, stream);
    const open = shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
    t.equal(open.length, 4, 'the stream has 4 open shards');
    const range = new Map(shards.map((s) => [s.ShardId ?? '', [BigInt(s.HashKeyRange?.StartingHashKey ?? '0'), BigInt(s.HashKeyRange?.EndingHashKey ?? '0')]]));
    const owns = (shardId: string, key: string): boolean => {
      const [a, b] = range.get(shardId) ?? [1n, 0n];
      const h = hashKeyOf(key);
      return h >= a && h <= b;
    };

    const seen = new Set<string>();
    let dropped = 0;
    let offShard = 0;
    let offShardLate = 0;
    for (const r of await readStream(client, stream)) {
      const users = aggregation === 'kpl' ? deaggregate(r.partitionKey, r.data) : [{ partitionKey: r.partitionKey, data: r.data }];
      const aggregated = aggregation === 'kpl' && users.length > 1;
      for (const u of users) {
        for (const line of u.data.toString('utf8').split('\n')) {
          if (!line) continue;
          const series = line.slice(0, line.indexOf(' '));
          const placed = owns(r.shardId, series);
          // The KCL's rule: de-aggregated sub-records outside the shard's range are dropped.
          if (aggregated && !owns(r.shardId, u.partitionKey)) {
            dropped++;
            continue;
          }
          if (!placed) {
            offShard++;
            if (Number(/seq=(\d+)i/.exec(line)?.[1]) >= settledSeq) offShardLate++;
          }
          seen.add(line);
        }
      }
    }
    let lost = 0;
    for (const l of acked.values()) if (!seen.has(l)) lost++;
    t.ok(acked.size > 5000, `load: ${acked.size} points acknowledged`);
    t.equal(lost, 0, `every acknowledged point read back (${acked.size} acked, ${seen.size} read, ${dropped} sub-records dropped by the KCL rule)`);
    t.equal(offShardLate, 0, `points written after the map refresh sit on their own shards (${offShard} points in records placed by the old map)`);
    t.comment(`${aggregation}: acked=${acked.size} read=${seen.size} kclDropped=${dropped} offShardBeforeRefresh=${offShard}`);
  });
}
