// npm run fuzz:lp -- [--count N] [--seed S] [--batch B] [--workers W]
// The mutation fuzzer of test/parse/fuzz.ts against a throw-away influxd (Debian's influxdb package):
// prints progress, the counts, and every disagreement; exits 1 when there is one.
import { parseArgs } from 'node:util';
import { findInfluxd, startInfluxd } from '../test/helpers/influxd.js';
import { runFuzz } from '../test/parse/fuzz.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '20000' }, seed: { type: 'string', default: '1' }, batch: { type: 'string', default: '100' }, workers: { type: 'string', default: '2' } },
  strict: true,
});
const num = (s: string, name: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) { console.error(`--${name} must be a positive integer`); process.exit(2); }
  return n;
};
const count = num(values.count, 'count');
const bin = findInfluxd();
if (bin === undefined) { console.error('influxd is not installed (apt-get install influxdb)'); process.exit(2); }
const d = await startInfluxd(bin);
const t0 = Date.now();
try {
  let last = 0;
  let shown = 0;
  const res = await runFuzz(d, {
    count, seed: num(values.seed, 'seed'), batch: num(values.batch, 'batch'), workers: num(values.workers, 'workers'),
    progress: (done, r) => {
      // Disagreements as they are found, so that a run cut short still shows them.
      for (; shown < r.disagreements.length; shown++) console.log('DIFF ' + r.disagreements[shown]);
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      console.log(`${done}/${count} cases, ${r.compared} compared, deliberate ${JSON.stringify(r.deliberate)}, ` +
        `${r.disagreements.length} disagreements, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
  console.log(`influxd ${d.version}; ${res.cases} cases (seed ${values.seed}), ${res.compared} compared, ` +
    `error texts ${res.textsAgree}/${res.texts} agree; deliberate differences ${JSON.stringify(res.deliberate)}; ` +
    `${res.disagreements.length} disagreements; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const x of res.disagreements.slice(shown)) console.log('DIFF ' + x);
  process.exitCode = res.disagreements.length === 0 ? 0 : 1;
} finally {
  await d.stop();
}
