// npm run bench:e2e [-- --vs-influxd] [--seconds N] [--connections N] [--workers N] [--profile DIR] [--dist DIR] [--compare-dist DIR]
// Starts kinesis-local and kinflux, loads kinflux with 1,000-line Telegraf bodies (plain, then gzip) at 16 connections,
// and prints points/s, p50/p99 latency, CPU-ms per 1,000 points (summed over kinflux's processes) and peak RSS.
// With --vs-influxd the same load runs against Debian's influxd in alternating turns, and the ratios are printed.
// With --sink null kinflux writes to the stand-in in null mode (test/kit/kinesis-standin.ts), which accepts every PutRecords at once:
// kinesis-local itself tops out near 2.5 MB/s here, so only then do the figures show kinflux's own ceiling.
// With --pacing-table [--warmup S] [--table-shards 4,64] [--table-limits] it prints issue 11's pacing-cost table instead (see there);
// --table-limits adds pacing on and off against a stand-in with Kinesis's per-shard limits, where the stream bounds pacing off too.
// Issue 21's setup: --vs-influxd --sink standin --shards 200 --standin-limits on --latency 20 --pacing on. With --vs-influxd the
// run also loads the floor (bench/lib/floor.mjs: Fastify receiving the body and counting its lines) and measures bench:parse's
// cost for the same bodies, and prints all of them per 1,000 points. --profile DIR (or --cpu-prof DIR) writes kinflux's
// .cpuprofile there and prints its top frames and a breakdown by stage (bench/lib/profile-stages.mjs). --compare-dist DIR
// runs a second kinflux from another build (e.g. a copy of main's dist/ beside a node_modules link) in alternating turns;
// --node-flags "..." are kinflux's node/V8 flags, --compare-node-flags "..." the other build's (default: the same).
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { startKinesisLocal, freePort } from '../dist/emulator/kinesis-local.js';
import { startKinesisStandin } from '../test/kit/kinesis-standin.ts';
import { telegrafLineArray } from '../test/kit/telegraf-lines.ts';
import { startForwarder } from './lib/forwarder.mjs';
import { startFloor } from './lib/floor.mjs';
import { profileReport } from './lib/profile-stages.mjs';
import { parseLines } from '../dist/parse/index.js';
import { cpuMs, tree } from './lib/proc-cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', 10));
const CONNECTIONS = Number(arg('connections', 16));
const WORKERS = arg('workers', undefined);
const VS_INFLUXD = process.argv.includes('--vs-influxd');
const SINK = arg('sink', 'kinesis-local');
const LINGER = arg('linger', undefined);
const PROFILE = arg('profile', arg('cpu-prof', undefined)); // a folder: kinflux runs with --cpu-prof and writes its profile there
const LATENCY = Number(arg('latency', 0)); // the stand-in answers after this many ms
const DIST = arg('dist', new URL('../dist', import.meta.url).pathname); // the build kinflux runs from
const COMPARE_DIST = arg('compare-dist', undefined); // another build's dist/, run as "old" in alternating turns
const TRACE_GC = process.argv.includes('--trace-gc'); // kinflux (and old) run with --trace-gc; collections per 1,000 requests are printed
const NODE_FLAGS = arg('node-flags', undefined); // node/V8 flags for kinflux's process, e.g. "--no-incremental-marking" (README "Pacing cost")
const OLD_NODE_FLAGS = arg('compare-node-flags', NODE_FLAGS); // the --compare-dist build's flags ("" for none): compare V8 settings on one build
const ROUNDS = Number(arg('rounds', VS_INFLUXD ? 2 : 1));
const SHARDS = Number(arg('shards', 4));
const PACING = arg('pacing', 'off');
const STANDIN_LIMITS = arg('standin-limits', 'off') === 'on';
const PACING_TABLE = process.argv.includes('--pacing-table');
const LINES_PER_BODY = 1000;

const all = telegrafLineArray(LINES_PER_BODY * 8);
const bodies = Array.from({ length: 8 }, (_, i) => all.slice(i * LINES_PER_BODY, (i + 1) * LINES_PER_BODY).join('\n') + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pids) {
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]);
    } catch {}
  }
  return kb / 1024;
}

