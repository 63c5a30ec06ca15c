// npm run bench:otlp [-- --seconds N] [--settle N] [--connections N] [--rounds N] [--sink null|kinesis-local] [--cpu-prof DIR] [--kinds line,protobuf,json]
//   [--vs-dist DIR]: a second kinflux from another build (DIR/cli.js, e.g. a copy of main's dist/ beside a
//   node_modules) on the same sink, its turns interleaved with this build's: old and new as ratios in one run.
// CPU per 1,000 data points and points/s of POST /v1/metrics with OTLP protobuf and JSON requests of 1,000 data
// points (made by the OpenTelemetry JS SDK and its own serializers: counters and gauges, 50 metrics × 20
// attribute sets, a resource of 6 attributes), next to line protocol's figure from the same run (bench:e2e's
// 1,000-line Telegraf bodies on /write). Turns alternate (line, protobuf, JSON, line, …) so drift in the
// machine's load hits all three alike; each timed turn follows an untimed one of the same kind and build (--settle
// seconds, default 1), so none pays for the switch from the turn before (client and server JIT, the last turn's
// drain), and with --vs-dist the builds take turns going first; CPU is kinflux's own (utime + stime from /proc), the sink accepts every
// PutRecords at once by default (the stand-in's null mode, test/kit/kinesis-standin.ts), so the figures are kinflux's cost alone.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufMetricsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { startKinesisLocal, freePort } from '../dist/emulator/kinesis-local.js';
import { startKinesisStandin } from '../test/kit/kinesis-standin.ts';
import { telegrafLineArray } from '../test/kit/telegraf-lines.ts';
import { cpuMs, tree } from './lib/proc-cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', 5));
const SETTLE = Number(arg('settle', 1));
const CONNECTIONS = Number(arg('connections', 8));
const ROUNDS = Number(arg('rounds', 3));
const SINK = arg('sink', 'null');
const PROFILE = arg('cpu-prof', undefined); // a folder: kinflux runs with --cpu-prof and writes its profile there
const VS_DIST = arg('vs-dist', undefined);
const ONLY = arg('kinds', undefined); // e.g. protobuf: only these turns (with --cpu-prof, a profile of one kind)
const POINTS_PER_BODY = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Line protocol: bench:e2e's bodies.
const all = telegrafLineArray(POINTS_PER_BODY * 8);
const lineBodies = Array.from({ length: 8 }, (_, i) => Buffer.from(all.slice(i * POINTS_PER_BODY, (i + 1) * POINTS_PER_BODY).join('\n') + '\n'));

// OTLP: what an SDK exports, 1,000 data points per request.
class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
async function otlpBodies() {
  const out = { protobuf: [], json: [] };
  for (let b = 0; b < 8; b++) {
    const reader = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    const mp = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': `i-${b}`, 'host.name': `web-${b}.example.com`, 'deployment.environment': 'prod', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.version': '2.12.0' }),
      readers: [reader],
    });
    const m = mp.getMeter('bench', '1.0.0');
    for (let i = 0; i < 50; i++) {
      const inst = i % 2 ? m.createCounter(`http_server_requests_${i}_total`) : m.createGauge(`process_memory_${i}_bytes`);
      for (let a = 0; a < 20; a++) {
        const attrs = { route: `/api/v1/items/${a}`, method: a % 3 ? 'GET' : 'POST', status_code: 200 + (a % 5) };
        if (i % 2) inst.add(1 + a * b + i, attrs);
        else inst.record(1e6 * (a + 1) + b + i / 7, attrs);
      }
    }
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics.reduce((n, sm) => n + sm.metrics.reduce((k, md) => k + md.dataPoints.length, 0), 0);
    if (points !== POINTS_PER_BODY) throw new Error(`${points} data points, not ${POINTS_PER_BODY}`);
    out.protobuf.push(Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)));
    out.json.push(Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics)));
    await mp.shutdown();
  }
  return out;
}
const otlp = await otlpBodies();


async function startKinflux(endpoint, cli = new URL('../dist/cli.js', import.meta.url).pathname) {
  const port = await freePort();
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '000000000000', AWS_SECRET_ACCESS_KEY: 'bench',
    KINFLUX_KINESIS_ENDPOINT: endpoint, KINFLUX_STREAM: 'metrics', KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(port),
    KINFLUX_LOG_LEVEL: 'warn', KINFLUX_LOG_FORMAT: 'json', KINFLUX_SHARD_RATE_LIMIT_PERCENT: '0',
  };
  const proc = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), cli], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && !(await fetch(`${url}/ready`).then((r) => r.ok, () => false)); i++) await sleep(100);
  return { proc, url };
}

