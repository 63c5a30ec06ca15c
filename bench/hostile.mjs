// npm run bench:hostile — parse cost per byte of every hostile input class, as a ratio to Telegraf lines in
// the same run, at the largest body size; then /ping latency on the real server while the largest bodies parse.
// usage: node bench/hostile.mjs [--mib 32] [--no-server] [--attack-ms 5000] [--only-attacks]
import { parseLines } from '../dist/parse/index.js';
import { CLASSES } from '../test/kit/hostile-bodies.ts';
import { OTLP_CLASSES } from '../test/kit/otlp-bodies.ts';
import { convertRequest } from '../dist/parse/otlp/convert.js';
import { REMOTE_WRITE_CLASSES } from '../test/kit/remote-write-bodies.ts';
import { decodeRequestV2, decodeWriteRequestV1 } from '../dist/parse/remote-write/remote-write.js';
import { SeriesKeyCache } from '../dist/parse/remote-write/series-keys.js';
import { snappyDecode } from '../dist/decode/snappy.js';
import { LINE_BYTES_PER_PROTOBUF_BYTE } from '../dist/http/routes/remote-write.js';
import { snappy as snappyCompress } from '../test/helpers/remote-write.ts';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const MIB = Number(arg('mib', 32));
if (process.argv.includes('--only-attacks')) {
  const { httpAttacks } = await import('./lib/http-attacks.mjs');
  await httpAttacks(Number(arg('attack-ms', 5000)));
  process.exit(0);
}
const SIZE = MIB << 20;
const SMALL = SIZE >> 3;
const opts = { precision: 'ns', receivedAtNs: 1735689600000000000n, allowUnsigned: false, allowCRLF: false };

/** CPU seconds of this process (waiting for a core on a busy machine is not parse cost). */
const cpuS = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** CPU seconds for one parse of body, `reps` parses per sample: the best of `rounds`. */
function time(body, rounds, reps = 1) {
  parseLines(body.subarray(0, Math.min(body.length, 1 << 20)), opts); // warm-up
  let best = Infinity;
  let r;
  for (let k = 0; k < rounds; k++) {
    const t0 = cpuS();
    for (let i = 0; i < reps; i++) r = parseLines(body, opts);
    best = Math.min(best, (cpuS() - t0) / reps);
  }
  return { s: best, points: r.points.count, errors: r.errorCount };
}

console.log(`parse cost per byte at ${MIB} MiB, CPU time, best of 3; linearity = ns/byte at ${MIB} MiB ÷ at ${MIB / 8} MiB\n`);
console.log(`${'class'.padEnd(36)} ${'MB/s'.padStart(8)} ${'×telegraf'.padStart(10)} ${'linearity'.padStart(10)} ${'points'.padStart(9)} ${'errors'.padStart(9)}`);
let base = 0;
let worst = { name: '', ratio: 0 };
for (const [name, make] of Object.entries(CLASSES)) {
  const big = make(SIZE);
  const small = make(SMALL);
  const b = time(big, 3);
  const s = time(small, 3, 8); // samples as long as the big body's
  const mbs = big.length / 1e6 / b.s;
  if (base === 0) base = mbs;
  const ratio = base / mbs;
  if (ratio > worst.ratio) worst = { name, ratio };
  const lin = (b.s / big.length) / (s.s / small.length);
  console.log(`${name.padEnd(36)} ${mbs.toFixed(1).padStart(8)} ${ratio.toFixed(2).padStart(10)} ${lin.toFixed(2).padStart(10)} ${String(b.points).padStart(9)} ${String(b.errors).padStart(9)}`);
}
console.log(`\nworst class: ${worst.name}, ${worst.ratio.toFixed(2)}× the cost per byte of Telegraf lines`);