async function waitHttp(url) {
  for (let i = 0; i < 600; i++) {
    if (await fetch(url).then((r) => r.status < 500, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

async function load(name, url, path, gzip, pidsOf, gc) {
  const requests = bodies.map((b) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: gzip ? gzipSync(b) : b,
  }));
  const pids = pidsOf();
  let peak = rssMiB(pids);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pids))), 100);
  const cpu0 = cpuMs(pids);
  gc?.reset();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  const cpu = cpuMs(pids) - cpu0;
  clearInterval(sampler);
  const ok = result['2xx'];
  const points = ok * LINES_PER_BODY;
  return {
    name: `${name} ${gzip ? 'gzip' : 'plain'}`,
    pointsPerSec: points / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPer1k: points ? cpu / (points / 1000) : NaN,
    peakRssMiB: peak,
    non2xx: result.non2xx,
    errors: result.errors,
    ...(gc ? { gc: { scavenge: gc.scavenge, markCompact: gc.markCompact, pauseMs: gc.pauseMs, requests: ok, reasons: [...gc.reasons].sort((x, y) => y[1] - x[1]).slice(0, 3) } } : {}),
  };
}

async function startKinflux(endpoint, pacing = PACING, dist = DIST, profile = PROFILE, nodeFlags = NODE_FLAGS) {
  const port = await freePort();
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: '000000000000',
    AWS_SECRET_ACCESS_KEY: 'bench',
    KINFLUX_KINESIS_ENDPOINT: endpoint,
    KINFLUX_STREAM: 'metrics',
    KINFLUX_HOST: '127.0.0.1',
    KINFLUX_PORT: String(port),
    KINFLUX_LOG_LEVEL: 'warn',
    KINFLUX_LOG_FORMAT: 'json',
    KINFLUX_SHARD_RATE_LIMIT_PERCENT: pacing === 'on' ? '100' : '0', // the emulator has no shard limits to respect
    ...(WORKERS ? { KINFLUX_WORKERS: WORKERS } : {}),
    ...(LINGER ? { KINFLUX_BATCH_LINGER_MS: LINGER } : {}),
  };
  const nodeArgs = [...(nodeFlags ? nodeFlags.split(' ') : []), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...(TRACE_GC ? ['--trace-gc'] : [])];
  const proc = spawn(process.execPath, [...nodeArgs, join(dist, 'cli.js')], { env, stdio: ['ignore', TRACE_GC ? 'pipe' : 'ignore', 'inherit'] });
  // --trace-gc prints one line per collection: counted by kind, with the pause it reports.
  const gc = { scavenge: 0, markCompact: 0, pauseMs: 0, reasons: new Map(), reset() { this.scavenge = this.markCompact = this.pauseMs = 0; this.reasons = new Map(); } };
  let rest = '';
  proc.stdout?.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const l of lines) {
      if (/Scavenge/.test(l)) gc.scavenge++;
      else if (/Mark-Compact|Mark-sweep|Mark-Sweep/.test(l)) {
        gc.markCompact++;
        const why = /mu = [\d.]+\)\s*(.*)$/.exec(l)?.[1]?.trim() ?? '?';
        gc.reasons.set(why, (gc.reasons.get(why) ?? 0) + 1);
      } else continue;
      const m = /, ([\d.]+) \/ [\d.]+ ms/.exec(l);
      if (m) gc.pauseMs += Number(m[1]);
    }
  });
  await waitHttp(`http://127.0.0.1:${port}/ready`);
  return { proc, url: `http://127.0.0.1:${port}`, gc };
}

