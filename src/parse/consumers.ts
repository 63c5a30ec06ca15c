// The canonical line is read by other parsers too: InfluxDB 1.x/2.x (models/points.go) and Telegraf's
// influx parser (plugins/parsers/influx: a Ragel grammar plus strings.Replacer unescaping). A point is
// only written when every one of them reads its line as the point InfluxDB 1.x reads from the request,
// and when the line stays one physical line. The rules and why are in src/parse/README.md.
import type { LineState } from './state.js';
import { T_STRING } from './state.js';
import {
  Byte, ESCAPE_AFTER_BACKSLASH_BYTES, ESCAPE_ALWAYS_BYTES, FIELD_KEY_RAW_BYTES, KIND_TEXT, K_FIELD_KEY, K_MEASUREMENT, K_TAG_KEY,
  K_TAG_VALUE, UNESCAPED_NAME_BYTES, isTelegrafControl,
} from './grammar.js';

export { K_FIELD_KEY, K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE };
const M_ALWAYS = ESCAPE_ALWAYS_BYTES[K_MEASUREMENT];
const M_AFTER_BACKSLASH = ESCAPE_AFTER_BACKSLASH_BYTES[K_MEASUREMENT];
const FK_ALWAYS = ESCAPE_ALWAYS_BYTES[K_FIELD_KEY];
const control = isTelegrafControl;
const NAME_UNESCAPES = UNESCAPED_NAME_BYTES;
const FK_RAW = FIELD_KEY_RAW_BYTES; // a local name: V8 inlines a module's own constants more readily than imports

/**
 * True when Telegraf's influx parser reads the canonical spelling of the name token written b[s..e)
 * as the value InfluxDB 1.x stores for it. One pass over the bytes, no string, no scratch.
 * The definition (test/parse/consumer-token.test.ts keeps it, built from strings, as the oracle):
 * - InfluxDB's value: a backslash before `,` space `=` (and `"` in measurements and field keys) is
 *   dropped, pairs taken left to right; any other backslash stays.
 * - The canonical spelling (what emit.ts writes): measurements escape `,` and space, and `=` `"`
 *   after a backslash of the value; field keys escape `,` space `=`, or keep the bytes as written
 *   when the value holds a backslash before `,` space `=` `"` `\` or ends in one; tag keys and values
 *   are written as they came (a value's leading bare `=` as `\=`).
 * - Telegraf's reading: its grammar lets a backslash take the next byte whatever it is (in tags a
 *   backslash before a backslash stands alone); a measurement ends at an unescaped `,` or space, the
 *   others also at `=`; control bytes are refused. It unescapes only when the token holds a space or
 *   `,` (or `=` outside measurements): a left-to-right replace of `\,` `\ ` (measurement) or
 *   `\,` `\"` `\ ` `\=` (the others).
 * Each kind's function below reduces that definition to a condition on the bytes, and says why.
 */
export function readAlike(b: Uint8Array, s: number, e: number, kind: number): boolean {
  if (kind === K_MEASUREMENT) return measurementReadAlike(b, s, e);
  if (kind === K_FIELD_KEY) { const r = fieldKeyFacts(b, s, e); return r < 0 && ((-1 - r) & FK_READ_ALIKE) !== 0; }
  return tagReadAlike(b, s, e, kind === K_TAG_VALUE && e > s && b[s] === Byte.EQUALS);
}

/**
 * The spelling is the value with `\` added before each `,` and space (Telegraf's replace takes
 * those away again, pairing correctly even after a backslash of the value) and before `=` `"` that
 * follow a backslash (Telegraf keeps those: the value must hold none). Telegraf's grammar fails on
 * a control byte, and when a bare backslash is left pending: before an escaped `,` or space (it
 * takes the escape, and the `,` or space then ends the name) or at the end. A run of backslashes of
 * the value leaves one pending when its length is odd.
 */
function measurementReadAlike(b: Uint8Array, s: number, e: number): boolean {
  let pending = false;
  let prev = -1;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === Byte.BACKSLASH && i + 1 < e && NAME_UNESCAPES[b[i + 1]] === 1) c = b[++i];
    if (c === Byte.BACKSLASH) pending = !pending;
    else {
      if (control(c)) return false;
      if (pending && M_ALWAYS[c] === 1) return false;
      if (prev === Byte.BACKSLASH && M_AFTER_BACKSLASH[c] === 1) return false;
      pending = false;
    }
    prev = c;
  }
  return !pending;
}

/** fieldKeyFacts flags: Telegraf reads the key's canonical spelling as InfluxDB's value; that spelling is the bytes as written. */
export const FK_READ_ALIKE = 1;
export const FK_AS_WRITTEN = 2;

