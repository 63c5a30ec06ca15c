// The mutation fuzzer's fixed budget (test/parse/fuzz.ts): seeded, so every run checks the same
// cases against a real influxd; `npm run fuzz:lp -- --count N` runs it longer.
import t from 'tap';
import { findInfluxd, startInfluxd } from '../helpers/influxd.js';
import { CONFLICT, isolated, restartable, runFuzz } from './fuzz.js';

/** Disagreements the long runs reported, each now classified (src/parse/README.md, deliberate 1). */
const FOUND: Array<[string, string]> = [
  ['cpu v="a" 1\n#\ncpu  v=1 1', CONFLICT],
  ['cpu v="a" 1\n#"\ncpu v=1 1', CONFLICT],
  ['cpu v="a" \n#"\ncpu v=1 1', CONFLICT],
  ['cpu2 v="a" 1\n#"\ncpu2 v=1 1', CONFLICT],
];

const COUNT = 1000;
const bin = findInfluxd();
if (bin === undefined) {
  if (process.env.CI) t.fail('influxd is not installed (Debian package influxdb); the fuzzer needs it');
  else t.test('mutation fuzzer', { skip: 'influxd not installed (apt-get install influxdb)' }, () => {});
} else {
  t.test('mutations of the corpus and Telegraf lines: influxd and kinflux agree', async (t) => {
    const ref = restartable(await startInfluxd(bin), () => startInfluxd(bin));
    try {
      const res = await runFuzz(ref, { count: COUNT, seed: 20261130 });
      t.comment(`${res.cases} cases, ${res.compared} compared, error texts ${res.textsAgree}/${res.texts} agree, deliberate ${JSON.stringify(res.deliberate)}, influxd restarted ${res.restarts}×`);
      for (const x of res.crashes) t.comment('CRASH ' + x);
      for (const x of res.disagreements.slice(0, 40)) t.comment('DIFF ' + x);
      t.equal(res.cases, COUNT);
      t.same(res.disagreements, [], 'no disagreement');
      for (const [body, want] of FOUND) t.equal(await isolated(ref.d, body), want, JSON.stringify(body));
    } finally {
      await ref.stop();
    }
  });
}
