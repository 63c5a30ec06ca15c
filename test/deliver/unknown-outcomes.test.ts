// Unknown outcomes (issue 22, finding 1): a proxy forwards PutRecords to Kinesis, which stores the records,
// then resets the connection mid-answer. kinflux cannot know, so it sends them again (nothing may be lost):
// the one way it stores a point twice itself. Each such record is counted in
// kinflux_kinesis_unknown_outcomes_total, and every duplicate in the stream is one of those.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { startFaultProxy } from '../kit/fault-proxy.js';
import { localClient, readStream } from '../helpers/kinesis-read.js';
import { counterValue, makeEngine } from './engine-setup.js';
import { runLoad, verify } from './load.js';

const k = await startKinesisLocal({ streams: { cut: 2, clean: 1 } });
t.teardown(() => k.stop());
const proxy = await startFaultProxy(k.endpoint);
t.teardown(() => proxy.close());

t.test('a reset after Kinesis stored the call: retried, counted as an unknown outcome, the only source of duplicates', async (t) => {
  proxy.set({ resetAfterForwardShare: 0.25 });
  const { engine, metrics } = makeEngine(proxy.endpoint, ['cut'], { deliveryTimeoutMs: 10_000, lingerMs: 5 });
  await engine.start();
  let settled = 0;
  // Until a few calls were cut (a condition, not a time: the machine may be slow).
  const load = await runLoad(engine, 'cut', { clients: 3, durationMs: 120_000, tag: 'cu', linesPerBatch: 200, onOutcome: () => settled++, stop: () => proxy.stats.resetsAfterForward >= 3 && settled >= 20 });
  proxy.set({ resetAfterForwardShare: 0 });
  await engine.shutdown(10_000);
  const reader = localClient(k.endpoint);
  const v = verify(load.outcomes, await readStream(reader, 'cut'));
  reader.destroy();
  const unknown = await counterValue(metrics, 'kinflux_kinesis_unknown_outcomes_total', { stream: 'cut' });
  t.comment(`resolved ${v.resolved}, acked points ${v.acknowledgedPoints}, missing ${v.missing}, duplicates ${v.duplicates}; calls cut after storing ${proxy.stats.resetsAfterForward} (${proxy.stats.entriesResetAfterForward} records, ${proxy.stats.pointsResetAfterForward} points), unknown outcomes counted ${unknown}, PutRecords calls ${proxy.stats.putRecords}`);
  t.same(load.crashes, []);
  t.equal(v.missing, 0, 'every acknowledged point is in the stream');
  t.ok(v.resolved > 0, 'writes are acknowledged');
  t.ok(proxy.stats.resetsAfterForward > 0, 'calls were cut after Kinesis stored them');
  t.equal(unknown, proxy.stats.entriesResetAfterForward, 'every record of a cut call is counted as an unknown outcome');
  t.ok(v.duplicates <= proxy.stats.pointsResetAfterForward, `every duplicate is a point of a cut call (${v.duplicates} <= ${proxy.stats.pointsResetAfterForward})`);
});

t.test('throttled entries have a known outcome: no duplicate, nothing counted as unknown', async (t) => {
  proxy.set({ throttleShare: 0.2 });
  const { engine, metrics } = makeEngine(proxy.endpoint, ['clean'], { deliveryTimeoutMs: 10_000 });
  await engine.start();
  const load = await runLoad(engine, 'clean', { clients: 3, durationMs: 2000, tag: 'cl', linesPerBatch: 200 });
  proxy.set({ throttleShare: 0 });
  await engine.shutdown(10_000);
  const reader = localClient(k.endpoint);
  const v = verify(load.outcomes, await readStream(reader, 'clean'));
  reader.destroy();
  t.equal(v.missing, 0);
  t.equal(v.duplicates, 0, 'no duplicates without unknown outcomes');
  t.equal(await counterValue(metrics, 'kinflux_kinesis_unknown_outcomes_total', { stream: 'clean' }), 0, 'throttled entries have a known outcome');
});
