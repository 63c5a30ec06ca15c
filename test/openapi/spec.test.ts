// openapi.yaml: a valid OpenAPI 3.1 document that describes the contract's routes, status codes,
// error bodies and auth. (That the server's routes and the spec agree is a separate test.)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';

const specPath = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Obj = Record<string, any>;

/** The routes of CONTRACT.md (plus /openapi.yaml from issue 5): path → methods. */
const CONTRACT_ROUTES: Record<string, string[]> = {
  '/write': ['post'],
  '/api/v2/write': ['post'],
  '/api/v3/write_lp': ['post'],
  '/api/v1/write': ['post'],
  '/api/v1/prom/write': ['post'],
  '/v1/metrics': ['post'],
  '/ping': ['get', 'head'],
  '/query': ['get', 'post'],
  '/health': ['get'],
  '/ready': ['get'],
  '/metrics': ['get'],
  '/openapi.yaml': ['get'],
};
const OPEN_ROUTES = new Set(['/ping', '/health', '/ready', '/metrics', '/openapi.yaml']);

/** Every operation of a (dereferenced) document, as [path, method, operation]. */
function operations(doc: Obj): Array<[string, string, Obj]> {
  const out: Array<[string, string, Obj]> = [];
  for (const [path, item] of Object.entries<Obj>(doc.paths ?? {})) {
    for (const m of METHODS) if (item[m]) out.push([path, m, item[m]]);
  }
  return out;
}

const raw = readFileSync(specPath, 'utf8');

t.test('parses as strict YAML without duplicate keys', async (t) => {
  const doc = parse(raw, { strict: true, uniqueKeys: true }) as Obj;
  t.equal(doc.openapi, '3.1.0');
  t.equal(doc.info.title, 'kinflux');
});

t.test('is a valid OpenAPI 3.1 document (swagger-parser: schema and $refs)', async (t) => {
  // validate() dereferences in place, so it gets its own copy of the document.
  const api = (await SwaggerParser.validate(parse(raw) as any)) as Obj;
  t.ok(api.paths, 'has paths');
});

t.test('a broken document is refused (the validator is really on)', async (t) => {
  const broken = parse(raw) as Obj;
  delete broken.paths['/write'].post.responses['204'].description; // description is required
  await t.rejects(SwaggerParser.validate(broken as any));
});

t.test('describes exactly the contract routes', async (t) => {
  const doc = parse(raw) as Obj;
  const actual: Record<string, string[]> = {};
  for (const [path, method] of operations(doc)) (actual[path] ??= []).push(method);
  for (const methods of Object.values(actual)) methods.sort();
  const expected = Object.fromEntries(Object.entries(CONTRACT_ROUTES).map(([p, m]) => [p, [...m].sort()]));
  t.same(actual, expected);
});