/**
 * What consumerCheck and emit need to know about the field key b[s..e), in one pass: the index of
 * its first raw control byte (>= 0), or -1 - flags (FK_READ_ALIKE, FK_AS_WRITTEN); and, when `hashes`
 * is given, hashes[j] = the hash (from `seed`) of the unescaped bytes and their count.
 * Read alike: a value with no backslash before `,` space `=` `"` `\` and none at its end is spelled
 * with escapes of `,` space `=` only; each value backslash is then followed by an ordinary byte, so
 * Telegraf's grammar pairs them and its replace undoes exactly the escapes. Other keys are kept as
 * written (rawKeyReadAlike). A key without a backslash reads alike whatever it holds.
 * As written: a key kept raw, or one whose escapes are exactly `\,` `\ ` `\=` (no `\"`, which InfluxDB
 * unescapes and the spelling does not restore, and no bare `,` space `=`, which the spelling escapes).
 */
export function fieldKeyFacts(b: Uint8Array, s: number, e: number, hashes?: Int32Array, j = 0, seed = 0): number {
  let h = seed;
  let n = 0;
  let prev = -1;
  let bs = false;
  let needsRaw = false;
  let rewritten = false;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (control(c)) return i;
    if (c === Byte.BACKSLASH) {
      bs = true;
      if (i + 1 < e && NAME_UNESCAPES[b[i + 1]] === 1) {
        c = b[++i];
        if (FK_ALWAYS[c] === 0) rewritten = true; // `\"`: unescaped by InfluxDB, not restored by the spelling
      }
    } else if (FK_ALWAYS[c] === 1) rewritten = true;
    if (prev === Byte.BACKSLASH && FK_RAW[c] === 1) needsRaw = true;
    prev = c;
    h = Math.imul(h ^ c, 0x5bd1e995);
    h ^= h >>> 15;
    n++;
  }
  if (hashes !== undefined) hashes[j] = Math.imul(h ^ (h >>> 13), 0x85ebca6b) ^ n;
  if (prev === Byte.BACKSLASH) needsRaw = true;
  const alike = !bs || !needsRaw || rawKeyReadAlike(b, s, e);
  return -1 - ((alike ? FK_READ_ALIKE : 0) | (needsRaw || !rewritten ? FK_AS_WRITTEN : 0));
}

/**
 * A field key spelled as written: Telegraf's replace and InfluxDB's unescape are the same rule, so
 * when Telegraf unescapes (a `,` space or `=` in the token) both read the same. When it does not,
 * the bytes must be the value: no `\"` (the only pair InfluxDB would still unescape).
 */
function rawKeyReadAlike(b: Uint8Array, s: number, e: number): boolean {
  let pending = false;
  let active = false;
  let quoteEscape = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (control(c)) return false;
    if (c === Byte.COMMA || c === Byte.SPACE || c === Byte.EQUALS) active = true;
    if (c === Byte.QUOTE && i > s && b[i - 1] === Byte.BACKSLASH) quoteEscape = true;
    if (pending) pending = false;
    else if (c === Byte.BACKSLASH) pending = true;
    else if (c === Byte.COMMA || c === Byte.SPACE || c === Byte.EQUALS) return false;
  }
  return !pending && (active || !quoteEscape);
}

/**
 * A tag token spelled as written (`prefixed`: a value starting with a bare `=`, spelled `\=`).
 * Without a `,` space or `=` neither reader unescapes anything. With one, Telegraf's replace is
 * InfluxDB's unescape plus `\"`: they agree when the token holds no `\"`. Telegraf's grammar takes a
 * backslash before a backslash alone, so the second escapes the next byte.
 */
function tagReadAlike(b: Uint8Array, s: number, e: number, prefixed: boolean): boolean {
  let pending = prefixed;
  let active = prefixed;
  let quoteEscape = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (control(c)) return false;
    if (c === Byte.COMMA || c === Byte.SPACE || c === Byte.EQUALS) active = true;
    if (c === Byte.QUOTE && i > s && b[i - 1] === Byte.BACKSLASH) quoteEscape = true;
    if (pending) pending = c === Byte.BACKSLASH;
    else if (c === Byte.BACKSLASH) pending = true;
    else if (c === Byte.COMMA || c === Byte.SPACE || c === Byte.EQUALS) return false;
  }
  return !pending && (!active || !quoteEscape);
}

function controlAt(b: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) if (control(b[i])) return i;
  return -1;
}

/** First index of byte x in b[s..e), or -1 (a bounded loop: indexOf would search past e). */
function find(b: Buffer, x: number, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === x) return i;
  return -1;
}

