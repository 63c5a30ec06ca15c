// npm run bench:replicas [-- --replicas 3 --shards 4 --seconds 20 --clients N --latency 20 --percent 100 --load 0.8 --trace --dump FILE]
// --load X: open loop instead: new writes are started at X times the stream's capacity (spread over the clients,
// each resent after a 503 as Telegraf does), and the share of writes answered 503 is printed (issue 22: <= 1% below 0.8x).
// Starts the Kinesis stand-in (per-shard 1 MiB/s and 1,000 records/s with one second of burst, answers after
// --latency ms) and N kinflux processes (dist/cli.js) on it, and drives each with closed-loop clients posting
// 1,000-line Telegraf bodies (test/kit/telegraf-lines.ts) at about twice the stream's capacity; a client that
// gets 503 waits its Retry-After (with jitter) and resends. Each client is its own Telegraf agent: its 64 hosts
// are named in its own domain (dc<client>), so the series, and the shards they hash to, differ per client. Every line carries a unique timestamp naming its
// request and attempt, so the stream is checked point by point afterwards. Prints the share of entries
// throttled, p50/p99 of answered writes and of 204s, 204s and 503s, Jain's fairness over acknowledged points,
// goodput as a share of capacity, the share of what was put into Kinesis that belongs to writes answered 204,
// and acknowledged points missing from the stream (must be 0).
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { telegrafLineArray } from '../test/kit/telegraf-lines.ts';
import { startKinesisStandin } from '../test/kit/kinesis-standin.ts';
import { freePort } from '../dist/emulator/kinesis-local.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const REPLICAS = Number(arg('replicas', 1));
const SHARDS = Number(arg('shards', 4));
const SECONDS = Number(arg('seconds', 20));
const WARMUP = Number(arg('warmup', 3));
const LATENCY = Number(arg('latency', 20));
const PERCENT = arg('percent', undefined);
/** --dump FILE: every attempt (replica, status, start and latency in ms from the start) as JSON, for analysis. */
const DUMP = arg('dump', undefined);
const LINES = 1000;
const BODY_BYTES_APPROX = 211_000;
const CAPACITY = SHARDS * 1024 * 1024; // bytes/s
// Closed loop: a client answered within ~0.7 s, or told to wait ~0.75 s after a 503, posts ~1.4 bodies/s: 32 clients
// for 4 shards offer about twice the capacity; spread evenly over the replicas.
const LOAD = arg('load', undefined) === undefined ? undefined : Number(arg('load', 1));
const CLIENTS = Number(arg('clients', LOAD !== undefined ? Math.max(REPLICAS * 2, 16) : Math.max(REPLICAS * 2, Math.ceil(((2 * CAPACITY) / BODY_BYTES_APPROX) * 0.8))));
/** --load: ms between a client's new writes, so that all clients together offer LOAD × capacity. */
const INTERVAL_MS = LOAD !== undefined ? (CLIENTS * BODY_BYTES_APPROX * 1000) / (LOAD * CAPACITY) : 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Open-loop slots a client skipped because it was more than one interval behind (see the client loop). */
let skippedSlots = 0;
const TS_PREFIX = '17356896';
/** Unique per (request, attempt, line): 11 digits after the prefix keep the line the generator's size. */
// Attempts of one request are told apart up to ATTEMPTS - 1 (a client can be refused many times in a row: with
// 16, a 16th refusal shared its key with the attempt that later got 204, and counted as "stored for a 503").
const ATTEMPTS = 1024;
const tsOf = (req, attempt, j) => TS_PREFIX + String((req * ATTEMPTS + attempt) * 1000 + j).padStart(11, '0');

function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

