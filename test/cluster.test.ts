// KINFLUX_WORKERS: several processes share the port and the batching; /metrics shows them all; SIGTERM stops them all.
import t from 'tap';
import { startKinesisLocal } from '../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from './helpers/kinflux.js';
import { send } from './helpers/http.js';

t.test('two workers take writes, aggregate metrics and stop cleanly', async (t) => {
  const emulator = await startKinesisLocal({ streams: { metrics: 2 } });
  const client = testClient(emulator.endpoint);
  t.teardown(async () => {
    client.destroy();
    await emulator.stop();
  });
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_WORKERS: '2' }));
  const writes = await Promise.all(
    Array.from({ length: 20 }, (_, r) => send(k.url, '/write?db=telegraf', Array.from({ length: 50 }, (_, i) => `w,req=${r} v=${i}i ${i + 1}`).join('\n'))),
  );
  t.same(writes.map((w) => w.status), Array(20).fill(204));
  t.equal((await readLines(client, 'metrics')).length, 1000, 'every point once');
  const metrics = (await send(k.url, '/metrics')).text;
  t.match(metrics, /^kinflux_points_delivered_total\{stream="metrics"\} 1000$/m, 'delivered counts summed over the workers');
  t.match(metrics, /^kinflux_stream_up\{stream="metrics"\} 1$/m, 'stream up is the minimum over workers, not their sum');
  t.equal(await k.stop('SIGTERM'), 0);
});

t.test('an absent stream makes the primary exit 1', async (t) => {
  const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
  t.teardown(() => emulator.stop());
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'absent', { KINFLUX_WORKERS: '2' }), { waitReady: false });
  t.equal(await k.exited, 1);
  t.match(k.output(), /absent/);
});
