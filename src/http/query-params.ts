// Strict query strings: every parameter is one string. A repeated parameter, an array form (`q[]=`), bad
// percent-encoding, invalid UTF-8 or a control character is a client mistake that gets 400 naming the
// parameter, never an array handed on to a route (which once answered 500). Values are never quoted back:
// `p` holds a token.

/** Parameters as routes read them: one string each, first occurrence. */
export type QueryParams = Record<string, string | undefined>;

const PROBLEM = Symbol('query problem');
type Parsed = QueryParams & { [PROBLEM]?: string };

/** The reason the query string was refused, if any; the hook in server.ts answers it with 400. */
export function queryProblem(query: unknown): string | undefined {
  return query !== null && typeof query === 'object' ? (query as Parsed)[PROBLEM] : undefined;
}

// C0 controls other than tab, LF and CR (a query `q` may span lines), and DEL.
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const KEY_CONTROL = /[\x00-\x1f\x7f]/;

/** Parses `a=1&b=2` (URL query or form body). Never throws; the first problem is kept for queryProblem(). */
export function parseQueryString(qs: string, where = 'query parameter'): QueryParams {
  const out: Parsed = Object.create(null) as Parsed;
  const seen = new Map<string, number>();
  let problem: string | undefined;
  const note = (p: string): void => {
    problem ??= p;
  };
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = decode(rawKey);
    if (key === undefined || KEY_CONTROL.test(key)) {
      note(`${where} ${shown(rawKey)} is not valid: use percent-encoded UTF-8 without control characters`);
      continue;
    }
    if (key === '') continue;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (/\[[^\]]*\]$/.test(key)) {
      note(`${where} ${shown(key)}: array forms are not supported; give ${shown(key.replace(/\[[^\]]*\]$/, ''))} once`);
      continue;
    }
    if (count === 2) note(`${where} ${shown(key)} is given more than once: give it once`);
    const value = decode(rawValue);
    if (value === undefined) {
      note(`${where} ${shown(key)} is not valid percent-encoded UTF-8`);
      continue;
    }
    if (CONTROL.test(value)) {
      note(`${where} ${shown(key)} holds a control character`);
      continue;
    }
    if (count === 1) out[key] = value;
  }
  if (problem !== undefined) Object.defineProperty(out, PROBLEM, { value: problem, enumerable: false });
  return out;
}

function decode(s: string): string | undefined {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    // decodeURIComponent throws on malformed escapes and on invalid UTF-8 (overlong forms, lone surrogates).
    return decodeURIComponent(plus);
  } catch {
    return undefined;
  }
}

/** A parameter name as it may appear in an error body and header: quoted, printable, short. */
function shown(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}
