// Issue 20, finding 1: /query with many SHOW DATABASES statements. Each statement copied the whole list of known
// databases (up to 1,000 names, 64 KiB) and nothing bounded the statements of one query: 5,000 of them in a
// 75 KB form exhausted a 512 MB heap (FATAL ERROR ... JsonStringify), 900 in a 15 KB GET returned 62 MB and held
// /ping for seconds. Now a query has at most 100 statements (400 past it, JSON error), the list is serialized
// once per request, and an answer past 1 MiB is refused with 400. The real server under
// --max-old-space-size=512 survives a flood of both, within its memory budget, /ping p99 <= 100 ms.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { checkProbe, MiB, readmeBudget, underAttack } from '../helpers/under-attack.js';

const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
t.teardown(() => emulator.stop());

const INFLIGHT = 64 * MiB;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

t.test('5,000 and 900 SHOW DATABASES per query over 1,000 long names: 400s, a live process, /ping fast', async (t) => {
  const k = await startKinflux(
    emulatorEnv(emulator.endpoint, 'metrics', { NODE_OPTIONS: '--max-old-space-size=512', KINFLUX_MAX_INFLIGHT_BODY_BYTES: String(INFLIGHT), KINFLUX_LOG_LEVEL: 'error' }),
  );
  t.teardown(() => k.stop('SIGKILL'));
  // 1,000 names of 64 characters, 100 per query.
  for (let b = 0; b < 10; b++) {
    const q = Array.from({ length: 100 }, (_, i) => `CREATE DATABASE "${`db${b * 100 + i}_`.padEnd(64, 'x')}"`).join(';');
    t.equal((await send(k.url, '/query', `q=${encodeURIComponent(q)}`, { headers: form })).status, 200);
  }
  const listed = (await send(k.url, '/query?q=SHOW+DATABASES')).json<{ results: Array<{ series: Array<{ values: string[][] }> }> }>();
  t.ok(listed.results[0].series[0].values.length >= 900, `${listed.results[0].series[0].values.length} databases listed`);

  const many = `q=${'SHOW+DATABASES%3B'.repeat(5000)}`;
  const get = `/query?q=${'SHOW+DATABASES%3B'.repeat(900)}`;
  const statuses = new Map<string, number>();
  const note = (s: number | string): void => void statuses.set(String(s), (statuses.get(String(s)) ?? 0) + 1);
  const probe = await underAttack(k.port, k.proc.pid ?? 0, async () => {
    const until = Date.now() + 5000;
    const client = async (i: number): Promise<void> => {
      while (Date.now() < until && k.proc.exitCode === null) {
        const r = await (i % 2 ? send(k.url, '/query', many, { headers: form }) : send(k.url, get)).catch((e: Error) => ({ status: e.message, text: '' }));
        note(r.status);
      }
    };
    await Promise.all([0, 1].map(client));
  });
  t.comment(`statuses ${JSON.stringify([...statuses])}`);
  t.same([...statuses.keys()], ['400'], 'every flooding query got 400');
  const r = await send(k.url, get);
  t.match(r.json(), { error: /more than 100 statements/ }, 'the 400 says what to fix');
  const hundred = await send(k.url, `/query?q=${'SHOW+DATABASES%3B'.repeat(100)}`);
  t.equal(hundred.status, 400, '100 statements of a 64 KiB list would pass 1 MiB');
  t.match(hundred.json(), { error: /would pass 1048576 bytes/ });
  const ten = await send(k.url, `/query?q=${'SHOW+DATABASES%3B'.repeat(10)}`);
  t.equal(ten.status, 200, '10 statements are answered');
  t.equal(ten.json<{ results: unknown[] }>().results.length, 10);
  checkProbe(t, probe, k.proc.exitCode === null, readmeBudget(probe.idleRss, { inflight: INFLIGHT }));
});