async function startInfluxd() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-influxd-'));
  const port = await freePort();
  const rpc = await freePort();
  writeFileSync(
    join(dir, 'influxd.conf'),
    `reporting-disabled = true\nbind-address = "127.0.0.1:${rpc}"\n[meta]\n  dir = "${dir}/meta"\n[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false\n[http]\n  bind-address = "127.0.0.1:${port}"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n`,
  );
  const proc = spawn('influxd', ['-config', join(dir, 'influxd.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/ping`);
  await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE telegraf' }) });
  return { proc, url, dir };
}

const gcText = (g) => (g ? `   GC per 1k requests: ${((1000 * g.scavenge) / g.requests).toFixed(0)} scavenges, ${((1000 * g.markCompact) / g.requests).toFixed(1)} mark-compacts, ${((1000 * g.pauseMs) / g.requests).toFixed(0)} ms paused (mark-compacts: ${g.reasons.map(([why, n]) => `${n}× ${why}`).join('; ')})` : '');
const fmt = (r) =>
  `${r.name.padEnd(16)} ${Math.round(r.pointsPerSec).toString().padStart(9)} points/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   ${r.cpuMsPer1k.toFixed(2).padStart(6)} CPU-ms/1k points   peak RSS ${r.peakRssMiB.toFixed(0)} MiB${r.non2xx ? `   non-2xx ${r.non2xx}` : ''}${r.errors ? `   errors ${r.errors}` : ''}${gcText(r.gc)}`;

/** Points delivered, records sent and PutRecords calls so far, from kinflux's /metrics. */
async function delivered(url) {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const sum = (name) => text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { points: sum('kinflux_points_delivered_total'), records: sum('kinflux_kinesis_records_sent_total'), calls: sum('kinflux_kinesis_put_requests_total') };
}

/**
 * CONNECTIONS clients posting bodies one after another for `seconds`; a 503 makes a client wait its Retry-After
 * (±50%). With `rate` (204s per second, all clients together) each client spaces its writes to keep that rate:
 * pacing off at the rate pacing on achieved, so that the two differ in pacing only.
 */
async function closedLoop(url, pidsOf, seconds = SECONDS, rate = 0) {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const pids = pidsOf();
  const cpu0 = cpuMs(pids);
  const end = Date.now() + seconds * 1000;
  let ok = 0;
  let non2xx = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      // Clients start spread over one cadence, so a rate-matched run does not arrive in bursts of CONNECTIONS.
      if (rate) await sleep((c * 1000) / rate);
      for (let n = c; Date.now() < end; n++) {
        const t0 = Date.now();
        const body = Buffer.from(bodies[n % bodies.length]);
        const res = await new Promise((resolve) => {
          const req = request(`${url}/write?db=telegraf`, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (r) => {
            r.resume();
            r.on('end', () => resolve({ status: r.statusCode, retryAfter: Number(r.headers['retry-after'] ?? 1) }));
          });
          req.on('error', () => resolve({ status: 0, retryAfter: 1 }));
          req.end(body);
        });
        if (res.status === 204) ok++;
        else {
          non2xx++;
          await sleep(res.retryAfter * 1000 * (0.5 + Math.random()));
        }
        if (rate) await sleep(Math.max(0, t0 + (CONNECTIONS * 1000) / rate - Date.now()));
      }
    }),
  );
  const cpu = cpuMs(pids) - cpu0;
  agent.destroy();
  return { pointsPerSec: (ok * LINES_PER_BODY) / seconds, cpuMsPer1k: ok ? cpu / ok : NaN, non2xx };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

