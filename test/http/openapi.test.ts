// openapi.yaml is the source of truth for the routes: the spec and the server must agree both ways,
// and every status the server answers must be documented for its operation.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { send } from '../helpers/http.js';
import { buildStubServer } from '../helpers/stub-server.js';

interface Operation {
  responses: Record<string, unknown>;
}
const spec = parseYaml(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, Operation>> };
const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'patch', 'options']);
const specRoutes = new Set(
  Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.has(m)).map((m) => `${m.toUpperCase()} ${path}`)),
);

const app = buildStubServer({ KINFLUX_AUTH_TOKENS: 'tok' });
const serverRoutes = new Set<string>();
app.addHook('onRoute', (r) => {
  for (const m of [r.method].flat()) {
    // Fastify adds HEAD to every GET; only /ping's HEAD is part of the InfluxDB API.
    if (m === 'HEAD' && r.url !== '/ping') continue;
    serverRoutes.add(`${m} ${r.url}`);
  }
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
t.teardown(() => app.close());

t.test('every server route is in the spec, and every spec route is served', async (t) => {
  t.same([...serverRoutes].sort(), [...specRoutes].sort());
});

t.test('every status the server answers is documented for its operation', async (t) => {
  const auth = { authorization: 'Token tok' };
  const cases: Array<[string, string, string, string | undefined, Record<string, string>]> = [
    ['POST', '/write', '/write?db=telegraf', 'cpu v=1 1', auth],
    ['POST', '/write', '/write?db=telegraf', 'cpu v=1 1\nbad', auth],
    ['POST', '/write', '/write?db=telegraf', 'bad', auth],
    ['POST', '/write', '/write?db=telegraf&precision=x', 'cpu v=1', auth],
    ['POST', '/write', '/write', 'cpu v=1', auth],
    ['POST', '/write', '/write?db=telegraf', 'cpu v=1', {}],
    ['POST', '/api/v2/write', '/api/v2/write?bucket=b', 'cpu v=1 1', auth],
    ['POST', '/api/v2/write', '/api/v2/write?bucket=b', 'bad', auth],
    ['POST', '/api/v2/write', '/api/v2/write', 'cpu v=1', auth],
    ['POST', '/api/v2/write', '/api/v2/write?bucket=b', 'cpu v=1', {}],
    ['GET', '/ping', '/ping', undefined, {}],
    ['HEAD', '/ping', '/ping', undefined, {}],
    ['GET', '/ping', '/ping?verbose=true', undefined, {}],
    ['GET', '/query', '/query?q=SHOW%20DATABASES', undefined, auth],
    ['GET', '/query', '/query?q=SELECT%201', undefined, auth],
    ['GET', '/query', '/query?q=SHOW%20DATABASES', undefined, {}],
    ['POST', '/query', '/query', `q=SHOW+DATABASES&pad=${'x'.repeat(1024 * 1024)}`, { ...auth, 'content-type': 'application/x-www-form-urlencoded' }],
    ['GET', '/health', '/health', undefined, {}],
    ['GET', '/ready', '/ready', undefined, {}],
    ['GET', '/metrics', '/metrics', undefined, {}],
    ['GET', '/openapi.yaml', '/openapi.yaml', undefined, {}],
  ];
  for (const [method, path, target, body, headers] of cases) {
    const res = await send(url, target, body, { method, headers });
    const op = spec.paths[path]?.[method.toLowerCase()];
    t.ok(op, `${method} ${path} is in the spec`);
    t.ok(op && String(res.status) in op.responses, `${method} ${target} → ${res.status} is documented`);
  }
});

t.test('/openapi.yaml serves the file', async (t) => {
  const res = await send(url, '/openapi.yaml');
  t.equal(res.status, 200);
  t.equal(res.text, readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
});
