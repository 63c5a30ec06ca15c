// npm run bench:parse — kinflux parse + canonical serialize, with its fast path on and off (rounds
// interleaved), vs influx-line-protocol-parser, on 200k generated Telegraf lines, one core, median of
// several rounds. src/parse keeps the fast path only while it gains at least 1.5x here.
import { createRequire } from 'node:module';
import { parseLines } from '../dist/parse/index.js';
import { telegrafLines } from '../test/kit/telegraf-lines.ts';

const LINES = 200_000;
const ROUNDS = 7;
const text = telegrafLines(LINES);
const body = Buffer.from(text);
const mb = body.length / 1e6;
const opts = { precision: 'ns', receivedAtNs: BigInt(Date.now()) * 1_000_000n, allowUnsigned: false, allowCRLF: false };

const require = createRequire(import.meta.url);
const lpp = require('influx-line-protocol-parser');
const other = typeof lpp === 'function' ? lpp : lpp.parse ?? lpp.default;

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; }

function measure(name, fn, rounds) {
  fn(); // warm-up
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const s = median(times);
  const lps = LINES / s;
  // The spread shows how noisy the run was (other processes share the cores).
  const spread = `${(Math.min(...times) * 1000).toFixed(1)}-${(Math.max(...times) * 1000).toFixed(1)} ms`;
  console.log(`${name.padEnd(34)} ${(lps / 1e6).toFixed(3)} M lines/s  ${(mb / s).toFixed(1)} MB/s  (median of ${rounds}, ${(s * 1000).toFixed(1)} ms/round, spread ${spread})`);
  return lps;
}

let check = 0;
const parse = (o) => {
  const r = parseLines(body, o);
  if (r.points.count !== LINES || r.errors.length) throw new Error(`parsed ${r.points.count} points, ${r.errors.length} errors`);
  check += r.points.data.length;
};
// The fast path on and off: rounds alternate, so a noisy moment costs both alike.
const slow = { ...opts, fastPath: false };
const times = { on: [], off: [] };
parse(opts); parse(slow);
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, o] of [['on', opts], ['off', slow]]) {
    const t0 = process.hrtime.bigint();
    parse(o);
    times[k].push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
}
const report = (name, xs) => {
  const s = median(xs);
  console.log(`${name.padEnd(34)} ${(LINES / s / 1e6).toFixed(3)} M lines/s  ${(mb / s).toFixed(1)} MB/s  (median of ${xs.length}, ${(s * 1000).toFixed(1)} ms/round, spread ${(Math.min(...xs) * 1000).toFixed(1)}-${(Math.max(...xs) * 1000).toFixed(1)} ms)`);
  return LINES / s;
};
const ours = report('kinflux parse, fast path on', times.on);
const exact = report('kinflux parse, fast path off', times.off);
console.log(`fast path gain: ${(ours / exact).toFixed(2)}x (src/parse keeps it while >= 1.5x)`);

// It parses one line per call: split the body as its users must.
const theirs = measure('influx-line-protocol-parser', () => { for (const l of text.split('\n')) if (l !== '') check += other(l).fields.length; }, 3);
console.log(`input: ${LINES} lines, ${mb.toFixed(1)} MB; ratio kinflux / influx-line-protocol-parser = ${(ours / theirs).toFixed(1)}x`);
if (check === 0) console.log('');
