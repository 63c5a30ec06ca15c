// /query statements: splitting, CREATE DATABASE under strict routes (what keeps Telegraf from retrying a 404 forever).
import t from 'tap';
import { splitStatements } from '../../src/http/routes/query.js';
import { send } from '../helpers/http.js';
import { buildStubServer } from '../helpers/stub-server.js';

t.test('statements split on semicolons outside quotes', async (t) => {
  t.same(splitStatements('CREATE DATABASE "a;b"; SHOW DATABASES;'), ['CREATE DATABASE "a;b"', 'SHOW DATABASES']);
  t.same(splitStatements("CREATE DATABASE 'x\\'y'"), ["CREATE DATABASE 'x\\'y'"]);
});

t.test('strict routes: CREATE DATABASE of an unrouted db reports an error in results, so Telegraf drops instead of looping', async (t) => {
  const app = buildStubServer({ KINFLUX_ROUTES: 'app=app-stream', KINFLUX_STRICT_ROUTES: 'true' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const routed = await send(url, '/query', 'q=CREATE+DATABASE+%22app%22', { headers: form });
  t.same(routed.json(), { results: [{ statement_id: 0 }] });
  const unrouted = await send(url, '/query', 'q=CREATE+DATABASE+%22telegraf%22', { headers: form });
  t.equal(unrouted.status, 200, 'statement errors come inside a 200, as InfluxDB sends them');
  t.match(unrouted.json(), { results: [{ statement_id: 0, error: /database "telegraf" is not routed/ }] });
  const write = await send(url, '/write?db=telegraf', 'm v=1 1');
  t.equal(write.status, 404);
  t.equal(write.json<{ error: string }>().error, 'database not found: "telegraf"');
});

t.test('/query takes any Content-Type with an empty or ignored body, as InfluxDB does (python-influxdb posts application/json)', async (t) => {
  const app = buildStubServer({});
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  for (const type of ['application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'bogus']) {
    const res = await send(url, '/query?q=CREATE+DATABASE+%22ct%22', '', { headers: { 'content-type': type } });
    t.equal(res.status, 200, `${type}: ${res.text}`);
    t.same(res.json(), { results: [{ statement_id: 0 }] });
  }
  const json = await send(url, '/query?q=SHOW+DATABASES', '{"ignored":true}', { headers: { 'content-type': 'application/json' } });
  t.equal(json.status, 200, 'a JSON body is ignored, q comes from the URL');
  t.match(json.json(), { results: [{ series: [{ values: [['ct']] }] }] });
  const none = await send(url, '/query?q=SHOW+DATABASES', '', { method: 'POST' });
  t.equal(none.status, 200, 'no Content-Type at all');
});

t.test('DROP DATABASE: 200 with a warning saying nothing was stored to drop; SHOW DATABASES forgets it', async (t) => {
  const app = buildStubServer({ KINFLUX_ROUTES: 'app=app-stream' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  await send(url, '/query', 'q=CREATE+DATABASE+%22x%22', { headers: form });
  const show = (): Promise<string[]> =>
    send(url, '/query?q=SHOW+DATABASES').then((r) => r.json<{ results: Array<{ series: Array<{ values: string[][] }> }> }>().results[0]!.series[0]!.values.map((v) => v[0]!));
  t.same(await show(), ['app', 'x']);
  const drop = await send(url, '/query', 'q=DROP+DATABASE+%22x%22%3B+DROP+DATABASE+app', { headers: form });
  t.equal(drop.status, 200);
  t.match(drop.json(), {
    results: [
      { statement_id: 0, messages: [{ level: 'warning', text: /nothing was dropped: records already sent to Kinesis stay/ }] },
      { statement_id: 1, messages: [{ level: 'warning' }] },
    ],
  });
  t.same(await show(), ['app'], 'a routed database stays, as its route does');
});
