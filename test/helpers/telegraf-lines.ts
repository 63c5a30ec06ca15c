// Telegraf-like line protocol from the repo's deterministic generator (bench/lib/telegraf-lines.mjs), and an independent oracle that decodes
// exactly what that generator emits (quoted strings with spaces, escaped spaces in tags, i-suffixed integers).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FieldValue, Point } from '../../src/parse/types.js';

export const GENERATOR = fileURLToPath(new URL('../../bench/lib/telegraf-lines.mjs', import.meta.url));

/** `n` lines (each ending in \n), the same for the same seed. */
export function telegrafLines(n: number, seed = 42): string {
  return execFileSync(process.execPath, [GENERATOR, String(n), String(seed)], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

const lists = new Map<string, string[]>();
/** The same lines as an array (no newlines), generated once per (n, seed). */
export function telegrafLineList(n: number, seed = 42): string[] {
  const key = `${n}:${seed}`;
  let lines = lists.get(key);
  if (!lines) {
    lines = telegrafLines(n, seed).split('\n').filter((l) => l.length > 0);
    lists.set(key, lines);
  }
  return lines;
}

/** Splits at `sep` outside double quotes and not after a backslash. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

const unescapeKey = (s: string): string => s.replace(/\\([ ,=])/g, '$1');

function fieldValue(raw: string): FieldValue {
  if (raw.startsWith('"')) return { type: 'string', value: raw.slice(1, -1).replace(/\\(["\\])/g, '$1') };
  if (raw.endsWith('i')) return { type: 'integer', value: BigInt(raw.slice(0, -1)) };
  if (raw.endsWith('u')) return { type: 'unsigned', value: BigInt(raw.slice(0, -1)) };
  if (/^(t|true|T|True|TRUE)$/.test(raw)) return { type: 'boolean', value: true };
  if (/^(f|false|F|False|FALSE)$/.test(raw)) return { type: 'boolean', value: false };
  return { type: 'float', value: Number(raw) };
}

/** The oracle: decodes one generator line (with a timestamp) independently of kinflux's parser. */
export function oracleDecode(line: string): Point {
  const [series, fields, ts] = splitTop(line, ' ');
  const [measurement, ...tagPairs] = splitTop(series, ',');
  const tags = tagPairs
    .map((p) => {
      const [k, v] = splitTop(p, '=');
      return [unescapeKey(k), unescapeKey(v)] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    measurement: unescapeKey(measurement),
    tags,
    fields: splitTop(fields, ',').map((p) => {
      const eq = p.search(/(?<!\\)=/);
      return [unescapeKey(p.slice(0, eq)), fieldValue(p.slice(eq + 1))] as const;
    }),
    timestamp: BigInt(ts),
  };
}

/** A stable text form of a point for comparisons (bigint-safe). */
export function pointKey(p: Point): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
