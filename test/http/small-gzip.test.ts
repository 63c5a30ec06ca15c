// Issue 20, finding 3: a small gzip write froze the event loop for seconds. 148 KB of gzip holding a million
// copies of one line got 413 after 2.7 s (partition keys, hashing, the series cache and the encode ran on the
// main thread before the 413), one /ping took 1.65 s, and two clients looping it kept /ping above 100 ms for most
// of the time; 6.6 MB of gzip holding a million distinct series held /ping for 8.3 s. Now a gzip body is weighed
// by what it inflates to before it is parsed, a batch too large for the stream gets its 413 before the encode,
// and a large batch is encoded in slices that yield. The real server under --max-old-space-size=512, one shard.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';
import { checkProbe, readmeBudget, underAttack } from '../helpers/under-attack.js';

const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
t.teardown(() => emulator.stop());

const copies = gzipSync(Buffer.from('cpu,host=server01,region=us-west usage_idle=99.5,usage_user=0.5 1700000000000000000\n'.repeat(1_000_000)), { level: 9 });
const distinct = gzipSync(Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => `cpu,host=h${i} v=${i}i ${1_700_000_000_000_000_000 + i}\n`).join('')), { level: 6 });

t.test('two clients looping a small gzip of a million lines, and one of a million series: 413s, /ping fast', async (t) => {
  t.comment(`gzip bodies: ${copies.length} and ${distinct.length} bytes`);
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { NODE_OPTIONS: '--max-old-space-size=512', KINFLUX_LOG_LEVEL: 'error' }));
  t.teardown(() => k.stop('SIGKILL'));
  const statuses = new Map<string, number>();
  const probe = await underAttack(k.port, k.proc.pid ?? 0, async () => {
    const until = Date.now() + 6000;
    const client = async (body: Buffer, path: string): Promise<void> => {
      while (Date.now() < until && k.proc.exitCode === null) {
        const r = await send(k.url, path, body, { headers: { 'content-encoding': 'gzip' } });
        const key = `${r.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    };
    await Promise.all([client(copies, '/write?db=metrics'), client(copies, '/api/v2/write?bucket=metrics&org=o'), client(distinct, '/write?db=metrics')]);
  });
  t.comment(`statuses ${JSON.stringify([...statuses])}`);
  t.same([...statuses.keys()], ['413'], 'every write too large for the stream got 413');
  // Each 413 comes as soon as the inflated size says so (on 09777d8: 3 answers in these 6 s, seconds each).
  t.ok((statuses.get('413') ?? 0) >= 20, `${statuses.get('413')} answers in 6 s`);
  const r = await send(k.url, '/write?db=metrics', copies, { headers: { 'content-encoding': 'gzip' } });
  t.match(r.text, /write too large/, `the 413 says what fits: ${r.text.slice(0, 200)}`);
  checkProbe(t, probe, k.proc.exitCode === null, readmeBudget(probe.idleRss));
});
