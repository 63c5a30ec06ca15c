// A token's canonical spelling for a record line, from its UTF-8 bytes: copied as it is when it holds no special
// byte, else escaped by the rules of escape.ts and checked by those of consumers.ts. Shared by PointBuilder and by
// the OTLP mapper, which spells a scope's tags once for all its data points. Pure.
import { escapeFieldKey, escapeMeasurement, escapeString, escapeTag, fieldKeyNeedsRaw } from './escape.js';
import { FK_READ_ALIKE, fieldKeyFacts, readAlike } from './consumers.js';
import { Byte, ESCAPE_ALWAYS_BYTES, KIND_TEXT, K_FIELD_KEY, K_MEASUREMENT, K_STRING, K_TAG_KEY, K_TAG_VALUE, UNESCAPED_NAME_BYTES, isTelegrafControl } from './grammar.js';

/**
 * Per kind, per byte: 0 plain, 1 special (the token takes the escaping path: a byte its canonical spelling
 * escapes (grammar.ts), or a backslash), 2 refused. Telegraf's grammar refuses tab, LF, VT, FF and CR in
 * names and keys even escaped; InfluxDB's scanner skips a NUL where a name starts. In strings only LF
 * matters: it would split the line.
 */
const CLASSES: readonly Uint8Array[] = Object.freeze([K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, K_FIELD_KEY, K_STRING].map((kind) => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    if (kind === K_STRING ? c === Byte.LF : isTelegrafControl(c) || c === Byte.NUL) t[c] = 2;
    else if (c === Byte.BACKSLASH || ESCAPE_ALWAYS_BYTES[kind][c] === 1) t[c] = 1;
  }
  return t;
}));

/**
 * Writes the canonical spelling of b[s..e) of this kind at d[at..] (room for 3 × (e - s) ensured; 2 × for a
 * string) and returns its end, or -1 when no record line can carry it (unspellable() says why).
 */
export function spell(d: Buffer, at: number, b: Uint8Array, s: number, e: number, kind: number): number {
  // Copied as it is checked: most tokens need no escape.
  const cls = CLASSES[kind];
  let plain = true;
  let backslash = false;
  let o = at;
  for (let i = s; i < e; i++) {
    const c = b[i];
    d[o++] = c;
    const k = cls[c];
    if (k === 0) continue;
    if (k === 2) return -1;
    plain = false;
    if (c === Byte.BACKSLASH) backslash = true;
  }
  if (plain) return o;
  if (!backslash && kind !== K_STRING) return checked(d, at, escapeAlways(d, at, b, s, e, kind), kind);
  const raw = Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
  if (kind !== K_STRING && unescapable(raw, kind)) return -1;
  const spelled = kind === K_MEASUREMENT ? escapeMeasurement(raw) : kind === K_STRING ? escapeString(raw) : kind === K_FIELD_KEY ? escapeFieldKey(raw) : escapeTag(raw);
  const end = at + d.write(spelled, at, 'latin1');
  return kind === K_STRING ? end : checked(d, at, end, kind);
}

/**
 * A name, key or tag value without a backslash, spelled: a backslash before each byte its kind always escapes
 * (ESCAPE_ALWAYS). The rules' regular expressions (escape.ts) do just that to such a token (the after-backslash
 * rules need a backslash in the value), at the cost of a string each way. Returns the end.
 */
function escapeAlways(d: Buffer, at: number, b: Uint8Array, s: number, e: number, kind: number): number {
  const always = ESCAPE_ALWAYS_BYTES[kind];
  let o = at;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (always[c] === 1) d[o++] = Byte.BACKSLASH;
    d[o++] = c;
  }
  return o;
}

/** `end`, when every consumer reads the spelled token d[at, end) of this kind alike (consumers.ts); else -1. */
function checked(d: Buffer, at: number, end: number, kind: number): number {
  const ok = kind === K_FIELD_KEY ? ((-1 - fieldKeyFacts(d, at, end)) & FK_READ_ALIKE) !== 0 : readAlike(d, at, end, kind);
  return ok ? end : -1;
}

/** True when spell() writes b[s..e) of this kind as it is: no byte it escapes or refuses. */
export function plain(b: Uint8Array, s: number, e: number, kind: number): boolean {
  const cls = CLASSES[kind];
  for (let i = s; i < e; i++) if (cls[b[i]] !== 0) return false;
  return true;
}

/** Why spell() refused b[s..e) of this kind; `key` names a string field. */
export function unspellable(b: Uint8Array, s: number, e: number, kind: number, key?: string): string {
  const cls = CLASSES[kind];
  for (let i = s; i < e; i++) {
    if (cls[b[i]] !== 2) continue;
    return kind === K_STRING
      ? `string field ${JSON.stringify(key)} holds a raw newline, which would split the record line: no record line can carry it`
      : `${KIND_TEXT[kind]} ${JSON.stringify(Buffer.from(b.subarray(s, e)).toString())} holds a NUL, tab, newline, vertical tab, form feed or carriage return, which InfluxDB or Telegraf's influx parser reads differently: no record line can carry it`;
  }
  return `${KIND_TEXT[kind]} ${JSON.stringify(Buffer.from(b.subarray(s, e)).toString())} holds a backslash sequence that InfluxDB and Telegraf's influx parser read differently: no record line keeps its value for both`;
}

/**
 * A value no spelling carries: a run of backslashes right before a byte the scanners end or unescape
 * a token at (`,` space `=` `"` or another backslash pairing), or at the end. Both scanners take a
 * backslash with the byte after it, so the escape written before such a byte would pair with the
 * value's own backslash instead (fieldKeyNeedsRaw of escape.ts is the field-key form of this rule).
 */
function unescapable(raw: string, kind: number): boolean {
  if (raw.indexOf('\\') < 0) return false;
  if (kind === K_FIELD_KEY) return fieldKeyNeedsRaw(raw);
  for (let i = raw.indexOf('\\'); i >= 0; i = raw.indexOf('\\', i)) {
    let j = i;
    while (j < raw.length && raw.charCodeAt(j) === Byte.BACKSLASH) j++;
    if (j === raw.length) return true;
    const c = raw.charCodeAt(j);
    if (UNESCAPED_NAME_BYTES[c] === 1) return true; // , space = "
    i = j;
  }
  return false;
}

/** Byte order of a[as..ae) and b[bs..be) (as InfluxDB sorts tag keys): negative, 0 or positive. */
export function cmpBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i] - b[bs + i];
    if (d !== 0) return d;
  }
  return (ae - as) - (be - bs);
}
