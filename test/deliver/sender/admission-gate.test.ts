// The admission glue of one stream: 413 when even an idle shard at its ceiling could not take the write's
// share in time, 503 `overloaded` with Retry-After when the backlog stands in the way, before the body too
// (saturated()), and nothing at all without pacing.
import t from 'tap';
import { DeliveryError, WriteTooLargeError } from '../../../src/deliver/errors.js';
import { AdmissionGate } from '../../../src/deliver/sender/admission-gate.js';
import { RecordPacker } from '../../../src/encode/record-packer.js';
import { ShardMap } from '../../../src/encode/shard-map.js';
import { ShardPacer } from '../../../src/pacing/shard-pacer.js';
import { StreamQueue } from '../../../src/queue/stream-queue.js';
import type { Ticket } from '../../../src/queue/ticket.js';
import { settings as base } from './setup.js';

const map = new ShardMap([
  { shardId: 'a', start: 0n, end: 2n ** 127n - 1n },
  { shardId: 'b', start: 2n ** 127n, end: 2n ** 128n - 1n },
]);

function gate(percent: number, deliveryTimeoutMs = 4000) {
  const queue = new StreamQueue(new RecordPacker<Ticket>({ aggregation: 'lines', keying: () => ({ explicitHashKey: true }) }, 1 << 20));
  const pacer = new ShardPacer(percent);
  return { queue, pacer, gate: new AdmissionGate('s', { ...base, deliveryTimeoutMs, clientTimeoutMs: 5000 }, pacer, queue) };
}

t.test('without pacing every write is taken at once', (t) => {
  const g = gate(0);
  t.equal(g.gate.admit(new Map([['a', 100 << 20]]), 100 << 20, 1000), 0);
  t.equal(g.gate.saturated(() => map, 100 << 20), undefined);
  t.end();
});

t.test('a share no shard can take within the longest deadline is 413, naming the lines that fit', (t) => {
  const g = gate(100);
  // The ceiling (1 MiB/s) for 2/3 of 4.5 s: ~3.1 MB on one shard at most.
  const v = g.gate.admit(new Map([['a', 8 << 20]]), 8 << 20, 80_000);
  t.ok(v instanceof WriteTooLargeError);
  const e = v as WriteTooLargeError;
  t.ok(e.maxLines > 0 && e.maxLines < 80_000);
  t.match(e.message, /send at most \d+ lines/);
  t.end();
});

t.test('a backlog past the horizon: 503 overloaded with Retry-After, for that shard only', (t) => {
  const g = gate(100);
  t.equal(typeof g.gate.admit(new Map([['a', 10_000]]), 10_000, 100), 'number', 'taken while the shard is idle');
  g.queue.admitted(10_000, 2 << 20, new Map([['a', 2 << 20]]));
  const v = g.gate.admit(new Map([['a', 10_000]]), 10_000, 100);
  t.ok(v instanceof DeliveryError);
  t.equal((v as DeliveryError).reason, 'overloaded');
  t.ok((v as DeliveryError).retryAfterSeconds >= 1);
  t.equal(typeof g.gate.admit(new Map([['b', 10_000]]), 10_000, 100), 'number', 'the other shard still takes writes');
  t.end();
});

t.test('saturated(): the same refusal before the body is read, from the spread of recent writes', (t) => {
  const g = gate(100);
  t.equal(g.gate.saturated(() => map, 0), undefined, 'idle: no refusal');
  g.gate.noteSpread(new Map([['a', 900], ['b', 100]]), 1000, 1000);
  g.queue.admitted(10_000, 2 << 20, new Map([['a', 2 << 20]]));
  const e = g.gate.saturated(() => map, 0);
  t.ok(e instanceof DeliveryError && e.reason === 'overloaded', 'a shard backlogged past the horizon refuses even an empty write');
  t.end();
});

t.test("an admitted write's deadline grows with its estimated drain, up to before the clients' timeout", (t) => {
  const g = gate(100, 1000);
  t.equal(g.gate.deadlineMs(0), 1000);
  t.equal(g.gate.deadlineMs(1.5), 2250);
  t.equal(g.gate.deadlineMs(100), 4500);
  t.end();
});
