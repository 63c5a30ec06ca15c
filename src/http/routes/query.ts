// /query: kinflux takes writes only, but clients query on start-up (Telegraf's CREATE DATABASE,
// node-influx's SHOW DATABASES), so those two statements get InfluxDB's answers.
import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../deps.js';
import { parseQueryString, queryProblem } from '../query-params.js';

type StatementResult = { statement_id: number; error?: string; series?: Array<{ name: string; columns: string[]; values: string[][] }> };

/** Splits `q` on semicolons outside quotes and identifiers. */
export function splitStatements(q: string): string[] {
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
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const CREATE_DATABASE = /^CREATE\s+DATABASE\s+("(?:[^"\\]|\\.)+"|[A-Za-z_][\w.-]*)(\s+WITH\b.*)?$/is;
const SHOW_DATABASES = /^SHOW\s+DATABASES$/i;

export function queryRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // Telegraf sends CREATE DATABASE as a form POST; InfluxDB also reads q from the URL.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) =>
    done(null, parseQueryString(String(body), 'form parameter')),
  );
  app.route({
    method: ['GET', 'POST'],
    url: '/query',
    config: { api: 'v1', auth: true },
    handler: (req, reply) => {
      const badForm = queryProblem(req.body);
      if (badForm !== undefined) return sendError(reply, 'v1', 400, badForm);
      const form = req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const query = req.query as Record<string, string | undefined>;
      const q = typeof form.q === 'string' ? form.q : query.q;
      if (!q || !q.trim()) return sendError(reply, 'v1', 400, 'missing required parameter "q"');
      const results: StatementResult[] = [];
      for (const [i, stmt] of splitStatements(q).entries()) {
        const create = CREATE_DATABASE.exec(stmt);
        if (create) {
          const db = create[1].startsWith('"') ? create[1].slice(1, -1).replace(/\\(.)/g, '$1') : create[1];
          // With strict routes an unrouted database can never be written: saying so here makes Telegraf drop
          // such writes instead of creating the database and retrying its 404 forever.
          const routed = !('notFound' in deps.router.resolve(db));
          results.push(routed ? { statement_id: i } : { statement_id: i, error: `database "${db}" is not routed to a stream (KINFLUX_STRICT_ROUTES)` });
        } else if (SHOW_DATABASES.test(stmt)) {
          results.push({ statement_id: i, series: [{ name: 'databases', columns: ['name'], values: deps.router.databases.map((d) => [d]) }] });
        } else {
          return sendError(reply, 'v1', 400, `kinflux takes writes only: "${stmt.slice(0, 80)}" is not supported (only CREATE DATABASE and SHOW DATABASES are answered)`);
        }
      }
      return reply.code(200).type('application/json').send({ results });
    },
  });
}
