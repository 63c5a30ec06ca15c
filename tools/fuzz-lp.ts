// npm run fuzz:lp -- [--count N] [--seed S] [--batch B] [--workers W]
// The mutation fuzzer of test/parse/fuzz.ts against a throw-away influxd (Debian's influxdb package),
// started again with a fresh data folder whenever a case kills it: prints progress, the counts, every
// disagreement and every case influxd died on; exits 1 when there is a disagreement.
import { parseArgs } from 'node:util';
import { findInfluxd, startInfluxd } from '../test/helpers/influxd.js';
import { restartable, runFuzz } from '../test/parse/fuzz.js';

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
const ref = restartable(await startInfluxd(bin), () => startInfluxd(bin));
const version = ref.d.version;
const t0 = Date.now();
try {
  let last = 0;
  let shown = 0;
  let crashes = 0;
  const res = await runFuzz(ref, {
    count, seed: num(values.seed, 'seed'), batch: num(values.batch, 'batch'), workers: num(values.workers, 'workers'),
    progress: (done, r) => {
      // Disagreements as they are found, so that a run cut short still shows them.
      for (; shown < r.disagreements.length; shown++) console.log('DIFF ' + r.disagreements[shown]);
      for (; crashes < r.crashes.length; crashes++) console.log('CRASH ' + r.crashes[crashes]);
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      console.log(`${done}/${count} cases, ${r.compared} compared, deliberate ${JSON.stringify(r.deliberate)}, ` +
        `influxd restarted ${r.restarts}×, ${r.disagreements.length} disagreements, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
  for (const x of res.crashes.slice(crashes)) console.log('CRASH ' + x);
  for (const x of res.disagreements.slice(shown)) console.log('DIFF ' + x);
  console.log(`influxd ${version}; ${res.cases} of ${count} cases run (seed ${values.seed}), ${res.compared} compared, ` +
    `error texts ${res.textsAgree}/${res.texts} agree; deliberate differences ${JSON.stringify(res.deliberate)}; ` +
    `influxd died ${res.crashes.length}× (restarted ${res.restarts}×); ${res.disagreements.length} disagreements; ` +
    `${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exitCode = res.disagreements.length === 0 && res.cases === count ? 0 : 1;
} finally {
  await ref.stop();
}