if (PACING_TABLE) {
  // Every row first runs WARMUP s of the same load (lazy loading, JIT), waits for the queue to drain, then
  // measures. Per shard count: pacing on; pacing off (a sink that takes everything: off moves far more data);
  // and pacing off with clients held to the 204 rate that pacing on achieved, which differs from the on row
  // in pacing only. With --table-limits, on and off again against a stand-in with Kinesis's per-shard limits
  // (the stream bounds both). Last, the calibration: a minimal Node forwarder (bench/lib/forwarder.mjs) at the
  // on row's rate and flat out, what running at the lower rate costs any Node process on this machine.
  const WARMUP = Number(arg('warmup', 2));
  const TABLE_LIMITS = process.argv.includes('--table-limits');
  console.log(`bench:e2e --pacing-table  ${CONNECTIONS} closed-loop clients (a 503 waits its Retry-After), ${WARMUP} s warm-up + ${SECONDS} s per row, ${LINES_PER_BODY}-line bodies, plain; load average ${loadavg()}`);
  console.log('| shards | row | 204s per s | CPU-ms per acknowledged request (1k points) | points per record | PutRecords calls per s | 503s | load |');
  console.log('|---|---|---|---|---|---|---|---|');
  const rows = [];
  const shardCounts = String(arg('table-shards', '4,64')).split(',').map(Number);
  const warmUp = async (url, pidsOf, rate) => {
    if (WARMUP <= 0) return;
    await closedLoop(url, pidsOf, WARMUP, rate);
    await sleep(1000);
  };
  const print = (row, label) =>
    console.log(`| ${row.shards} | ${label} | ${row.reqs.toFixed(0)} | ${row.cpu.toFixed(2)} | ${Number.isNaN(row.ppr) ? '—' : row.ppr.toFixed(0)} | ${Number.isNaN(row.calls) ? '—' : row.calls.toFixed(0)} | ${row.non2xx} | ${loadavg().split(' ')[0]} |`);
  for (const shards of shardCounts) {
    const kinds = ['on', 'off', 'off@on', ...(TABLE_LIMITS ? ['on+limits', 'off+limits'] : [])];
    for (const pacing of kinds) {
      const rate = pacing === 'off@on' ? rows.find((x) => x.shards === shards && x.pacing === 'on').reqs : 0;
      const limits = pacing.endsWith('+limits');
      const sink = await startKinesisStandin({ streams: { metrics: shards }, store: false, ...(limits ? {} : { bytesPerSecond: 0, recordsPerSecond: 0 }) });
      const k = await startKinflux(sink.endpoint, pacing.startsWith('on') ? 'on' : 'off');
      await warmUp(k.url, () => tree(k.proc.pid), rate);
      const d0 = await delivered(k.url);
      const r = await closedLoop(k.url, () => tree(k.proc.pid), SECONDS, rate);
      const d1 = await delivered(k.url);
      k.proc.kill('SIGTERM');
      await new Promise((res) => k.proc.once('exit', res));
      // Series hash unevenly: the hottest shard, not the stream's total, is what pacing holds to 1 MiB/s.
      const perShard = sink.stats('metrics').shards.map((x) => x.acceptedBytes);
      const hottest = Math.max(...perShard) / Math.max(1, perShard.reduce((a, b) => a + b, 0));
      await sink.close();
      const reqs = r.pointsPerSec / LINES_PER_BODY;
      const row = { shards, pacing, reqs, cpu: r.cpuMsPer1k, ppr: (d1.points - d0.points) / Math.max(1, d1.records - d0.records), calls: (d1.calls - d0.calls) / SECONDS, non2xx: r.non2xx, hottest };
      rows.push(row);
      print(row, pacing === 'off@on' ? `off, clients held to on's ${rate.toFixed(0)}/s` : limits ? `${pacing.split('+')[0]}, stand-in with per-shard limits` : pacing);
    }
    // Calibration: the same clients against the minimal forwarder, at the on row's rate and flat out.
    const onRate = rows.find((x) => x.shards === shards && x.pacing === 'on').reqs;
    for (const [pacing, rate] of [['fwd@on', onRate], ['fwd', 0]]) {
      const f = await startForwarder();
      await warmUp(f.url, () => [f.pid], rate);
      const r = await closedLoop(f.url, () => [f.pid], SECONDS, rate);
      await f.stop();
      const row = { shards, pacing, reqs: r.pointsPerSec / LINES_PER_BODY, cpu: r.cpuMsPer1k, ppr: NaN, calls: NaN, non2xx: r.non2xx };
      rows.push(row);
      print(row, rate ? `calibration: minimal Node forwarder held to ${rate.toFixed(0)}/s` : 'calibration: minimal Node forwarder flat out');
    }
  }
  for (const shards of shardCounts) {
    const get = (p) => rows.find((x) => x.shards === shards && x.pacing === p);
    const [on, off, same, fwdSlow, fwd] = ['on', 'off', 'off@on', 'fwd@on', 'fwd'].map(get);
    const lim = TABLE_LIMITS ? [get('on+limits'), get('off+limits')] : undefined;
    console.log(
      `${shards} shards: CPU per acknowledged point  literal on/off ${(on.cpu / off.cpu).toFixed(2)}×  ` +
        `same rate on/off@on ${(on.cpu / same.cpu).toFixed(2)}×  ` +
        (lim ? `limits on/off ${(lim[0].cpu / lim[1].cpu).toFixed(2)}×  ` : '') +
        `lower rate off@on/off ${(same.cpu / off.cpu).toFixed(2)}×  calibration forwarder@on/flat out ${(fwdSlow.cpu / fwd.cpu).toFixed(2)}×   ` +
        `points per record on/off ${(on.ppr / off.ppr).toFixed(2)}× (same rate ${(on.ppr / same.ppr).toFixed(2)}×${lim ? `, limits ${(lim[0].ppr / lim[1].ppr).toFixed(2)}×` : ''})`,
    );
    // What one write puts on the hottest shard, from the unpaced run's bytes; 1 MiB/s over that is the stream's real capacity here.
    const perWrite = off.hottest * Buffer.byteLength(bodies[0]);
    console.log(
      `${shards} shards: the hottest shard takes ${(100 * off.hottest).toFixed(1)}% of the bytes (${(100 / shards).toFixed(1)}% if even): paced, it saturates near ${Math.round((1024 * 1024) / perWrite)} writes/s ` +
        `(${off.reqs > (1024 * 1024) / perWrite ? 'below' : 'above'} the ${off.reqs.toFixed(0)}/s of pacing off: ${off.reqs > (1024 * 1024) / perWrite ? 'the stream is the bottleneck' : 'spare capacity'})`,
    );
  }
  console.log(`load average at the end ${loadavg()}`);
  process.exit(0);
}