async function waitReady(url) {
  for (let i = 0; i < 300; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url} never became ready`);
}

const standin = await startKinesisStandin({ streams: { metrics: SHARDS }, latencyMs: LATENCY });
const replicas = [];
for (let r = 0; r < REPLICAS; r++) {
  const port = await freePort();
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAKINFLUXBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    KINFLUX_KINESIS_ENDPOINT: standin.endpoint,
    KINFLUX_STREAM: 'metrics',
    KINFLUX_HOST: '127.0.0.1',
    KINFLUX_PORT: String(port),
    KINFLUX_LOG_LEVEL: 'error',
    KINFLUX_LOG_FORMAT: 'json',
    ...(PERCENT !== undefined ? { KINFLUX_SHARD_RATE_LIMIT_PERCENT: PERCENT } : {}),
  };
  const proc = spawn(process.execPath, [new URL('../dist/cli.js', import.meta.url).pathname], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  replicas.push({ proc, port, url: `http://127.0.0.1:${port}`, ackedPoints: 0, cpu0: 0 });
}
await Promise.all(replicas.map((r) => waitReady(`${r.url}/ready`)));

const templates = Array.from({ length: 8 }, (_, b) => telegrafLineArray(LINES * 8, 42).slice(b * LINES, (b + 1) * LINES).map((l) => l.slice(0, l.lastIndexOf(' ') + 1)));
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

function post(url, body) {
  return new Promise((resolve) => {
    const req = request(`${url}/write?db=telegraf`, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: Number(res.headers['retry-after'] ?? 1) }));
    });
    req.on('error', () => resolve({ status: 0, retryAfter: 1 }));
    req.end(body);
  });
}

let nextReq = 0;
const attempts = []; // { req, attempt, replica, status, ms, at }
const t0 = Date.now();
const measureFrom = t0 + WARMUP * 1000;
const end = measureFrom + SECONDS * 1000;
let statsAtStart;
let cpuStart;
setTimeout(() => {
  statsAtStart = standin.stats('metrics');
  cpuStart = replicas.map((r) => cpuMs(r.proc.pid));
}, WARMUP * 1000);

// --trace: once a second, each replica's allowed rate summed over the shards (MiB/s) and the throttles its
// records met since the last look; printed at the end beside each second's 204s, 503s and slowest 204.
const trace = [];
const sumOf = (text, prefix) => text.split('\n').filter((l) => l.startsWith(prefix)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
const lastThrottles = replicas.map(() => 0);
const tracer = process.argv.includes('--trace')
  ? setInterval(async () => {
      const at = Math.round((Date.now() - t0) / 1000);
      const texts = await Promise.all(replicas.map((r) => fetch(`${r.url}/metrics`).then((res) => res.text(), () => '')));
      trace.push({
        at,
        // Per shard, in shard order (the label's value), as a share of the shard's 1 MiB/s.
        rates: texts.map((text) =>
          text
            .split('\n')
            .filter((l) => l.startsWith('kinflux_shard_allowed_bytes_per_second{'))
            .sort()
            .map((l) => Number(l.split(' ').pop()) / 1048576),
        ),
        throttles: texts.map((text, i) => {
          const total = sumOf(text, 'kinflux_shard_throttles_total{');
          const d = total - lastThrottles[i];
          lastThrottles[i] = total;
          return d;
        }),
      });
    }, 1000)
  : undefined;

await Promise.all(
  Array.from({ length: CLIENTS }, async (_, c) => {
    const replica = c % REPLICAS;
    const mine = templates.map((lines) => lines.map((l) => l.replaceAll('.dc1.', `.dc${c + 1}.`)));
    let req = nextReq++;
    let attempt = 0;
    // Open loop: clients start at random phases, then each new write is due INTERVAL_MS after the last was due.
    // Like Telegraf's flush ticker (Go's time.Ticker drops ticks for a slow receiver), a client that fell more than
    // one interval behind (the machine stalled this process, or its last write took long) skips the missed slots
    // instead of sending them all at once; the skipped slots are counted and printed, never hidden.
    let due = Date.now() + Math.random() * INTERVAL_MS;
    while (Date.now() < end) {
      if (LOAD !== undefined && attempt === 0) {
        const behind = Date.now() - due;
        if (behind > INTERVAL_MS) {
          const missed = Math.floor(behind / INTERVAL_MS);
          skippedSlots += missed;
          due += missed * INTERVAL_MS;
        }
        await sleep(Math.max(0, due - Date.now()));
        due += INTERVAL_MS;
      }
      const lines = mine[req % 8];
      let text = '';
      for (let j = 0; j < LINES; j++) text += lines[j] + tsOf(req, attempt, j) + '\n';
      const started = Date.now();
      const { status, retryAfter } = await post(replicas[replica].url, Buffer.from(text));
      attempts.push({ req, attempt, replica, status, ms: Date.now() - started, at: started });
      if (status === 204) {
        req = nextReq++;
        attempt = 0;
      } else {
        attempt = Math.min(ATTEMPTS - 1, attempt + 1);
        await sleep(retryAfter * 1000 * (0.5 + Math.random() * 0.5));
      }
    }
  }),
);
if (tracer) clearInterval(tracer);
const statsAtEnd = standin.stats('metrics');
const cpuEnd = replicas.map((r) => cpuMs(r.proc.pid));
const load = loadavg();
await sleep(1500); // let anything still in flight land before the stream is read
for (const r of replicas) r.proc.kill('SIGTERM');
await Promise.all(replicas.map((r) => new Promise((res) => r.proc.once('exit', res))));

// What the stream holds, per (request, attempt).
const stored = new Map(); // key req*ATTEMPTS+attempt -> Set of j
let storedLines = 0;
for (const rec of standin.records('metrics')) {
  const text = rec.data.toString('latin1');
  for (let at = 0; at < text.length; ) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const sp = text.lastIndexOf(' ', nl);
    const id = Number(text.slice(sp + 1 + TS_PREFIX.length, nl));
    const key = Math.floor(id / 1000);
    let set = stored.get(key);
    if (!set) stored.set(key, (set = new Set()));
    set.add(id % 1000);
    storedLines++;
    at = nl + 1;
  }
}

