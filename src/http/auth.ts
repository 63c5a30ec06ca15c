// Token auth in the schemes InfluxDB clients send. Tokens are compared in constant time and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Api } from './errors.js';

export interface TokenChecker {
  /** True when the request carries a known token in a scheme its API accepts. */
  check(req: FastifyRequest, api: Api): boolean;
}

// Hashing first gives equal-length inputs, so timingSafeEqual leaks neither content nor length.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function createTokenChecker(tokens: readonly string[]): TokenChecker {
  const known = tokens.map(digest);
  const matches = (candidate: string | undefined): boolean => {
    if (candidate === undefined || candidate === '') return false;
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
      if (scheme === 'token' || scheme === 'bearer') return matches(cred);
      if (api !== 'v1') return false;
      if (scheme === 'basic') {
        const decoded = Buffer.from(cred, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        return matches(colon >= 0 ? decoded.slice(colon + 1) : decoded);
      }
      const q = req.query as Record<string, unknown>;
      return typeof q.p === 'string' && matches(q.p);
    },
  };
}
