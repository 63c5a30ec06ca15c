// /query: kinflux takes writes only, but clients query on start-up and before writing (Telegraf's and
// python-influxdb's CREATE DATABASE, the influx shell's `use` and node-influx's SHOW DATABASES, DROP DATABASE in
// test set-ups), so those statements get InfluxDB's answers.
import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../deps.js';
import { parseQueryString, queryProblem } from '../query-params.js';
import { installBodyBudget, type BodyBudget } from '../body-budget.js';

type StatementResult = {
  statement_id: number;
  error?: string;
  series?: Array<{ name: string; columns: string[]; values: string[][] }>;
  messages?: Array<{ level: 'warning'; text: string }>;
};

/**
 * Most statements in one query: InfluxDB sets no such bound, but every statement costs an answer (SHOW DATABASES
 * up to 64 KiB), and 5,000 of them in a 75 KB form once exhausted a 512 MB heap. Real clients send one.
 */
export const MAX_STATEMENTS = 100;
/** Largest answer /query builds; past it the query gets 400 instead. */
export const MAX_QUERY_RESPONSE_BYTES = 1024 * 1024;

/** Splits `q` on semicolons outside quotes and identifiers; stops after `limit` statements (the caller refuses more). */
export function splitStatements(q: string, limit = Infinity): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === '\\') {
        cur += c + (q[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      if (out.length >= limit) return out;
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const IDENT = String.raw`("(?:[^"\\]|\\.)+"|[A-Za-z_][\w.-]*)`;
const CREATE_DATABASE = new RegExp(String.raw`^CREATE\s+DATABASE\s+${IDENT}(\s+WITH\b.*)?$`, 'is');
const DROP_DATABASE = new RegExp(String.raw`^DROP\s+DATABASE\s+${IDENT}$`, 'is');
const SHOW_DATABASES = /^SHOW\s+DATABASES$/i;

const json = (r: StatementResult): string => JSON.stringify(r);

/** An identifier as written in InfluxQL, unquoted. */
const unquote = (ident: string): string => (ident.startsWith('"') ? ident.slice(1, -1).replace(/\\(.)/g, '$1') : ident);

/**
 * Bodies /query reads: the form; any other body (python-influxdb posts an empty one as application/json) is
 * read and ignored, as InfluxDB does. Either way at most this much, and counted in the process-wide body
 * budget while it is held (a flood of large forms costs at most KINFLUX_MAX_INFLIGHT_BODY_BYTES).
 */
export const MAX_QUERY_BODY = 1024 * 1024;

export function queryRoutes(app: FastifyInstance, deps: HttpDeps, budget: BodyBudget): void {
  // Telegraf sends CREATE DATABASE as a form POST; InfluxDB also reads q from the URL.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_QUERY_BODY }, (_req, body, done) =>
    done(null, parseQueryString(String(body), 'form parameter')),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_QUERY_BODY }, (_req, _body, done) => done(null, undefined));
  // Even a Content-Type Fastify cannot parse (no slash, bad parameters) must not turn into a 415.
  app.addHook('onRequest', async (req) => {
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) req.headers['content-type'] = 'application/octet-stream';
  });
  installBodyBudget(app, budget, MAX_QUERY_BODY, app.log, 'query not run');
  app.route({
    method: ['GET', 'POST'],
    url: '/query',
    config: { api: 'v1', auth: true },
    // Also the route's limit, so a 413 names it (server.ts reads routeOptions.bodyLimit).
    bodyLimit: MAX_QUERY_BODY,
    handler: (req, reply) => {
      const badForm = queryProblem(req.body);
      if (badForm !== undefined) return sendError(reply, 'v1', 400, badForm);
      const form = req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const query = req.query as Record<string, string | undefined>;
      const q = typeof form.q === 'string' ? form.q : query.q;
      if (!q || !q.trim()) return sendError(reply, 'v1', 400, 'missing required parameter "q"');
      const statements = splitStatements(q, MAX_STATEMENTS + 1);
      if (statements.length > MAX_STATEMENTS) {
        return sendError(reply, 'v1', 400, `query has more than ${MAX_STATEMENTS} statements: send at most ${MAX_STATEMENTS} per query`);
      }
      // Each answer is serialized once, and SHOW DATABASES's list once per request however often it is asked.
      const results: string[] = [];
      let size = 0;
      let databases: string | undefined;
      for (const [i, stmt] of statements.entries()) {
        const create = CREATE_DATABASE.exec(stmt);
        const drop = DROP_DATABASE.exec(stmt);
        if (create) {
          const db = unquote(create[1]);
          // With strict routes an unrouted database can never be written: saying so here makes Telegraf drop
          // such writes instead of creating the database and retrying its 404 forever.
          const routed = !('notFound' in deps.router.resolve(db));
          if (routed) deps.router.noteDatabase(db);
          results.push(json(routed ? { statement_id: i } : { statement_id: i, error: `database "${db}" is not routed to a stream (KINFLUX_STRICT_ROUTES)` }));
        } else if (drop) {
          // Success, as clients expect (test set-ups drop and recreate), with the truth in InfluxDB's warning slot.
          const db = unquote(drop[1]);
          deps.router.forgetDatabase(db);
          results.push(json({
            statement_id: i,
            messages: [{ level: 'warning', text: `kinflux stores no data, so nothing was dropped: records already sent to Kinesis stay, and writes to "${db}" are still accepted` }],
          }));
        } else if (SHOW_DATABASES.test(stmt)) {
          databases ??= JSON.stringify([{ name: 'databases', columns: ['name'], values: deps.router.databases.map((d) => [d]) }]);
          results.push(`{"statement_id":${i},"series":${databases}}`);
        } else {
          return sendError(
            reply,
            'v1',
            400,
            `kinflux takes writes only: "${stmt.slice(0, 80)}" is not supported (only CREATE DATABASE, DROP DATABASE and SHOW DATABASES are answered)`,
          );
        }
        size += results[results.length - 1].length + 1;
        if (size > MAX_QUERY_RESPONSE_BYTES) {
          return sendError(reply, 'v1', 400, `query answer would pass ${MAX_QUERY_RESPONSE_BYTES} bytes: ask SHOW DATABASES once per query`);
        }
      }
      return reply.code(200).type('application/json; charset=utf-8').send(`{"results":[${results.join(',')}]}`);
    },
  });
}
