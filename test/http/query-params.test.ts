// Repeated, array-form and badly encoded query parameters get 400 naming the parameter on every route (once 500
// with an error-level stack per request: Telegraf retries a 5xx for ever).
import t from 'tap';
import { buildStubServer } from '../helpers/stub-server.js';
import { parseQueryString, queryProblem } from '../../src/http/query-params.js';

const app = buildStubServer({ KINFLUX_AUTH_TOKENS: 'a-token-of-sixteen-plus' });
await app.ready();
t.teardown(() => app.close());
const auth = { authorization: 'Token a-token-of-sixteen-plus' };

const cases: Array<[string, string, RegExp]> = [
  ['POST', '/write?db=a&db=b', /query parameter "db" is given more than once/],
  ['POST', '/write?db=a&precision=s&precision=ms', /query parameter "precision" is given more than once/],
  ['POST', '/api/v2/write?bucket=a&bucket=b&org=o', /query parameter "bucket" is given more than once/],
  ['GET', '/query?q=SHOW%20DATABASES&q=x', /query parameter "q" is given more than once/],
  ['GET', '/query?q[]=SHOW%20DATABASES', /query parameter "q\[\]": array forms are not supported; give "q" once/],
  ['POST', '/write?db[]=a', /query parameter "db\[\]": array forms/],
  ['POST', '/write?db[0]=a', /query parameter "db\[0\]": array forms/],
  ['POST', '/write?db=%zz', /query parameter "db" is not valid percent-encoded UTF-8/],
  ['POST', '/write?db=%C0%AF', /query parameter "db" is not valid percent-encoded UTF-8/, ],
  ['POST', '/write?db=%ED%A0%80', /query parameter "db" is not valid percent-encoded UTF-8/],
  ['POST', '/write?db=a%00b', /query parameter "db" holds a control character/],
  ['POST', '/write?d%zzb=a', /query parameter "d%zzb" is not valid/],
  ['POST', '/write?db=a&u=x&p=secret-one&p=secret-two', /query parameter "p" is given more than once/],
  ['GET', '/ping?verbose=true&verbose=false', /query parameter "verbose" is given more than once/],
  ['GET', '/health?x=%', /query parameter "x" is not valid/],
  ['GET', '/metrics?name[]=a', /array forms/],
];

t.test('each malformed query string gets 400 naming the parameter, in the dialect of the route', async (t) => {
  for (const [method, url, message] of cases) {
    const res = await app.inject({ method, url, headers: auth, ...(method === 'POST' ? { payload: 'cpu v=1 1' } : {}) });
    t.equal(res.statusCode, 400, `${method} ${url}`);
    const body = res.json<{ error?: string; message?: string; code?: string }>();
    t.match(body.error ?? body.message, message, url);
    if (url.startsWith('/api/v2/')) t.equal(body.code, 'invalid', 'v2 error shape');
    t.notMatch(res.body, /secret-(one|two)/, 'values are never quoted back');
  }
});

t.test('a form body with a repeated q is refused the same way', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/query',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'q=CREATE+DATABASE+telegraf&q=DROP+DATABASE+x',
  });
  t.equal(res.statusCode, 400);
  t.match(res.json<{ error: string }>().error, /form parameter "q" is given more than once/);
});

t.test('well-formed query strings are read as before', async (t) => {
  t.equal((await app.inject({ method: 'POST', url: '/write?db=telegraf&rp=&precision=s&u=x&p=a-token-of-sixteen-plus', payload: 'cpu v=1 1' })).statusCode, 204);
  const q = parseQueryString('q=CREATE+DATABASE+%22a%20b%22&db=x&flag&=ignored&&empty=');
  t.same({ ...q }, { q: 'CREATE DATABASE "a b"', db: 'x', flag: '', empty: '' });
  t.equal(queryProblem(q), undefined);
  const multi = await app.inject({ method: 'GET', url: '/query?q=SHOW%20DATABASES%3B%0ASHOW%20DATABASES', headers: auth });
  t.equal(multi.statusCode, 200, 'a newline inside q is allowed');
  const proto = parseQueryString('__proto__=x&constructor=y');
  t.equal(Object.getPrototypeOf(proto), null, 'no prototype to pollute');
  t.equal(proto.constructor, 'y');
});

t.test('a path that does not percent-decode gets a 400 in InfluxDB shape', async (t) => {
  for (const url of ['/%zz', '/wr%C0%AFite', '/api/v2/%E2%82']) {
    const res = await app.inject({ method: 'POST', url, payload: 'm v=1' });
    t.equal(res.statusCode, 400, url);
    t.same(res.json(), { error: 'malformed URL: the path is not valid percent-encoded UTF-8' });
    t.ok(res.headers['x-influxdb-error']);
  }
});
