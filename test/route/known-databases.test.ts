// SHOW DATABASES' memory of created and written databases is bounded by count and bytes, whatever clients name.
import t from 'tap';
import { KNOWN_DATABASE_LIMITS, KnownDatabases } from '../../src/route/known-databases.js';
import { createRouter } from '../../src/route/router.js';

t.test('bounded by count: the oldest name goes first', async (t) => {
  const k = new KnownDatabases();
  for (let i = 0; i < 5000; i++) k.note(`db${i}`);
  const list = k.list();
  t.equal(list.length, KNOWN_DATABASE_LIMITS.maxNames);
  t.equal(list[0], 'db4000');
  t.equal(list.at(-1), 'db4999');
});

t.test('bounded by bytes: long names cannot take more than the byte bound', async (t) => {
  const k = new KnownDatabases();
  for (let i = 0; i < 100; i++) k.note(`${i}-${'x'.repeat(10_000)}`);
  t.ok(k.byteSize <= KNOWN_DATABASE_LIMITS.maxBytes, `${k.byteSize} bytes`);
  t.equal(k.list().length, 6);
  k.note('y'.repeat(KNOWN_DATABASE_LIMITS.maxBytes + 1));
  t.notOk(k.list().some((n) => n.startsWith('y')), 'a name above the whole bound is not kept');
});

t.test('note is idempotent, forget forgets, empty names are ignored', async (t) => {
  const k = new KnownDatabases({ maxNames: 3, maxBytes: 100 });
  for (const n of ['a', 'b', 'a', '', 'c']) k.note(n);
  t.same(k.list(), ['a', 'b', 'c']);
  k.forget('b');
  k.forget('nope');
  t.same(k.list(), ['a', 'c']);
  t.equal(k.byteSize, 2);
});

t.test('the router lists routed databases first, then noted ones; routed ones cannot be forgotten; db/rp notes db', async (t) => {
  const r = createRouter(new Map([['app', 'app-stream']]), 'metrics', false);
  r.noteDatabase('telegraf');
  r.noteDatabase('app');
  r.noteDatabase('v2db/autogen');
  t.same(r.databases, ['app', 'telegraf', 'v2db']);
  r.forgetDatabase('app');
  r.forgetDatabase('telegraf');
  t.same(r.databases, ['app', 'v2db']);
});
