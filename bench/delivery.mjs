// Delivery engine benchmark: the engine alone (no HTTP), fed 1,000-line Telegraf requests by
// concurrent clients, against kinesis-local (default) or a null sink that accepts every PutRecords
// at once (--sink=null: the engine's own ceiling, since kinesis-local tops out at a few MB/s), or
// the stand-in in null mode (test/kit/kinesis-standin.ts) in a child process (--sink=http: the same, plus the SDK's serialization,
// signing and HTTP, which is where much of a delivered point's CPU goes).
// Prints points/s, points per record, PutRecords calls/s and CPU per point (this process only).
//
//   npm run bench:delivery -- [--seconds=10] [--clients=8] [--shards=4] [--aggregation=lines]
//                             [--format=line] [--compression=none] [--sink=kinesis-local|null|http]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeliveryEngine } from '../dist/deliver/engine.js';
import { createKinesisClient } from '../dist/deliver/kinesis/client.js';
import { startKinesisLocal } from '../dist/emulator/kinesis-local.js';
import { createMetrics } from '../dist/metrics/registry.js';
import { parseLines } from '../dist/parse/index.js';
import { telegrafLines } from '../test/kit/telegraf-lines.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const seconds = Number(arg('seconds', 10));
const clients = Number(arg('clients', 8));
const shards = Number(arg('shards', 4));
const sink = arg('sink', 'kinesis-local');

const text = telegrafLines(50000, 42);
const lines = text.split('\n').filter(Boolean);
const batches = [];
for (let i = 0; i < lines.length; i += 1000) {
  const body = Buffer.from(lines.slice(i, i + 1000).join('\n') + '\n');
  const r = parseLines(body, { precision: 'ns', receivedAtNs: 0n, allowUnsigned: false, allowCRLF: false });
  if (r.errors.length) throw new Error(`generator line rejected: ${r.errors[0].reason}`);
  batches.push(r.points);
}

/** A client that accepts everything instantly, to measure the engine without the emulator. */
function nullClient() {
  const step = 2n ** 128n / BigInt(shards);
  const list = Array.from({ length: shards }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: { StartingHashKey: String(BigInt(i) * step), EndingHashKey: String(i === shards - 1 ? 2n ** 128n - 1n : BigInt(i + 1) * step - 1n) },
  }));
  return {
    async send(cmd) {
      const name = cmd.constructor.name;
      if (name === 'DescribeStreamSummaryCommand') return { StreamDescriptionSummary: { StreamStatus: 'ACTIVE', OpenShardCount: shards } };
      if (name === 'ListShardsCommand') return { Shards: list };
      const recs = cmd.input.Records;
      return { FailedRecordCount: 0, Records: recs.map((_, i) => ({ SequenceNumber: String(i), ShardId: 'x' })) };
    },
    destroy() {},
  };
}

/** The stand-in in null mode in its own process, so that its CPU is not counted as the engine's. */
async function startHttpSink() {
  const kit = JSON.stringify(join(here, '../test/kit/kinesis-standin.ts'));
  const src = `import { startKinesisStandin } from ${kit}; const f = await startKinesisStandin({ streams: { bench: ${shards} }, mode: 'null' }); console.log(f.endpoint);`;
  const proc = spawn(process.execPath, ['--import=@tapjs/typescript/import', '--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(proc.stdout, 'data');
  return { endpoint: line.toString().trim(), stop: async () => void proc.kill() };
}

const k = sink === 'null' ? undefined : sink === 'http' ? await startHttpSink() : await startKinesisLocal({ streams: { bench: shards } });
const endpoint = k?.endpoint ?? 'http://127.0.0.1:1';
const metrics = createMetrics({ processMetrics: false });
const settings = {
  partitionKey: { method: 'series' },
  recordFormat: arg('format', 'line'),
  jsonTimestampUnits: 'ms',
  aggregation: arg('aggregation', 'lines'),
  compression: arg('compression', 'none'),
  lingerMs: 50,
  queueMaxBytes: 64 * 1024 * 1024,
  deliveryTimeoutMs: 30_000,
  maxInflightPerStream: 4,
  putRequestMaxBytes: 5 * 1024 * 1024,
  shardRateLimitPercent: 0, // kinesis-local never throttles; pacing would measure the pacer
  healthIntervalMs: 10_000,
  startupTimeoutMs: 10_000,
};
const quiet = { debug() {}, info() {}, warn() {}, error: (o, m) => console.error(m ?? '', o) };
const client =
  sink === 'null'
    ? nullClient()
    : createKinesisClient({ region: 'us-east-1', endpoint, roleArn: undefined }, { staticCredentials: { accessKeyId: 'AKIAKINFLUXBENCH', secretAccessKey: 'x' } });
const engine = new DeliveryEngine({ settings, kinesis: { region: 'us-east-1', endpoint, roleArn: undefined }, streams: ['bench'], metrics, logger: quiet, client });
await engine.start();

const value = async (name, labels = {}) => {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([a, b]) => v.labels[a] === b)).reduce((n, v) => n + v.value, 0);
};

// Warm up (JIT, sockets), then measure.
await Promise.all(batches.slice(0, 4).map((b) => engine.submit('bench', b)));
const base = { points: await value('kinflux_points_delivered_total'), records: await value('kinflux_kinesis_records_sent_total'), puts: await value('kinflux_kinesis_put_requests_total') };
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = Date.now() + seconds * 1000;
let failed = 0;
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    for (let n = c; Date.now() < end; n += clients) {
      await engine.submit('bench', batches[n % batches.length]).catch(() => failed++);
    }
  }),
);
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const points = (await value('kinflux_points_delivered_total')) - base.points;
const records = (await value('kinflux_kinesis_records_sent_total')) - base.records;
const puts = (await value('kinflux_kinesis_put_requests_total')) - base.puts;
await engine.shutdown(10_000);
await k?.stop();

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`sink=${sink} shards=${shards} clients=${clients} aggregation=${settings.aggregation} format=${settings.recordFormat} compression=${settings.compression} (${fmt(elapsed, 1)} s)`);
console.log(`points/s            ${fmt(points / elapsed)}`);
console.log(`points per record   ${fmt(points / Math.max(1, records), 1)}`);
console.log(`PutRecords calls/s  ${fmt(puts / elapsed, 1)}`);
console.log(`CPU per point       ${fmt(((cpu.user + cpu.system) / Math.max(1, points)) * 1000, 0)} ns (engine process; user+system)`);
console.log(`failed submits      ${failed}`);