// OTLP (POST /v1/metrics): decode + bounds + mapping, as the route does it with the default limits
// (KINFLUX_MAX_LINES 1,000,000, KINFLUX_MAX_DECODED_BYTES 128 MiB), per byte of the decoded body, as a ratio to
// an SDK-like protobuf request in the same run. OTLP_MIB: protobuf bodies a client would send are far smaller.
const OTLP_SIZE = Number(arg('otlp-mib', 8)) << 20;
const otlpLimits = { maxPoints: 1_000_000, maxBytes: 128 << 20 };
function timeOtlp(c, body, rounds, reps = 1, warm = body) {
  // Warmed on the class's small body: the baseline, measured first, was otherwise half compiled (linearity ~2).
  convertRequest(warm, c.encoding, 'prometheus-v2', otlpLimits);
  let best = Infinity;
  let r;
  for (let k = 0; k < rounds; k++) {
    const t0 = cpuS();
    for (let i = 0; i < reps; i++) r = convertRequest(body, c.encoding, 'prometheus-v2', otlpLimits);
    best = Math.min(best, (cpuS() - t0) / reps);
  }
  const outcome = r.ok ? `${r.points.count} pts, ${r.mapped.rejected} refused` : `${r.status}`;
  return { s: best, outcome };
}
console.log(`\nOTLP: decode + map cost per byte at ${OTLP_SIZE >> 20} MiB (--otlp-mib), best of 3; ×baseline = vs the SDK-like protobuf request; linearity as above`);
console.log(`${'class'.padEnd(52)} ${'MB/s'.padStart(8)} ${'×baseline'.padStart(10)} ${'linearity'.padStart(10)}  outcome`);
let otlpBase = 0;
let otlpWorst = { name: '', ratio: 0 };
for (const [name, c] of Object.entries(OTLP_CLASSES)) {
  const big = c.make(OTLP_SIZE);
  const small = c.make(OTLP_SIZE >> 3);
  const b = timeOtlp(c, big, 3, 1, small);
  const sm = timeOtlp(c, small, 3, 8);
  const mbs = big.length / 1e6 / b.s;
  if (otlpBase === 0) otlpBase = mbs;
  const ratio = otlpBase / mbs;
  if (ratio > otlpWorst.ratio) otlpWorst = { name, ratio };
  const lin = (b.s / big.length) / (sm.s / small.length);
  console.log(`${name.padEnd(52)} ${mbs.toFixed(1).padStart(8)} ${ratio.toFixed(2).padStart(10)} ${lin.toFixed(2).padStart(10)}  ${b.outcome}`);
}
console.log(`\nworst OTLP class: ${otlpWorst.name}, ${otlpWorst.ratio.toFixed(2)}× the cost per byte of an SDK-like request`);

// Prometheus remote_write (POST /api/v1/write): snappy + protobuf decode + Telegraf's mapping, with the route's
// bounds (KINFLUX_MAX_LINES 1,000,000; output at most LINE_BYTES_PER_PROTOBUF_BYTE × the protobuf past 4 MiB), per byte of the decoded protobuf, as a
// ratio to Prometheus-like requests in the same run. The route's series-key cache is emptied before each decode:
// every series is new to it (looked up, then kept), an attacker's case.
const RW_SIZE = Number(arg('rw-mib', 8)) << 20;
function timeRw(c, body, rounds, reps = 1) {
  const seriesKeys = new SeriesKeyCache();
  const o = { metricVersion: c.metricVersion ?? 2, receivedAtNs: 1n, maxPoints: 1_000_000, maxOutputBytes: Math.min(256 << 20, Math.max(4 << 20, LINE_BYTES_PER_PROTOBUF_BYTE * body.length)), seriesKeys };
  const snappyBody = Buffer.from(snappyCompress(body));
  let best = Infinity;
  let r;
  for (let k = 0; k < rounds; k++) {
    const t0 = cpuS();
    for (let i = 0; i < reps; i++) {
      seriesKeys.clear();
      const raw = snappyDecode(snappyBody, 256 << 20);
      r = c.version === 2 ? decodeRequestV2(raw, o) : decodeWriteRequestV1(raw, o);
    }
    best = Math.min(best, (cpuS() - t0) / reps);
  }
  const outcome = r.tooManyPoints || r.tooLarge ? '413' : `${r.points.count} pts, ${r.refused} refused`;
  return { s: best, outcome };
}
console.log(`\nremote_write: snappy + decode + map cost per byte at ${RW_SIZE >> 20} MiB of protobuf (--rw-mib), best of 3; ×baseline = vs Prometheus-like requests; linearity as above`);
console.log(`${'class'.padEnd(52)} ${'MB/s'.padStart(8)} ${'×baseline'.padStart(10)} ${'linearity'.padStart(10)}  outcome`);
let rwBase = 0;
let rwWorst = { name: '', ratio: 0 };
for (const [name, c] of Object.entries(REMOTE_WRITE_CLASSES)) {
  const big = c.make(RW_SIZE);
  const small = c.make(RW_SIZE >> 3);
  const b = timeRw(c, big, 3);
  const sm = timeRw(c, small, 3, 8);
  const mbs = big.length / 1e6 / b.s;
  if (rwBase === 0) rwBase = mbs;
  const ratio = rwBase / mbs;
  if (ratio > rwWorst.ratio) rwWorst = { name, ratio };
  const lin = (b.s / big.length) / (sm.s / small.length);
  console.log(`${name.padEnd(52)} ${mbs.toFixed(1).padStart(8)} ${ratio.toFixed(2).padStart(10)} ${lin.toFixed(2).padStart(10)}  ${b.outcome}`);
}
console.log(`\nworst remote_write class: ${rwWorst.name}, ${rwWorst.ratio.toFixed(2)}× the cost per byte of Prometheus-like requests`);

if (!process.argv.includes('--no-server')) {
  const { pingUnderLoad } = await import('./lib/ping-under-load.mjs');
  await pingUnderLoad(MIB);
  // Issue 20's HTTP classes: many statements, tiny chunks, small gzip of many points, idle claims.
  const { httpAttacks } = await import('./lib/http-attacks.mjs');
  await httpAttacks(Number(arg('attack-ms', 5000)));
}