t.test('every operation is walkable: operationId, responses with descriptions', async (t) => {
  const doc = (await SwaggerParser.dereference(parse(raw) as any)) as Obj;
  const ids = new Set<string>();
  for (const [path, method, op] of operations(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    t.type(op.operationId, 'string', `${where} has an operationId`);
    t.notOk(ids.has(op.operationId), `${where} operationId is unique`);
    ids.add(op.operationId);
    const codes = Object.keys(op.responses ?? {});
    t.ok(codes.length > 0, `${where} has responses`);
    for (const code of codes) {
      t.match(code, /^[1-5]\d\d$/, `${where} ${code} is an explicit status code`);
      t.type(op.responses[code].description, 'string', `${where} ${code} has a description`);
    }
  }
});

t.test('write endpoints: status codes, error shapes and headers of the contract', async (t) => {
  const doc = (await SwaggerParser.dereference(parse(raw) as any)) as Obj;
  const cases = [
    { path: '/write', errorProp: 'error', headerOn400: 'X-Influxdb-Error' },
    { path: '/api/v2/write', errorProp: 'code', headerOn400: undefined },
  ];
  for (const c of cases) {
    const op = doc.paths[c.path].post;
    t.same(Object.keys(op.responses).sort(), ['204', '400', '401', '404', '413', '503'], `${c.path} codes`);
    t.notOk(op.responses['204'].content, `${c.path} 204 has no body`);
    for (const code of ['400', '401', '404', '413', '503']) {
      const schema = op.responses[code].content?.['application/json']?.schema;
      t.ok(schema?.required?.includes(c.errorProp), `${c.path} ${code} JSON error has "${c.errorProp}"`);
    }
    t.ok(op.responses['503'].headers?.['Retry-After'], `${c.path} 503 has Retry-After`);
    if (c.headerOn400) t.ok(op.responses['400'].headers?.[c.headerOn400], `${c.path} 400 has ${c.headerOn400}`);
    t.ok(op.requestBody?.required, `${c.path} body required`);
    t.ok(op.requestBody.content['text/plain'], `${c.path} takes text/plain`);
    const params = new Map<string, Obj>(op.parameters.map((p: Obj) => [`${p.in}:${p.name}`, p]));
    t.same(params.get('header:Content-Encoding')?.schema.enum, ['gzip', 'identity'], `${c.path} gzip`);
  }
  const v1 = new Map<string, Obj>(doc.paths['/write'].post.parameters.map((p: Obj) => [p.name, p]));
  for (const name of ['db', 'rp', 'precision', 'u', 'p', 'consistency']) t.ok(v1.get(name), `/write ?${name}`);
  t.same(v1.get('precision')!.schema.enum, ['n', 'ns', 'u', 'ms', 's', 'm', 'h']);
  const v2 = new Map<string, Obj>(doc.paths['/api/v2/write'].post.parameters.map((p: Obj) => [p.name, p]));
  for (const name of ['org', 'bucket', 'orgID', 'precision']) t.ok(v2.get(name), `/api/v2/write ?${name}`);
  t.same(v2.get('precision')!.schema.enum, ['ns', 'us', 'ms', 's']);
  t.same(
    doc.components.schemas.V2Error.properties.code.enum,
    ['invalid', 'not found', 'unauthorized', 'request too large', 'unavailable'],
  );
});

t.test('probes and query answers', async (t) => {
  const doc = (await SwaggerParser.dereference(parse(raw) as any)) as Obj;
  const ping = doc.paths['/ping'];
  for (const m of ['get', 'head']) {
    const h = ping[m].responses['204'].headers;
    t.ok(h['X-Influxdb-Version'] && h['X-Influxdb-Build'], `${m} /ping 204 headers`);
    t.equal(h['X-Influxdb-Build'].schema.const, 'kinflux');
  }
  t.ok(ping.get.responses['200'].content['application/json'].schema.required.includes('version'), 'verbose ping');
  for (const code of ['200', '503']) {
    const s = doc.paths['/health'].get.responses[code].content['application/json'].schema;
    t.same(s.properties.status.enum, ['pass', 'fail'], `/health ${code} status`);
    t.ok(s.properties.checks.items.required.includes('name'), `/health ${code} checks name the stream`);
  }
  t.same(Object.keys(doc.paths['/ready'].get.responses).sort(), ['200', '400', '503'], '400: a malformed query string');
  t.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain'], '/metrics text/plain');
  const q = doc.paths['/query'];
  t.ok(q.post.requestBody.content['application/x-www-form-urlencoded'], 'POST /query takes a form');
  for (const m of ['get', 'post']) {
    t.same(Object.keys(q[m].responses).sort(), ['200', '400', '401', '413', '503'], `${m} /query codes`);
    const ok = q[m].responses['200'].content['application/json'];
    t.same(ok.examples.createDatabase.value, { results: [{ statement_id: 0 }] }, `${m} /query CREATE DATABASE`);
  }
});

t.test('auth: schemes, protected writes and queries, open probes', async (t) => {
  const doc = parse(raw) as Obj;
  const schemes = doc.components.securitySchemes;
  t.match(schemes.TokenAuth, { type: 'apiKey', in: 'header', name: 'Authorization' });
  t.match(schemes.BasicAuth, { type: 'http', scheme: 'basic' });
  t.match(schemes.QueryAuth, { type: 'apiKey', in: 'query', name: 'p' });
  t.notOk(doc.security, 'no global security: each operation says');
  for (const [path, method, op] of operations(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    t.ok(Array.isArray(op.security), `${where} states its security`);
    if (OPEN_ROUTES.has(path)) {
      t.same(op.security, [], `${where} is open`);
    } else {
      const names = op.security.flatMap((r: Obj) => Object.keys(r));
      t.ok(names.includes('TokenAuth'), `${where} takes a token`);
      // Basic and ?p= are InfluxDB 1.x's (/write, /query); remote_write takes Basic too; the others Token/Bearer only.
      if (path === '/write' || path === '/query') t.ok(names.includes('BasicAuth') && names.includes('QueryAuth'), `${where} v1 auth`);
      else if (path.startsWith('/api/v1/')) t.ok(names.includes('BasicAuth') && !names.includes('QueryAuth'), `${where} Basic, no ?p=`);
      else t.notOk(names.includes('BasicAuth') || names.includes('QueryAuth'), `${where} Token/Bearer only`);
      t.ok(op.responses['401'], `${where} documents 401`);
    }
  }
});

/** Checks an example against the small subset of JSON Schema used here. */
function conforms(value: unknown, schema: Obj, at: string, errors: string[]): void {
  if (schema.const !== undefined && value !== schema.const) errors.push(`${at}: not ${schema.const}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${String(value)} not in enum`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') errors.push(`${at}: not a string`);
      break;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${at}: not an integer`);
      break;
    case 'array':
      if (!Array.isArray(value)) errors.push(`${at}: not an array`);
      else if (schema.items) value.forEach((v, i) => conforms(v, schema.items, `${at}[${i}]`, errors));
      break;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        errors.push(`${at}: not an object`);
        break;
      }
      const o = value as Obj;
      for (const k of schema.required ?? []) if (!(k in o)) errors.push(`${at}: missing ${k}`);
      for (const [k, s] of Object.entries<Obj>(schema.properties ?? {})) if (k in o) conforms(o[k], s, `${at}.${k}`, errors);
      break;
    }
  }
}

t.test('every JSON example conforms to its schema', async (t) => {
  const doc = (await SwaggerParser.dereference(parse(raw) as any)) as Obj;
  const errors: string[] = [];
  let n = 0;
  for (const [path, method, op] of operations(doc)) {
    for (const [code, resp] of Object.entries<Obj>(op.responses)) {
      const media = resp.content?.['application/json'];
      if (!media) continue;
      const examples: Array<[string, unknown]> = [];
      if (media.example !== undefined) examples.push(['example', media.example]);
      for (const [name, ex] of Object.entries<Obj>(media.examples ?? {})) examples.push([name, ex.value]);
      for (const [name, value] of examples) {
        n++;
        conforms(value, media.schema, `${method.toUpperCase()} ${path} ${code} ${name}`, errors);
      }
    }
  }
  t.ok(n >= 15, `found the examples (${n})`);
  t.same(errors, []);
});
