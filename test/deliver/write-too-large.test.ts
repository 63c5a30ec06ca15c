// 413 whatever the backlog (issue 22, finding 4): a write that could never be delivered before its deadline
// at its shard's full rate gets 413, before its body is read as after its parse. Before, once the shards had
// seen traffic, the check before the body answered such a write 503 + Retry-After, again on every retry.
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { DeliveryError, WriteTooLargeError } from '../../src/deliver/engine.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { buildStubServer } from '../helpers/stub-server.js';
import { send } from '../helpers/http.js';
import { makeEngine, telegrafLines } from './engine-setup.js';

const MiB = 1024 * 1024;
// deliveryTimeoutMs 4000, clients' 5 s: the longest deadline is 4.5 s; ⅔ of it at 1 MiB/s is 3 MiB per shard.

/** Writes of one mix, all at once, until admission refuses one: the shards then hold a backlog. */
async function backlog(engine: ReturnType<typeof makeEngine>['engine'], stream: string, lines: string[]): Promise<Array<Promise<unknown>>> {
  const pending: Array<Promise<unknown>> = [];
  let refused = false;
  for (let i = 0; i < 200 && !refused; i++) {
    pending.push(engine.submit(stream, batchFromLines(lines)).catch(() => (refused = true)));
    await new Promise((r) => setImmediate(r));
  }
  return pending;
}

t.test('a 30 MiB write to a stream with traffic and backlog: 413 before the body, not 503', async (t) => {
  const s = await startKinesisStandin({ streams: { big: 2 }, latencyMs: 20 });
  t.teardown(() => s.close());
  const { engine } = makeEngine(s.endpoint, ['big'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000 });
  await engine.start();
  const pending = await backlog(engine, 'big', telegrafLines(1000, 3));
  for (let i = 0; i < 4; i++) {
    const early = engine.saturated('big', 30 * MiB);
    t.ok(early instanceof WriteTooLargeError, `try ${i + 1}: ${early?.message}`);
    t.ok(early instanceof WriteTooLargeError && early.maxBytes > 0 && early.maxBytes < 30 * MiB, 'names a size that fits');
  }
  t.equal(engine.saturated('big', 100_000) instanceof WriteTooLargeError, false, 'a write that fits is never 413');
  await Promise.all(pending);
  await engine.shutdown(5000);
});

t.test('a write too large for its one shard: judged after the parse (413) even where the estimate before the body is unsure', async (t) => {
  const s = await startKinesisStandin({ streams: { hot: 4 }, latencyMs: 20 });
  t.teardown(() => s.close());
  const { engine } = makeEngine(s.endpoint, ['hot'], { shardRateLimitPercent: 100, deliveryTimeoutMs: 4000 });
  await engine.start();
  // Recent writes all went to one shard (one series), and that shard is backlogged.
  const one = Array.from({ length: 2000 }, (_, i) => `hot,host=a v=${i}i,w=${i * 3}i ${1_700_000_000_000_000_000 + i}`);
  const pending = await backlog(engine, 'hot', one);
  // 7 MiB: over one shard's 3 MiB, yet spread evenly over 4 shards it would fit. Not refused 503 before the body...
  const early = engine.saturated('hot', 7 * MiB);
  t.notOk(early instanceof DeliveryError, `not a 503 before the body (${early?.message ?? 'passed'})`);
  // ...and after the parse the exact rule: 413, backlog or not.
  const lines = Array.from({ length: 110_000 }, (_, i) => `hot,host=a v=${i}i,w=${i * 3}i ${1_700_000_000_000_000_000 + i}`);
  const late = await engine.submit('hot', batchFromLines(lines)).catch((e: unknown) => e);
  t.ok(late instanceof WriteTooLargeError, `413 after the parse: ${(late as Error).message}`);
  await Promise.all(pending);
  await engine.shutdown(5000);
});

t.test('HTTP: the 413 admission gives before the body is a 413 without Retry-After', async (t) => {
  const app = buildStubServer({}, { delivery: { saturated: () => new WriteTooLargeError('metrics', 3 * MiB, 0, 'write too large to deliver') } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  for (const path of ['/write?db=metrics', '/api/v2/write?bucket=metrics&org=o']) {
    const r = await send(`http://127.0.0.1:${port}`, path, 'a v=1i 1\n');
    t.equal(r.status, 413, `${path}: ${r.text}`);
    t.equal(r.headers['retry-after'], undefined, 'no Retry-After');
  }
});
