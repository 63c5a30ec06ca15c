// Error bodies in the shapes clients parse: InfluxDB 1.x `{"error"}`, 2.x `{"code","message"}`, 3.x
// `{"error","data"}` (/api/v3/write_lp); OTLP's google.rpc.Status on /v1/metrics; plain text for remote_write.
import type { FastifyReply } from 'fastify';
import { CONTENT_TYPES, encodingOf, statusBody } from './otlp-response.js';

export type Api = 'v1' | 'v2' | 'v3' | 'otlp' | 'prom';

/** InfluxDB 2.x error codes, by HTTP status. */
const V2_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  413: 'request too large',
  422: 'unprocessable entity',
  429: 'too many requests',
  431: 'invalid',
  500: 'internal error',
  503: 'unavailable',
};

export interface ErrorExtra {
  /** Seconds, for 503. */
  retryAfter?: number;
  /** v2 only: the first bad line's number, as InfluxDB 2.x reports it. */
  line?: number;
  maxLength?: number;
  /** v3 only: the `data` member (a partial write's rejected lines). */
  data?: unknown;
}

/** Sends a JSON error in the dialect of the endpoint; the message names the cause, never a stack. */
export function sendError(reply: FastifyReply, api: Api, status: number, message: string, extra: ErrorExtra = {}): FastifyReply {
  if (extra.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(extra.retryAfter))));
  if (api === 'otlp') {
    // OTLP/HTTP: a google.rpc.Status in the request's encoding (JSON when it named none kinflux reads).
    const enc = encodingOf(reply.request.headers['content-type']) ?? 'json';
    return reply.code(status).type(CONTENT_TYPES[enc]).send(statusBody(enc, status, message));
  }
  if (api === 'prom') {
    // Prometheus remote_write: senders ignore the body; a line of text for the operator reading their logs.
    return reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);
  }
  reply.code(status).type('application/json; charset=utf-8');
  if (api === 'v3') {
    // InfluxDB 3: `{"error": …}`, with `data` for write_lp's rejected lines (Telegraf's influxdb_v3 output parses both).
    return reply.send(JSON.stringify(extra.data === undefined ? { error: message } : { error: message, data: extra.data }));
  }
  if (api === 'v1') {
    // Telegraf and the influx CLI read this header; InfluxDB truncates it to 1 KiB.
    reply.header('x-influxdb-error', headerSafe(message).slice(0, 1024));
    if (status === 401) reply.header('www-authenticate', 'Basic realm="InfluxDB"');
    return reply.send(JSON.stringify({ error: message }));
  }
  const code = V2_CODES[status] ?? (status >= 500 ? 'internal error' : 'invalid');
  reply.header('x-platform-error-code', code);
  const body: Record<string, unknown> = { code, message };
  if (extra.line !== undefined) body.line = extra.line;
  if (extra.maxLength !== undefined) body.maxLength = extra.maxLength;
  return reply.send(JSON.stringify(body));
}

/** Header values cannot hold newlines or non-latin1 characters. */
function headerSafe(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e\x80-\xff]/g, '?');
}
