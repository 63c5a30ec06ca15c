import t from 'tap';
import { boundPartitionKey, partitionKeyFunction } from '../../src/encode/partition-key.js';
import { batchFromLines } from './batch-from-lines.js';

const batch = batchFromLines([
  'cpu,cpu=cpu0,host=web\\ 1 usage=1 1700000000000000000',
  'my\\ measure,region=eu usage=2 1700000000000000000',
  'mem free=3i 1700000000000000000',
]);

t.test('series: measurement plus sorted tag set, as escaped in the canonical line', async (t) => {
  const f = partitionKeyFunction({ method: 'series' });
  t.same([0, 1, 2].map((i) => f(batch, i)), ['cpu,cpu=cpu0,host=web\\ 1', 'my\\ measure,region=eu', 'mem']);
});

t.test('measurement: unescaped', async (t) => {
  const f = partitionKeyFunction({ method: 'measurement' });
  t.same([0, 1, 2].map((i) => f(batch, i)), ['cpu', 'my measure', 'mem']);
});

t.test('static', async (t) => {
  const f = partitionKeyFunction({ method: 'static', key: 'fixed' });
  t.equal(f(batch, 1), 'fixed');
});

t.test("tag: Telegraf's rule (value, else default, else telegraf)", async (t) => {
  const host = partitionKeyFunction({ method: 'tag', tag: 'host', default: 'nohost' });
  t.same([0, 1, 2].map((i) => host(batch, i)), ['web 1', 'nohost', 'nohost']);
  const region = partitionKeyFunction({ method: 'tag', tag: 'region', default: '' });
  t.same([0, 1, 2].map((i) => region(batch, i)), ['telegraf', 'eu', 'telegraf']);
});

t.test('random: a fresh UUID each time', async (t) => {
  const f = partitionKeyFunction({ method: 'random' });
  const a = f(batch, 0);
  t.match(a, /^[0-9a-f-]{36}$/);
  t.not(a, f(batch, 0));
});

t.test('keys over 256 characters become a stable, shorter key', async (t) => {
  const long = `cpu,${'host=x'.repeat(100)}`;
  const k = boundPartitionKey(long);
  t.ok(k.length <= 256, `length ${k.length}`);
  t.equal(k, boundPartitionKey(long), 'stable');
  t.not(k, boundPartitionKey(`${long}y`), 'distinct for distinct keys');
  t.ok(k.startsWith('cpu,host=x'));
  const emoji = '😀'.repeat(200);
  const e = boundPartitionKey(emoji);
  t.ok(e.length <= 256);
  t.doesNotThrow(() => encodeURIComponent(e), 'no broken surrogate pair');
  t.equal(boundPartitionKey('a'.repeat(256)), 'a'.repeat(256), '256 is still fine');
  const series = partitionKeyFunction({ method: 'series' });
  t.ok(series(batchFromLines([`${long} v=1 1`]), 0).length <= 256);
});