const measured = attempts.filter((a) => a.at >= measureFrom && a.at < end);
const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ok = measured.filter((a) => a.status === 204);
const refused = measured.filter((a) => a.status === 503);
const other = measured.filter((a) => a.status !== 204 && a.status !== 503);
let missing = 0;
let acked = 0;
let storedOf204 = 0;
let storedOfOthers = 0;
const wasted = []; // attempts not answered 204 whose points are in the stream (--trace prints them)
const ackedPerReplica = replicas.map(() => 0);
for (const a of attempts) {
  const set = stored.get(a.req * ATTEMPTS + a.attempt);
  if (a.status === 204) {
    acked += LINES;
    missing += LINES - (set?.size ?? 0);
    storedOf204 += set?.size ?? 0;
    if (a.at >= measureFrom && a.at < end) ackedPerReplica[a.replica] += LINES;
  } else {
    storedOfOthers += set?.size ?? 0;
    if (set?.size) wasted.push(`${((a.at - t0) / 1000).toFixed(1)}s:${a.status}:${a.ms}ms:r${a.replica}:${set.size}`);
  }
}
const sum = ackedPerReplica.reduce((s, x) => s + x, 0);
const jain = sum ** 2 / (REPLICAS * ackedPerReplica.reduce((s, x) => s + x * x, 0));
const entries = statsAtEnd.entries - statsAtStart.entries;
const throttled = statsAtEnd.throttledEntries - statsAtStart.throttledEntries;
const goodput = (statsAtEnd.acceptedBytes - statsAtStart.acceptedBytes) / SECONDS / CAPACITY;
const cpu = cpuEnd.reduce((s, x, i) => s + x - cpuStart[i], 0);
const offered = measured.length / SECONDS;

