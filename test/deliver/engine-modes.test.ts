// The other modes of the contract, end to end against kinesis-local: kpl, json, gzip/zlib, none,
// other partition keys, ARNs, the ListShards-denied fallback, oversized points, pacing.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { decompressPayload } from '../../src/encode/compress.js';
import { hashKeyOf, shardMapFromListShards } from '../../src/encode/shard-map.js';
import { startFaultProxy } from '../kit/fault-proxy.js';
import { listShards, readStream, recordLines } from '../helpers/kinesis-read.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { deaggregate } from '../encode/kpl-deagg.js';
import { counterValue, localClient, makeEngine, telegrafLines } from './engine-setup.js';

const k = await startKinesisLocal({ streams: { kpl: 4, json: 2, zlib: 1, none: 2, arn: 1, denied: 2, big: 1, paced: 1 } });
t.teardown(() => k.stop());
const reader = localClient(k.endpoint);
t.teardown(() => reader.destroy());
const lines = telegrafLines(3000, 5);
const batches = [0, 1, 2].map((i) => batchFromLines(lines.slice(i * 1000, i * 1000 + 1000)));
const seriesOf = (l: string): string => l.slice(0, l.search(/(?<!\\) /));

t.test('kpl: per-shard aggregates that aws-kinesis-agg de-aggregates into every point', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['kpl'], { aggregation: 'kpl' });
  await engine.start();
  await Promise.all(batches.map((b) => engine.submit('kpl', b)));
  await engine.shutdown(2000);
  const map = shardMapFromListShards(await listShards(reader, 'kpl'));
  const users: string[] = [];
  let misplaced = 0;
  for (const r of await readStream(reader, 'kpl')) {
    for (const u of deaggregate(r.partitionKey, r.data)) {
      users.push(u.data.toString().replace(/\n$/, ''));
      if (u.partitionKey !== seriesOf(u.data.toString())) t.fail('user record key is its series');
      if (map.shardIdOf(hashKeyOf(u.partitionKey)) !== r.shardId) misplaced++;
    }
  }
  t.equal(users.length, lines.length);
  t.same(new Set(users), new Set(lines));
  t.equal(misplaced, 0, 'every user record sits in the shard its own key hashes to');
});

t.test('json + gzip: Telegraf JSON, one object per line, compressed records', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['json'], { recordFormat: 'json', compression: 'gzip', jsonTimestampUnits: 's' });
  await engine.start();
  await Promise.all(batches.map((b) => engine.submit('json', b)));
  await engine.shutdown(2000);
  const objects = (await readStream(reader, 'json')).flatMap((r) =>
    decompressPayload('gzip', r.data).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; tags: Record<string, string>; fields: Record<string, unknown>; timestamp: number }),
  );
  t.equal(objects.length, lines.length);
  t.same(Object.keys(objects[0]), ['fields', 'name', 'tags', 'timestamp']);
  const cpu = objects.find((o) => o.name === 'cpu');
  t.equal(cpu?.timestamp, 1735689600, 'timestamp in seconds');
  t.match(objects.find((o) => o.name === 'mem')?.fields, { total: Number }, 'integers as JSON numbers');
});

t.test('zlib + lines', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['zlib'], { compression: 'zlib' });
  await engine.start();
  await Promise.all(batches.map((b) => engine.submit('zlib', b)));
  await engine.shutdown(2000);
  const records = await readStream(reader, 'zlib');
  const got = records.flatMap((r) => decompressPayload('zlib', r.data).toString().split('\n').filter(Boolean));
  t.same(new Set(got), new Set(lines));
  t.equal(got.length, lines.length);
});

t.test('none + tag:host partition keys: one point per record, keyed by host', async (t) => {
  const { engine, metrics } = makeEngine(k.endpoint, ['none'], { aggregation: 'none', partitionKey: { method: 'tag', tag: 'host', default: 'x' } });
  await engine.start();
  await engine.submit('none', batches[0]);
  await engine.shutdown(2000);
  const records = await readStream(reader, 'none');
  t.equal(records.length, 1000);
  t.ok(records.every((r) => r.data.toString().includes(`host=${r.partitionKey}`)));
  t.equal(await counterValue(metrics, 'kinflux_kinesis_records_sent_total'), 1000);
});

t.test('a stream given as an ARN is written with StreamARN', async (t) => {
  const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/arn';
  const { engine } = makeEngine(k.endpoint, [arn]);
  await engine.start();
  await engine.submit(arn, batches[1]);
  await engine.shutdown(2000);
  t.equal(recordLines(await readStream(reader, 'arn')).length, 1000);
});

t.test('ListShards denied: records packed by hash range still fill up, each key keeps one shard, nothing lost', async (t) => {
  const proxy = await startFaultProxy(k.endpoint, { denyActions: ['ListShards'] });
  const { engine } = makeEngine(proxy.endpoint, ['denied'], { partitionKey: { method: 'measurement' } });
  await engine.start();
  t.equal(engine.health()[0].status, 'pass');
  await Promise.all(batches.map((b) => engine.submit('denied', b)));
  await engine.shutdown(2000);
  await proxy.close();
  const records = await readStream(reader, 'denied');
  t.equal(recordLines(records).length, lines.length);
  t.ok(records.length <= 12, `${records.length} records for ${lines.length} points (by partition key it took hundreds)`);
  const shardsOf = new Map<string, Set<string>>();
  for (const r of records) {
    for (const l of r.data.toString().split('\n').filter(Boolean)) {
      const m = l.slice(0, l.search(/[, ]/));
      if (!shardsOf.has(m)) shardsOf.set(m, new Set());
      shardsOf.get(m)?.add(r.shardId);
    }
  }
  t.ok([...shardsOf.values()].every((s) => s.size === 1), 'every partition key (measurement) lands on one shard, so its order holds');
});

t.test('oversized points are reported and skipped; the rest is delivered', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['big']);
  await engine.start();
  const huge = `m,host=a s="${'x'.repeat(1024 * 1024)}" 1`;
  const batch = batchFromLines(['m,host=a v=1 1', huge, 'm,host=a v=2 2']);
  t.match(engine.unencodable('big', batch), [{ index: 1, kind: 'too_large' }]);
  t.equal(engine.unencodable('big', batch).length, 1);
  await engine.submit('big', batch);
  t.same(engine.unencodable('big', batchFromLines([huge.slice(0, 1024 * 1024 - 100)])), [], 'just under the limit fits');
  await engine.submit('big', batchFromLines([`m,host=a s="${'y'.repeat(1024 * 1024 - 40)}" 3`]));
  await engine.shutdown(2000);
  const got = recordLines(await readStream(reader, 'big'));
  t.equal(got.length, 3);
  t.ok(got.every((l) => l.length < 1024 * 1024));
});

t.test('pacing: 10% of a shard is 100 records/s', async (t) => {
  // The pace is the check (a lower bound on the time); a deadline far above it keeps a loaded machine's slower
  // puts from failing the write (at the default 4 s, 3 s of pacing left no slack).
  const { engine } = makeEngine(k.endpoint, ['paced'], { aggregation: 'none', shardRateLimitPercent: 10, deliveryTimeoutMs: 30_000 });
  await engine.start();
  const t0 = Date.now();
  await engine.submit('paced', batchFromLines(lines.slice(0, 300)));
  const took = Date.now() - t0;
  await engine.shutdown(2000);
  t.ok(took >= 1800, `300 records took ${took} ms (1 s burst + 2 s at 100/s)`);
  t.equal((await readStream(reader, 'paced')).length, 300);
});
