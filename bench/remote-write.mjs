// npm run bench:remote-write [-- --seconds N] [--senders N] [--rounds N] [--sink null|kinesis-local] [--lines] [--cpu-prof DIR]
//   [--vs-dist DIR]: a second kinflux from another build (DIR/cli.js, e.g. a copy of main's dist/ beside a node_modules)
//   on the same sink, its turns interleaved with this build's and Prometheus': old and new as ratios in one run.
// CPU per 1,000 samples and samples/s of Prometheus remote_write 1.0 into kinflux and into Debian's Prometheus 2.42
// (`prometheus --web.enable-remote-write-receiver`, the peer receiver), with the same requests in one run: batches
// of 1,000 series of one sample each, as Prometheus sends them (snappy block, node_exporter-like labels, sorted),
// from several concurrent senders. Each sender owns its 1,000 series and sends them again and again with the
// timestamp 1 ms on and the values moved on, as a shard of a Prometheus queue does, so Prometheus appends every
// sample to its head (no out-of-order or duplicate refusals). Turns alternate (kinflux, Prometheus, …) so drift in
// the machine's load hits both alike. CPU is each server's own process (utime + stime from /proc, all threads);
// the load generator (this process) is not counted. kinflux writes to the Kinesis stand-in in null mode by default
// (test/kit/kinesis-standin.ts: accepts every PutRecords at once), so its figure is kinflux's own cost.
// Each kinflux turn also prints its samples per PutRecords call (from its /metrics, read outside the CPU window): a
// call's signing and HTTP exchange are paid per call, so kinflux's cost per sample falls as its calls fill.
// --lines adds a turn of the same points as line protocol on /write (kinflux's own mapping of the requests), which
// shows what the remote_write decoding adds.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKinesisLocal, freePort } from '../dist/emulator/kinesis-local.js';
import { startKinesisStandin } from '../test/kit/kinesis-standin.ts';
import { labels, snappy, v1Proto } from '../test/helpers/remote-write.ts';
import { cpuMs, tree } from './lib/proc-cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', 8));
const SENDERS = Number(arg('senders', 8));
const ROUNDS = Number(arg('rounds', 3));
const SINK = arg('sink', 'null');
const VS_DIST = arg('vs-dist', undefined);
const PROFILE = arg('cpu-prof', undefined); // a folder: kinflux runs with --cpu-prof and writes its profile there
const SERIES = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One WriteRequest per sender, built once with the pinned proto (protobufjs); each request patches its
// timestamps and values in place (same varint length) and is snappy-compressed as Prometheus does.
const T0 = Date.now();
const modes = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
const names = ['node_cpu_seconds_total', 'node_network_receive_bytes_total', 'node_filesystem_avail_bytes'];
function sender(k) {
  const proto = v1Proto({ timeseries: Array.from({ length: SERIES }, (_, i) => ({
    labels: labels({ __name__: names[i % 3], cpu: String(i % 64), instance: `host-${k}-${i % 50}.example.com:9100`, job: 'node', mode: modes[i % 8] }),
    samples: [{ value: 1, timestamp: T0 }],
  })) });
  // Each Sample is 0x09 <double> 0x10 <varint timestamp>: find the timestamps' places.
  const ts = [0x10];
  for (let v = T0; ; v = Math.floor(v / 128)) { if (v < 128) { ts.push(v); break; } ts.push((v % 128) | 0x80); }
  const needle = Buffer.from(ts);
  const at = [];
  for (let p = proto.indexOf(needle); p >= 0; p = proto.indexOf(needle, p + 1)) if (proto[p - 9] === 0x09) at.push(p);
  if (at.length !== SERIES) throw new Error(`found ${at.length} samples, not ${SERIES}`);
  return { proto, at, n: 0, varintLen: ts.length - 1 };
}
const senders = Array.from({ length: SENDERS }, (_, k) => sender(k));
/** The sender's next request: every series one sample, 1 ms after its last. */
function nextBody(s) {
  s.n++;
  const t = T0 + s.n;
  for (let i = 0; i < s.at.length; i++) {
    const p = s.at[i];
    s.proto.writeDoubleLE(s.n * (1 + (i % 7)) + i / 8, p - 8);
    let v = t;
    for (let j = 0; j < s.varintLen; j++, v = Math.floor(v / 128)) s.proto[p + 1 + j] = j < s.varintLen - 1 ? (v % 128) | 0x80 : v;
  }
  return snappy(s.proto);
}

