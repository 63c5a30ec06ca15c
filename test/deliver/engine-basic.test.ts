import t from 'tap';
import { CreateStreamCommand, DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { StreamNotFoundError } from '../../src/deliver/engine.js';
import { hashKeyOf, shardMapFromListShards } from '../../src/encode/shard-map.js';
import { listShards, readStream, recordLines } from '../helpers/kinesis-read.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { counterValue, localClient, makeEngine, telegrafLines } from './engine-setup.js';

const k = await startKinesisLocal({ streams: { one: 1, four: 4, gone: 1 } });
t.teardown(() => k.stop());
const reader = localClient(k.endpoint);
t.teardown(() => reader.destroy());

t.test('every point of concurrent Telegraf requests is read back; records pack >= 1,000 points near 1 MiB', async (t) => {
  // A generous deadline: one shard takes one record at a time (order per series), and kinesis-local is slow on a loaded machine.
  const { engine, metrics } = makeEngine(k.endpoint, ['one'], { lingerMs: 50, deliveryTimeoutMs: 60_000 });
  await engine.start();
  const lines = telegrafLines(20_000);
  const batches: ReturnType<typeof batchFromLines>[] = [];
  for (let i = 0; i < lines.length; i += 1000) batches.push(batchFromLines(lines.slice(i, i + 1000)));
  await Promise.all(batches.map((b) => engine.submit('one', b)));
  const records = await readStream(reader, 'one');
  const got = recordLines(records);
  t.equal(got.length, lines.length, 'as many lines as sent');
  t.same(new Set(got), new Set(lines), 'the very lines sent');
  const biggest = Math.max(...records.map((r) => r.data.length + Buffer.byteLength(r.partitionKey)));
  t.ok(biggest <= 1024 * 1024, `no record over 1 MiB (biggest ${biggest})`);
  const perRecord = got.length / records.length;
  t.ok(records.length <= 6, `few records (${records.length})`);
  const full = records.filter((r) => r.data.length > 900 * 1024);
  t.ok(full.length >= 3, `records near the 1 MiB max (${full.length})`);
  t.ok(full.every((r) => r.data.toString().split('\n').length - 1 >= 1000), `>= 1,000 points in full records (avg ${perRecord.toFixed(0)})`);
  t.equal(await counterValue(metrics, 'kinflux_points_delivered_total'), lines.length);
  t.equal(await counterValue(metrics, 'kinflux_queue_points'), 0);
  // A describe that timed out while kinesis-local was busy ingesting is re-checked with backoff: wait for it.
  for (let i = 0; i < 100 && engine.health()[0].status !== 'pass'; i++) await new Promise((r) => setTimeout(r, 200));
  t.equal(engine.health()[0].status, 'pass', JSON.stringify(engine.health()));
  t.ok(engine.isReady());
  await engine.shutdown(2000);
});

t.test('four shards: records carry ExplicitHashKey and land on the predicted shard', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['four']);
  await engine.start();
  const lines = telegrafLines(7000, 7);
  await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => engine.submit('four', batchFromLines(lines.slice(i * 1000, i * 1000 + 1000)))));
  const map = shardMapFromListShards(await listShards(reader, 'four'));
  const records = await readStream(reader, 'four');
  t.equal(recordLines(records).length, lines.length);
  t.ok(new Set(records.map((r) => r.shardId)).size === 4, 'all four shards used');
  let wrong = 0;
  for (const r of records) {
    for (const line of r.data.toString().split('\n')) {
      if (!line) continue;
      const series = line.slice(0, line.search(/(?<!\\) /));
      if (map.shardIdOf(hashKeyOf(series)) !== r.shardId) wrong++;
    }
  }
  t.equal(wrong, 0, 'every point sits in the shard its series key hashes to');
  await engine.shutdown(2000);
});

t.test('absent stream at startup throws StreamNotFoundError', async (t) => {
  const { engine } = makeEngine(k.endpoint, ['one', 'nope']);
  await t.rejects(engine.start(), StreamNotFoundError);
  t.match(await engine.start().catch((e: unknown) => e), { stream: 'nope' });
  await engine.shutdown(100);
});

t.test('stream deleted: health fails, writes get stream_unavailable; recreated: recovers', async (t) => {
  const { engine, metrics } = makeEngine(k.endpoint, ['gone'], { healthIntervalMs: 300 });
  await engine.start();
  await engine.submit('gone', batchFromLines(['cpu,host=a usage=1 1700000000000000000']));
  await reader.send(new DeleteStreamCommand({ StreamName: 'gone' }));
  const deadline = Date.now() + 5000;
  while (engine.health()[0].status === 'pass' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(engine.health()[0].status, 'fail', engine.health()[0].message);
  t.notOk(engine.isReady());
  t.match(await engine.submit('gone', batchFromLines(['cpu,host=a usage=2 1700000000000000001'])).catch((e: unknown) => e), { reason: 'stream_unavailable' });
  t.equal(await counterValue(metrics, 'kinflux_stream_up', { stream: 'gone' }), 0);
  await reader.send(new CreateStreamCommand({ StreamName: 'gone', ShardCount: 1 }));
  const deadline2 = Date.now() + 8000;
  while (engine.health()[0].status === 'fail' && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
  t.equal(engine.health()[0].status, 'pass', 'recovers when recreated');
  await engine.submit('gone', batchFromLines(['cpu,host=a usage=3 1700000000000000002']));
  t.same(recordLines(await readStream(reader, 'gone')), ['cpu,host=a usage=3 1700000000000000002']);
  await engine.shutdown(1000);
});