const ALL_KINDS = {
  line: { path: '/write?db=telegraf', type: 'text/plain; charset=utf-8', bodies: lineBodies, ok: 204 },
  protobuf: { path: '/v1/metrics', type: 'application/x-protobuf', bodies: otlp.protobuf, ok: 200 },
  json: { path: '/v1/metrics', type: 'application/json', bodies: otlp.json, ok: 200 },
};
const KINDS = ONLY ? Object.fromEntries(ONLY.split(',').map((k) => [k, ALL_KINDS[k]])) : ALL_KINDS;

async function load(kind, kinflux) {
  const k = KINDS[kind];
  const requests = k.bodies.map((body) => ({ method: 'POST', path: k.path, headers: { 'content-type': k.type }, body }));
  if (SETTLE > 0) await autocannon({ url: kinflux.url, connections: CONNECTIONS, duration: SETTLE, requests });
  const pids = tree(kinflux.proc.pid);
  const cpu0 = cpuMs(pids);
  const r = await autocannon({ url: kinflux.url, connections: CONNECTIONS, duration: SECONDS, requests });
  const cpu = cpuMs(pids) - cpu0;
  const points = r['2xx'] * POINTS_PER_BODY;
  return { kind, pointsPerSec: points / SECONDS, cpuMsPer1k: points ? cpu / (points / 1000) : NaN, non2xx: r.non2xx, p99: r.latency.p99 };
}

const sink = SINK === 'null'
  ? await startKinesisStandin({ streams: { metrics: 4 }, mode: 'null' }).then((s) => ({ endpoint: s.endpoint, stop: () => s.close() }))
  : await startKinesisLocal({ streams: { metrics: 4 } });
const builds = { new: await startKinflux(sink.endpoint) };
if (VS_DIST) builds.old = await startKinflux(sink.endpoint, `${VS_DIST.replace(/\/$/, '')}/cli.js`);
const sizes = Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [k, Math.round(v.bodies.reduce((n, b) => n + b.length, 0) / v.bodies.length)]));
console.log(`bench:otlp  sink ${SINK}, ${CONNECTIONS} connections, ${SECONDS} s per turn after ${SETTLE} s untimed, ${ROUNDS} rounds, ${POINTS_PER_BODY} points per request; body bytes: line ${sizes.line}, protobuf ${sizes.protobuf}, json ${sizes.json}${VS_DIST ? `; old build ${VS_DIST}` : ''}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const runs = {};
try {
  for (const kinflux of Object.values(builds)) for (const kind of Object.keys(KINDS)) await load(kind, kinflux); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of Object.keys(KINDS)) {
      const order = Object.entries(builds);
      if (round % 2) order.reverse();
      for (const [build, kinflux] of order) {
        const r = await load(kind, kinflux);
        (runs[`${build} ${kind}`] ??= []).push(r);
        console.log(`  round ${round + 1} ${build} ${kind.padEnd(8)} ${Math.round(r.pointsPerSec).toString().padStart(8)} points/s  ${r.cpuMsPer1k.toFixed(2).padStart(6)} CPU-ms/1k points  p99 ${r.p99} ms${r.non2xx ? `  non-2xx ${r.non2xx}` : ''}`);
      }
    }
  }
} finally {
  for (const kinflux of Object.values(builds)) kinflux.proc.kill('SIGTERM');
  await sleep(PROFILE ? 2000 : 0); // the profile is written on exit
  sink.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n| build | request (1,000 points) | points/s | CPU-ms per 1,000 points | × line protocol | × line, per round (median) |`);
console.log(`|---|---|---|---|---|---|`);
for (const build of Object.keys(builds)) {
  const lineCpu = runs[`${build} line`] ? median(runs[`${build} line`].map((r) => r.cpuMsPer1k)) : NaN;
  for (const kind of Object.keys(KINDS)) {
    const rs = runs[`${build} ${kind}`];
    const cpu = median(rs.map((r) => r.cpuMsPer1k));
    // Each round's ratio to the line turn of its own round (adjacent turns: the same load).
    const lines = runs[`${build} line`];
    const perRound = lines ? rs.map((r, i) => r.cpuMsPer1k / lines[i].cpuMsPer1k) : [];
    const rounds = perRound.length ? `${perRound.map((x) => x.toFixed(2)).join(' ')} (${median(perRound).toFixed(2)})` : '';
    console.log(`| ${build} | ${kind === 'line' ? 'line protocol (/write)' : `OTLP ${kind}`} | ${Math.round(median(rs.map((r) => r.pointsPerSec)))} | ${cpu.toFixed(2)} | ${(cpu / lineCpu).toFixed(2)} | ${rounds} |`);
  }
}
console.log(`(medians of the rounds; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
process.exit(0);