console.log(
  `bench:replicas  ${REPLICAS} replica(s), ${SHARDS} shards (capacity ${(CAPACITY / 1048576).toFixed(0)} MiB/s), stand-in latency ${LATENCY} ms, ${CLIENTS} ${LOAD !== undefined ? 'open-loop' : 'closed-loop'} clients, ${LINES}-line bodies, ${SECONDS} s measured after ${WARMUP} s warm-up${PERCENT !== undefined ? `, KINFLUX_SHARD_RATE_LIMIT_PERCENT=${PERCENT}` : ''}`,
);
console.log(`  attempts/s offered        ${offered.toFixed(1)} (${((offered * BODY_BYTES_APPROX) / CAPACITY).toFixed(2)}× capacity)${LOAD !== undefined ? `; new writes at ${LOAD}× capacity (open loop)` : ''}`);
if (LOAD !== undefined) console.log(`  open-loop slots skipped   ${skippedSlots} (a client more than one interval behind skips, as Telegraf's ticker does)`);
console.log(`  503 share                 ${((refused.length / Math.max(1, measured.length)) * 100).toFixed(2)}% of ${measured.length} attempts (${((refused.length / Math.max(1, ok.length + refused.length)) * 100).toFixed(2)}% of 204s + 503s)`);
console.log(`  entries throttled         ${((throttled / Math.max(1, entries)) * 100).toFixed(2)}% of ${entries} PutRecords entries`);
console.log(`  answered writes           p50 ${pct(measured.map((a) => a.ms), 50)} ms   p99 ${pct(measured.map((a) => a.ms), 99)} ms`);
console.log(`  204s                      ${ok.length}   p50 ${pct(ok.map((a) => a.ms), 50)} ms   p99 ${pct(ok.map((a) => a.ms), 99)} ms`);
const late = refused.filter((a) => a.ms >= 1000);
console.log(`  503s                      ${refused.length}   p50 ${pct(refused.map((a) => a.ms), 50)} ms   ${late.length} after ≥ 1 s (admitted, then past the deadline: ${replicas.map((_, i) => late.filter((a) => a.replica === i).length).join(' / ')} per replica)${other.length ? `   other ${other.length} (${[...new Set(other.map((a) => a.status))].join(',')})` : ''}`);
console.log(`  acked points per replica  ${ackedPerReplica.join(' / ')}   Jain ${jain.toFixed(3)}`);
console.log(`  goodput                   ${(goodput * 100).toFixed(1)}% of capacity`);
console.log(`  put into Kinesis for 204s ${((storedOf204 / Math.max(1, storedOf204 + storedOfOthers)) * 100).toFixed(1)}% (${storedOfOthers} points stored for writes not answered 204)`);
console.log(`  acknowledged ≤ delivered  ${missing === 0 ? 'yes' : 'NO'}: ${acked} acknowledged points, ${missing} missing, ${storedLines} stored`);
console.log(`  kinflux CPU               ${(cpu / Math.max(1, sum / 1000)).toFixed(2)} CPU-ms per 1k acknowledged points   load average ${load.map((x) => x.toFixed(2)).join(' ')}`);
if (trace.length && wasted.length) console.log(`  not answered 204 but stored (start:status:latency:replica:points): ${wasted.join(' ')}`);
if (trace.length) {
  // Per second of answers (by when the write was answered): 204s, 503s and the slowest 204 per replica.
  const second = (a) => Math.floor((a.at + a.ms - t0) / 1000);
  const rows = trace.map(({ at, rates, throttles }) =>
    replicas
      .map((_, i) => {
        const mine = attempts.filter((a) => a.replica === i && second(a) === at - 1);
        const oks = mine.filter((a) => a.status === 204);
        return `${rates[i].map((x) => x.toFixed(2).replace(/^0/, '')).join(' ')} ${String(oks.length).padStart(2)}×204 ${String(mine.length - oks.length).padStart(2)}×503 thr ${String(throttles[i]).padStart(2)} max ${String(oks.reduce((m, a) => Math.max(m, a.ms), 0)).padStart(4)}`;
      })
      .join(' | '),
  );
  console.log(`  per replica, once a second: each shard's allowed MiB/s, 204s and 503s answered in the second before, throttles since the last look, slowest 204 (ms):\n    ${rows.map((r, k) => `${String(trace[k].at).padStart(2)}s ${r}`).join('\n    ')}`);
}
if (DUMP) writeFileSync(DUMP, JSON.stringify(attempts.map((a) => ({ r: a.replica, s: a.status, at: a.at - t0, ms: a.ms }))));
await standin.close();
agent.destroy();
process.exit(0);
