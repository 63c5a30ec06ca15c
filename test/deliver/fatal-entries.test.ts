// A fatal code on single entries (KMS denied) fails the writes holding them with 503 and turns health to
// fail; the records are released, not kept: the queue empties and shutdown does not wait for them.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { startFaultProxy } from '../kit/fault-proxy.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { counterValue, makeEngine } from './engine-setup.js';

t.test('per-entry KMSAccessDeniedException: 503, health fail, queue released, quick shutdown', async (t) => {
  const k = await startKinesisLocal({ streams: { kms: 1 } });
  t.teardown(() => k.stop());
  const proxy = await startFaultProxy(k.endpoint, { kmsShare: 1 });
  t.teardown(() => proxy.close());
  const { engine, metrics } = makeEngine(proxy.endpoint, ['kms'], { aggregation: 'none', lingerMs: 5, healthIntervalMs: 60_000 });
  await engine.start();
  const outcome = await engine.submit('kms', batchFromLines(['a v=1 1', 'b v=2 2', 'c v=3 3'])).then(
    () => 'delivered',
    (err: { reason?: string }) => err.reason,
  );
  t.equal(outcome, 'stream_unavailable', 'the write is answered 503, never 204');
  t.ok(proxy.stats.entriesKms > 0, `injected ${proxy.stats.entriesKms}`);
  t.match(engine.health(), [{ stream: 'kms', status: 'fail' }]);
  t.equal(await counterValue(metrics, 'kinflux_queue_bytes'), 0, 'nothing is held for the failed records');
  t.equal(await counterValue(metrics, 'kinflux_queue_points'), 0);
  const t0 = Date.now();
  await engine.shutdown(10_000);
  t.ok(Date.now() - t0 < 5000, 'shutdown does not wait out its deadline for records nobody will deliver');
});
