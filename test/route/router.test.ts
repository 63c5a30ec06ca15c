import t from 'tap';
import { createRouter } from '../../src/route/router.js';

t.test('routes listed databases and sends the rest to the default stream', async (t) => {
  const r = createRouter(new Map([['app', 'app-stream'], ['ops', 'ops-stream']]), 'metrics', false);
  t.same(r.resolve('app'), { stream: 'app-stream' });
  t.same(r.resolve('telegraf'), { stream: 'metrics' });
  t.same(r.resolve('ops/autogen'), { stream: 'ops-stream' }, 'a v2 bucket db/rp routes by its db');
  t.same([...r.streams].sort(), ['app-stream', 'metrics', 'ops-stream']);
  t.same(r.databases, ['app', 'ops']);
});

t.test('strict routes refuse unlisted databases and do not need the default stream', async (t) => {
  const r = createRouter(new Map([['app', 'app-stream']]), 'metrics', true);
  t.same(r.resolve('app'), { stream: 'app-stream' });
  t.same(r.resolve('telegraf'), { notFound: 'telegraf' });
  t.same(r.streams, ['app-stream']);
});
