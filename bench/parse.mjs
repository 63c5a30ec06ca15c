// npm run bench:parse — kinflux parse + canonical serialize vs influx-line-protocol-parser,
// on 200k generated Telegraf lines, one core, median of several rounds.
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
const ours = measure('kinflux parse+canonical serialize', () => {
  const r = parseLines(body, opts);
  if (r.points.count !== LINES || r.errors.length) throw new Error(`parsed ${r.points.count} points, ${r.errors.length} errors`);
  check += r.points.data.length;
}, ROUNDS);

// It parses one line per call: split the body as its users must.
const theirs = measure('influx-line-protocol-parser', () => { for (const l of text.split('\n')) if (l !== '') check += other(l).fields.length; }, 3);
console.log(`input: ${LINES} lines, ${mb.toFixed(1)} MB; ratio kinflux / influx-line-protocol-parser = ${(ours / theirs).toFixed(1)}x`);
if (check === 0) console.log('');