/**
 * consumerCheck's verdict: CONSUMERS_OK (every field key's canonical spelling is its bytes as written,
 * so emit.ts may copy them), CONSUMERS_OK_KEYS_REWRITTEN, or a rejection (>= 0): where (rejectedAt) and
 * why (rejectionReason). A number, so that no object is made per line.
 */
export const CONSUMERS_OK = -1;
export const CONSUMERS_OK_KEYS_REWRITTEN = -2;
const R_CONTROL = 0; // + kind
const R_ESCAPE = 4; // + kind
const R_EMPTY_KEY = 8;
const R_NEWLINE = 9;
const reject = (at: number, code: number): number => at * 16 + code;
export const rejectedAt = (verdict: number): number => Math.floor(verdict / 16);

export function rejectionReason(verdict: number): string {
  const code = verdict % 16;
  if (code === R_EMPTY_KEY) return 'field key is empty (after a tab or NUL between the measurement and the fields): no record line can carry it';
  if (code === R_NEWLINE) {
    return 'string field holds a raw newline, which would split the record line (an escaped \\n is stored by InfluxDB ' +
      'as backslash and n, and refused by Telegraf): no record line can carry it';
  }
  if (code < R_ESCAPE) {
    return `${KIND_TEXT[code - R_CONTROL]} holds a raw tab, newline, vertical tab, form feed or carriage return, which Telegraf's ` +
      `influx parser refuses (and an escape would change the value in InfluxDB): no record line can carry it`;
  }
  return `${KIND_TEXT[code - R_ESCAPE]} holds a backslash sequence that InfluxDB and Telegraf's influx parser unescape differently: ` +
    `no record line keeps its value for both`;
}

/**
 * Whether the scanned point has a one-line canonical form every consumer reads back as the point (the
 * verdict above). Cheap when the line holds no control byte and no backslash, which is every line the
 * fast path did not take for other reasons. Writes each field key's hash (from `seed`) to `hashes`
 * (room for st.nFields): emit.ts finds repeated keys with them.
 */
export function consumerCheck(st: LineState, hashes: Int32Array, seed: number): number {
  const b = st.buf;
  const s = st.start;
  // Measurement and tags: raw control bytes, then the tokens holding a backslash.
  const ctl = controlAt(b, s, st.keyEnd);
  if (ctl >= 0) return reject(ctl, R_CONTROL + (ctl < st.mEnd ? K_MEASUREMENT : tagKind(st, ctl)));
  if (st.bsMeasurement && !readAlike(b, s, st.mEnd, K_MEASUREMENT)) return reject(s, R_ESCAPE + K_MEASUREMENT);
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) {
    for (let p = 0; p < 4; p += 2) {
      const ts = t[j * 4 + p], te = t[j * 4 + p + 1];
      if (find(b, Byte.BACKSLASH, ts, te) < 0) continue;
      const kind = p === 0 ? K_TAG_KEY : K_TAG_VALUE;
      if (!readAlike(b, ts, te, kind)) return reject(ts, R_ESCAPE + kind);
    }
  }
  // Fields: control bytes in keys; a raw newline in a string (it would split the record line).
  // On the way, whether every key's canonical spelling is the bytes as written (emit.ts copies them).
  let verdict = CONSUMERS_OK;
  const f = st.fields;
  for (let j = 0; j < st.nFields; j++) {
    const ks = f[j * 4], ke = f[j * 4 + 1];
    // `m \t=1`: 1.x stores a field with an empty key; no line can write one (`m =1` is refused).
    if (ks === ke) return reject(ks, R_EMPTY_KEY);
    const facts = fieldKeyFacts(b, ks, ke, hashes, j, seed);
    if (facts >= 0) return reject(facts, R_CONTROL + K_FIELD_KEY);
    if (((-1 - facts) & FK_READ_ALIKE) === 0) return reject(ks, R_ESCAPE + K_FIELD_KEY);
    if (((-1 - facts) & FK_AS_WRITTEN) === 0) verdict = CONSUMERS_OK_KEYS_REWRITTEN;
    if (st.ftypes[j] === T_STRING) {
      const nl = find(b, Byte.LF, f[j * 4 + 2], f[j * 4 + 3]);
      if (nl >= 0) return reject(nl, R_NEWLINE);
    }
  }
  return verdict;
}

function tagKind(st: LineState, at: number): number {
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) if (at < t[j * 4 + 2]) return at < t[j * 4 + 1] ? K_TAG_KEY : K_TAG_VALUE;
  return K_TAG_VALUE;
}