const emulator =
  SINK === 'null'
    ? await startKinesisStandin({ streams: { metrics: SHARDS }, mode: 'null' }).then((s) => ({ endpoint: s.endpoint, stop: () => s.close() }))
    : SINK === 'standin'
      ? await startKinesisStandin({ streams: { metrics: SHARDS }, store: false, latencyMs: LATENCY, ...(STANDIN_LIMITS ? {} : { bytesPerSecond: 0, recordsPerSecond: 0 }) }).then((s) => ({ endpoint: s.endpoint, stop: () => s.close() }))
      : await startKinesisLocal({ streams: { metrics: 4 } });
const kinflux = await startKinflux(emulator.endpoint);
const old = COMPARE_DIST ? await startKinflux(emulator.endpoint, PACING, COMPARE_DIST, '', OLD_NODE_FLAGS) : undefined; // '': no profile
const influxd = VS_INFLUXD ? await startInfluxd() : undefined;
const floor = VS_INFLUXD ? await startFloor() : undefined;

/** bench:parse's cost for these bodies: CPU-ms per 1,000 lines of parseLines (the canonical output included), in this process. */
function parseCost() {
  const bufs = bodies.map((b) => Buffer.from(b));
  const opts = { precision: 'ns', receivedAtNs: BigInt(Date.now()) * 1_000_000n, allowUnsigned: false, allowCRLF: false };
  for (let i = 0; i < 200; i++) parseLines(bufs[i % bufs.length], opts); // warm-up
  const best = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 200; i++) parseLines(bufs[i % bufs.length], opts);
    const t = process.cpuUsage(t0);
    best.push((t.user + t.system) / 1000 / 200);
  }
  return Math.min(...best) * (1000 / LINES_PER_BODY);
}

