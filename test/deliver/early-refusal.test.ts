// The early 503: a write admission would refuse is refused before its body is read and parsed. Before, the
// check weighed an empty write against the backlog, so most refusals came after the read, parse and encode.
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { DeliveryError } from '../../src/deliver/engine.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { makeEngine, telegrafLines } from './engine-setup.js';

t.test('at the edge where writes of B bytes are refused after their parse, a write announcing 2B is refused before its body; one announcing nothing is judged no more strictly', async (t) => {
  const s = await startKinesisStandin({ streams: { early: 4 }, latencyMs: 20 });
  t.teardown(() => s.close());
  const { engine } = makeEngine(s.endpoint, ['early'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000 });
  await engine.start();
  const lines = telegrafLines(1000, 3);
  const bodyBytes = lines.reduce((n, l) => n + l.length + 1, 0);
  t.equal(engine.saturated('early', 2 * bodyBytes), undefined, 'an idle stream refuses nothing');
  // Writes of the same mix, all at once, until admission refuses one: the shards' backlog is at the horizon.
  const pending: Array<Promise<unknown>> = [];
  let refusedLate: unknown;
  // Judged in the refusal's own turn: no call can come back (and drain the backlog) before its handler runs;
  // beside CPU burners the loop below noticed the refusal late enough for the backlog to fall under the edge.
  let early: ReturnType<typeof engine.saturated>;
  let earlyWithoutSize: ReturnType<typeof engine.saturated>;
  let earlyAtB: ReturnType<typeof engine.saturated>;
  for (let i = 0; i < 200 && !refusedLate; i++) {
    const p = engine.submit('early', batchFromLines(lines)).catch((e: unknown) => {
      if (refusedLate) return;
      refusedLate = e;
      early = engine.saturated('early', 2 * bodyBytes);
      earlyWithoutSize = engine.saturated('early', 0);
      earlyAtB = engine.saturated('early', bodyBytes);
    });
    pending.push(p);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
  t.ok(refusedLate instanceof DeliveryError, 'admission refused a write after its parse');
  t.equal((refusedLate as DeliveryError).nothingSent, true, 'and says nothing of it was sent (issue 22: honest texts)');
  // At the edge itself a write of B bytes may still pass the early check: its estimate is taken a tenth
  // small, so a write that might fit is parsed and judged exactly rather than refused wrongly.
  t.ok(early instanceof DeliveryError && early.retryAfterSeconds >= 1, `a write of ${2 * bodyBytes} bytes is now refused before its body, Retry-After ${(early as DeliveryError | undefined)?.retryAfterSeconds}`);
  if (earlyWithoutSize) t.ok(earlyAtB, 'no size: never refused where a size would not be');
  await Promise.all(pending);
  await engine.shutdown(3000);
});
