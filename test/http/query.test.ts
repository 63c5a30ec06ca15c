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
