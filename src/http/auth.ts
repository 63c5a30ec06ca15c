// Token auth in the schemes InfluxDB clients send. Tokens are compared in constant time and never logged.
// Compared as bytes: a token's UTF-8 bytes against the bytes the client sent. Node hands header values over as
// latin1 (one char per byte), base64 and percent-encoding carry bytes too, so a non-ASCII token works in every scheme.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Api } from './errors.js';

export interface TokenChecker {
  /** True when the request carries a known token in a scheme its API accepts. */
  check(req: FastifyRequest, api: Api): boolean;
}

// Hashing first gives equal-length inputs, so timingSafeEqual leaks neither content nor length.
const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

export function createTokenChecker(tokens: readonly string[]): TokenChecker {
  const known = tokens.map((t) => digest(Buffer.from(t, 'utf8')));
  const matches = (candidate: Buffer): boolean => {
    if (candidate.length === 0) return false;
    const d = digest(candidate);
    let hit = false;
    for (const k of known) hit = timingSafeEqual(k, d) || hit; // no early exit: same work for every token
    return hit;
  };
  return {
    check(req, api) {
      if (known.length === 0) return true;
      const header = req.headers.authorization ?? '';
      const space = header.indexOf(' ');
      const scheme = space > 0 ? header.slice(0, space).toLowerCase() : '';
      const cred = space > 0 ? header.slice(space + 1).trim() : '';
      if (scheme === 'token' || scheme === 'bearer') return matches(Buffer.from(cred, 'latin1'));
      // Basic with the token as password: InfluxDB 1.x clients, and Prometheus' remote_write basic_auth.
      if (api !== 'v1' && api !== 'prom') return false;
      if (scheme === 'basic') {
        const decoded = Buffer.from(cred, 'base64');
        const colon = decoded.indexOf(0x3a);
        return matches(colon >= 0 ? decoded.subarray(colon + 1) : decoded);
      }
      if (api !== 'v1') return false;
      const q = req.query as Record<string, unknown>;
      return typeof q.p === 'string' && matches(Buffer.from(q.p, 'utf8'));
    },
  };
}