console.log(`bench:e2e  sink ${SINK}${SINK === 'standin' ? ` (${SHARDS} shards, limits ${STANDIN_LIMITS ? 'on' : 'off'}, ${LATENCY} ms)` : ''}, pacing ${PACING}, ${CONNECTIONS} connections, ${SECONDS} s per run, ${LINES_PER_BODY}-line Telegraf bodies, ${ROUNDS} round(s)${WORKERS ? `, KINFLUX_WORKERS=${WORKERS}` : ''}${LINGER ? `, KINFLUX_BATCH_LINGER_MS=${LINGER}` : ''}${COMPARE_DIST ? `, old = ${COMPARE_DIST}` : ''}${NODE_FLAGS ? `, node flags "${NODE_FLAGS}"` : ''}${COMPARE_DIST && OLD_NODE_FLAGS !== NODE_FLAGS ? `, old's "${OLD_NODE_FLAGS}"` : ''}; load average ${loadavg()}`);
const results = [];
try {
  // Warm-up, unmeasured: the first turn would otherwise pay module loading, JIT and heap growth (it made a build
  // measured first look up to 1.6x costlier than the same build measured second).
  const WARM = Number(arg('warmup', 3));
  if (WARM > 0) {
    const warm = (url) => autocannon({ url: `${url}/write?db=telegraf`, method: 'POST', connections: CONNECTIONS, duration: WARM, body: bodies[0], headers: { 'content-type': 'text/plain' } });
    await Promise.all([warm(kinflux.url), ...(old ? [warm(old.url)] : [])]);
    await sleep(1000);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const gzip of [false, true]) {
      // Alternating turns, so drift in the machine's load hits every server alike.
      const k = await load('kinflux', kinflux.url, '/write?db=telegraf', gzip, () => tree(kinflux.proc.pid), TRACE_GC ? kinflux.gc : undefined);
      console.log(fmt(k));
      results.push(k);
      if (old) {
        const o = await load('old', old.url, '/write?db=telegraf', gzip, () => tree(old.proc.pid), TRACE_GC ? old.gc : undefined);
        console.log(fmt(o));
        results.push(o);
      }
      if (influxd) {
        const i = await load('influxd', influxd.url, '/write?db=telegraf', gzip, () => tree(influxd.proc.pid));
        console.log(fmt(i));
        results.push(i);
      }
      if (floor && !gzip) {
        const f = await load('floor', floor.url, '/write', gzip, () => [floor.pid]);
        console.log(fmt(f));
        results.push(f);
      }
    }
  }
  const avg = (name, key) => {
    const rs = results.filter((r) => r.name === name);
    return rs.reduce((s, r) => s + r[key], 0) / rs.length;
  };
  if (old) {
    for (const mode of ['plain', 'gzip']) {
      console.log(`ratio ${mode.padEnd(5)}: CPU per point kinflux/old = ${(avg(`kinflux ${mode}`, 'cpuMsPer1k') / avg(`old ${mode}`, 'cpuMsPer1k')).toFixed(2)}x   points/s kinflux/old = ${(avg(`kinflux ${mode}`, 'pointsPerSec') / avg(`old ${mode}`, 'pointsPerSec')).toFixed(2)}x`);
    }
  }
  if (influxd) {
    for (const mode of ['plain', 'gzip']) {
      console.log(
        `ratio ${mode.padEnd(5)}: points/s kinflux/influxd = ${(avg(`kinflux ${mode}`, 'pointsPerSec') / avg(`influxd ${mode}`, 'pointsPerSec')).toFixed(2)}x   CPU per point kinflux/influxd = ${(avg(`kinflux ${mode}`, 'cpuMsPer1k') / avg(`influxd ${mode}`, 'cpuMsPer1k')).toFixed(2)}x`,
      );
    }
    const parse = parseCost();
    const fl = avg('floor plain', 'cpuMsPer1k');
    const k = avg('kinflux plain', 'cpuMsPer1k');
    const i = avg('influxd plain', 'cpuMsPer1k');
    console.log(`CPU-ms per 1,000 points (plain): floor ${fl.toFixed(2)}   bench:parse ${parse.toFixed(2)}   floor + parse ${(fl + parse).toFixed(2)}   kinflux ${k.toFixed(2)}${old ? `   old ${avg('old plain', 'cpuMsPer1k').toFixed(2)}` : ''}   influxd ${i.toFixed(2)}`);
    console.log(`kinflux/floor = ${(k / fl).toFixed(2)}x   kinflux/(floor + parse) = ${(k / (fl + parse)).toFixed(2)}x   kinflux/influxd = ${(k / i).toFixed(2)}x   load average ${loadavg()}`);
  }
} finally {
  kinflux.proc.kill('SIGTERM');
  await new Promise((r) => kinflux.proc.once('exit', r)); // a profile is written at exit
  if (old) {
    old.proc.kill('SIGTERM');
    await new Promise((r) => old.proc.once('exit', r));
  }
  await floor?.stop();
  influxd?.proc.kill('SIGKILL');
  if (influxd) rmSync(influxd.dir, { recursive: true, force: true });
  await sleep(500);
  await emulator.stop();
  if (PROFILE) {
    const requests = results.filter((r) => r.name.startsWith('kinflux')).reduce((n, r) => n + (r.pointsPerSec * SECONDS) / LINES_PER_BODY, 0);
    console.log(profileReport(PROFILE, { requests, top: 15 }));
  }
}
process.exit(0);
