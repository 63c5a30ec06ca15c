// The requests not answered yet. At the shutdown deadline each one still open gets a 503 (with
// Connection: close) instead of the process waiting on it: a slow upload must not hold a stopping
// gateway past KINFLUX_SHUTDOWN_TIMEOUT_MS, and its client learns to retry elsewhere.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

const trackers = new WeakMap<FastifyInstance, Map<FastifyRequest, FastifyReply>>();

/** Tracks every request from its headers to its answer (or its client's abort). */
export function trackOpenRequests(app: FastifyInstance): void {
  const open = new Map<FastifyRequest, FastifyReply>();
  trackers.set(app, open);
  app.addHook('onRequest', async (req, reply) => {
    open.set(req, reply);
  });
  const forget = async (req: FastifyRequest): Promise<void> => {
    open.delete(req);
  };
  app.addHook('onResponse', forget);
  app.addHook('onRequestAbort', forget);
}

/**
 * Answers every request still open with 503 and Connection: close, whatever stage it is at (a body still
 * arriving included: HTTP lets a server answer before the body ends). Returns how many were answered.
 */
export function answerOpenRequests(app: FastifyInstance, message: string): number {
  const open = trackers.get(app);
  if (!open) return 0;
  let answered = 0;
  for (const [req, reply] of open) {
    open.delete(req);
    if (reply.sent || reply.raw.headersSent || req.raw.socket?.destroyed) continue;
    reply.header('connection', 'close');
    sendError(reply, req.routeOptions.config?.api ?? 'v1', 503, message, { retryAfter: 2 });
    answered++;
  }
  return answered;
}