async function waitReady(url) {
  for (let i = 0; i < 600; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url} not ready`);
}

async function startKinflux(endpoint, name = 'kinflux', cli = new URL('../dist/cli.js', import.meta.url).pathname) {
  const port = await freePort();
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '000000000000', AWS_SECRET_ACCESS_KEY: 'bench',
    KINFLUX_KINESIS_ENDPOINT: endpoint, KINFLUX_STREAM: 'metrics', KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(port),
    KINFLUX_LOG_LEVEL: 'warn', KINFLUX_LOG_FORMAT: 'json', KINFLUX_SHARD_RATE_LIMIT_PERCENT: '0',
  };
  const flags = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  const proc = spawn(process.execPath, [...flags, cli], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/ready`);
  return { name, proc, port, pids: () => tree(proc.pid), stop: () => proc.kill(PROFILE ? 'SIGINT' : 'SIGTERM') };
}

async function startPrometheus() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  const proc = spawn('/usr/bin/prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver', '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitReady(`http://127.0.0.1:${port}/-/ready`);
  return { name: 'prometheus', proc, port, pids: () => [proc.pid], stop: () => { proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); } };
}

/** kinflux's PutRecords calls so far (its /metrics, read outside the CPU window); NaN for Prometheus. */
async function putCalls(server) {
  if (server.name === 'prometheus') return NaN;
  const text = await fetch(`http://127.0.0.1:${server.port}/metrics`).then((r) => r.text(), () => '');
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('kinflux_kinesis_put_requests_total{')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

/** SENDERS senders post their next batch as soon as the last is answered, for `seconds`. */
async function load(server, seconds, asLines = false) {
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'user-agent': 'Prometheus/2.42.0' };
  const post = (body) => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: asLines ? '/write?db=telegraf' : '/api/v1/write', method: 'POST', agent, headers: asLines ? { 'content-type': 'text/plain', 'content-length': body.length } : { ...headers, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
  const pids = server.pids();
  const puts0 = await putCalls(server);
  const cpu0 = cpuMs(pids);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let ok = 0;
  let other = 0;
  await Promise.all(senders.map(async (s) => {
    while (performance.now() < end) {
      const status = await post(asLines ? s.lines : nextBody(s));
      if (status >= 200 && status < 300) ok++;
      else other++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(pids) - cpu0;
  const puts = (await putCalls(server)) - puts0;
  agent.destroy();
  const samples = ok * SERIES;
  return { samplesPerSec: samples / elapsed, cpuMsPer1k: samples ? cpu / (samples / 1000) : NaN, other, perPut: puts > 0 ? samples / puts : NaN };
}

const sink = SINK === 'null'
  ? await startKinesisStandin({ streams: { metrics: 4 }, mode: 'null' }).then((s) => ({ endpoint: s.endpoint, stop: () => s.close() }))
  : await startKinesisLocal({ streams: { metrics: 4 } });
const servers = [await startKinflux(sink.endpoint), await startPrometheus()];
if (VS_DIST) servers.splice(1, 0, await startKinflux(sink.endpoint, 'old', `${VS_DIST.replace(/\/$/, '')}/cli.js`));
const bytes = Math.round(senders.reduce((n, s) => n + snappy(s.proto).length, 0) / SENDERS);
console.log(`bench:remote-write  kinflux → ${SINK === 'null' ? 'stand-in (null mode)' : 'kinesis-local'}; ${SENDERS} senders, ${SERIES} series per request (${bytes} bytes snappy), ${SECONDS} s per turn, ${ROUNDS} rounds`);
// Each server's CPU while idle (its timers, GC, metrics): part of every turn's figure, larger when the rate is low.
const idle = {};
for (const s of servers) { const pids = s.pids(); const c0 = cpuMs(pids); await sleep(3000); idle[s.name] = (cpuMs(pids) - c0) / 3; }
console.log(`idle CPU: ${servers.map((s) => `${s.name} ${idle[s.name].toFixed(1)} ms/s`).join(', ')}`);
const runs = { kinflux: [], old: [], prometheus: [], lines: [] };
const LINES = process.argv.includes('--lines');
if (LINES) {
  const { decodeWriteRequestV1 } = await import('../dist/parse/remote-write/remote-write.js');
  for (const s of senders) s.lines = Buffer.from(decodeWriteRequestV1(s.proto, { metricVersion: 2, receivedAtNs: 1n, maxPoints: 1e6, maxOutputBytes: 1 << 30 }).points.data);
}
try {
  for (const s of servers) await load(s, 3); // warm-up: Prometheus creates its series, kinflux's JIT warms
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 ? [...servers].reverse() : servers) {
      const r = await load(s, SECONDS);
      runs[s.name].push(r);
      if (LINES && s.name === 'kinflux') {
        const l = await load(s, SECONDS, true);
        runs.lines.push(l);
        console.log(`  round ${round + 1} ${'lines'.padEnd(10)} ${Math.round(l.samplesPerSec).toString().padStart(8)} samples/s  ${l.cpuMsPer1k.toFixed(3).padStart(7)} CPU-ms/1k samples${l.other ? `  non-2xx ${l.other}` : ''}`);
      }
      console.log(`  round ${round + 1} ${s.name.padEnd(10)} ${Math.round(r.samplesPerSec).toString().padStart(8)} samples/s  ${r.cpuMsPer1k.toFixed(3).padStart(7)} CPU-ms/1k samples${Number.isNaN(r.perPut) ? '' : `  ${Math.round(r.perPut)} samples per PutRecords`}${r.other ? `  non-2xx ${r.other}` : ''}`);
    }
  }
} finally {
  for (const s of servers) s.stop();
  await sleep(PROFILE ? 2000 : 0);
  sink.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuOf = (name) => median(runs[name].map((r) => r.cpuMsPer1k));
// Each round's kinflux and Prometheus turns are adjacent: their ratio drifts less with the machine's load than the figures.
const ratios = runs.kinflux.map((r, i) => r.cpuMsPer1k / runs.prometheus[i].cpuMsPer1k);
console.log(`\n| receiver (remote_write 1.0, 1,000 series per request) | samples/s | CPU-ms per 1,000 samples | × Prometheus |`);
console.log(`|---|---|---|---|`);
const rows = [['kinflux', `kinflux (→ ${SINK === 'null' ? 'stand-in' : 'kinesis-local'})`], ['prometheus', 'Prometheus 2.42 (--web.enable-remote-write-receiver)']];
if (LINES) rows.push(['lines', 'kinflux, the same points as line protocol (/write)']);
if (VS_DIST) rows.splice(1, 0, ['old', `kinflux, old build (${VS_DIST})`]);
for (const [name, label] of rows) {
  console.log(`| ${label} | ${Math.round(median(runs[name].map((r) => r.samplesPerSec)))} | ${cpuOf(name).toFixed(2)} | ${(cpuOf(name) / cpuOf('prometheus')).toFixed(2)} |`);
}
console.log(`(medians of ${ROUNDS} rounds; CPU of each server process only; kinflux ÷ Prometheus per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}, median ${median(ratios).toFixed(2)})`);
if (VS_DIST) {
  const oldRatios = runs.old.map((r, i) => r.cpuMsPer1k / runs.prometheus[i].cpuMsPer1k);
  const newOld = runs.kinflux.map((r, i) => r.cpuMsPer1k / runs.old[i].cpuMsPer1k);
  console.log(`old build ÷ Prometheus per round: ${oldRatios.map((x) => x.toFixed(2)).join(' ')}, median ${median(oldRatios).toFixed(2)}; new ÷ old per round: ${newOld.map((x) => x.toFixed(2)).join(' ')}, median ${median(newOld).toFixed(2)}`);
}
process.exit(0);
