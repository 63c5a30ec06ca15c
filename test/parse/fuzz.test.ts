// The mutation fuzzer's fixed budget (test/parse/fuzz.ts): seeded, so every run checks the same
// cases against a real influxd; `npm run fuzz:lp -- --count N` runs it longer.
import t from 'tap';
import { findInfluxd, startInfluxd } from '../helpers/influxd.js';
import { CONFLICT, ENGINE, isolated, restartable, runFuzz } from './fuzz.js';
import { DELIBERATE } from './cases.js';

/** Disagreements the long runs reported, each now classified (src/parse/README.md, deliberate 1 and 8). */
const FOUND: Array<[string, string]> = [
  ['cpu v="a" 1\n#\ncpu  v=1 1', CONFLICT],
  ['cpu v="a" 1\n#"\ncpu v=1 1', CONFLICT],
  ['cpu v="a" \n#"\ncpu v=1 1', CONFLICT],
  ['cpu2 v="a" 1\n#"\ncpu2 v=1 1', CONFLICT],
  // An empty value where influxd's iterator splits the fields: "engine: unknown field type" (500).
  ['a \\\\="=,a="3a 1', ENGINE],
  ['m \\\\="=,time="a 1\nm v=1 2', ENGINE],
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

  t.test('a case that kills influxd is found, classified, and the run goes on with a fresh one', async (t) => {
    const ref = restartable(await startInfluxd(bin), () => startInfluxd(bin));
    try {
      const bodies = ['cpu v=1 1', DELIBERATE.panicsInfluxd, 'cpu v=2 2', 'cpu,h=a v=3 3'];
      const res = await runFuzz(ref, { count: bodies.length, seed: 1, batch: 2, cases: () => bodies });
      t.equal(res.cases, bodies.length);
      t.same(res.disagreements, []);
      t.same(res.deliberate.influxdPanic, 1, 'kinflux refuses the point influxd dies on (README deliberate 8)');
      t.match(res.crashes, [/StringValue/]);
      t.ok(res.restarts >= 1);
      t.ok(await ref.d.alive());
    } finally {
      await ref.stop();
    }
  });
}
