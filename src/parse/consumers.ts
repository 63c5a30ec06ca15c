// The canonical line is read by other parsers too: InfluxDB 1.x/2.x (models/points.go) and Telegraf's
// influx parser (plugins/parsers/influx: a Ragel grammar plus strings.Replacer unescaping). A point is
// only written when every one of them reads its line as the point InfluxDB 1.x reads from the request,
// and when the line stays one physical line. The rules and why are in src/parse/README.md.
import type { LineState } from './state.js';
import { T_STRING } from './state.js';

/** Bytes Telegraf's grammar refuses in names, tag keys and values, field keys (even after a backslash). */
const isTelegrafControl = (c: number): boolean => c >= 9 && c <= 13; // \t \n \v \f \r

const KIND_TEXT = ['measurement', 'tag key', 'tag value', 'field key'] as const;
export const K_MEASUREMENT = 0;
export const K_TAG_KEY = 1;
export const K_TAG_VALUE = 2;
export const K_FIELD_KEY = 3;

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
  return tagReadAlike(b, s, e, kind === K_TAG_VALUE && e > s && b[s] === 61);
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
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === 44 || d === 32 || d === 61 || d === 34) { c = d; i++; }
    }
    if (c === 92) pending = !pending;
    else {
      if (isTelegrafControl(c)) return false;
      if (pending && (c === 44 || c === 32)) return false;
      if (prev === 92 && (c === 61 || c === 34)) return false;
      pending = false;
    }
    prev = c;
  }
  return !pending;
}

/** Per-process random seed of key hashes: field keys cannot be chosen to collide in emit's table. */
const HASH_SEED = (Math.random() * 0x100000000) >>> 0;
/** Hash of the unescaped bytes (and their count) of the key fieldKeyFacts last read without a control byte. */
let keyHash = 0;

/** fieldKeyFacts flags: Telegraf reads the key's canonical spelling as InfluxDB's value; that spelling is the bytes as written. */
export const FK_READ_ALIKE = 1;
export const FK_AS_WRITTEN = 2;

/**
 * What consumerCheck and emit need to know about the field key b[s..e), in one pass: the index of
 * its first raw control byte (>= 0), or -1 - flags (FK_READ_ALIKE, FK_AS_WRITTEN); and keyHash.
 * Read alike: a value with no backslash before `,` space `=` `"` `\` and none at its end is spelled
 * with escapes of `,` space `=` only; each value backslash is then followed by an ordinary byte, so
 * Telegraf's grammar pairs them and its replace undoes exactly the escapes. Other keys are kept as
 * written (rawKeyReadAlike). A key without a backslash reads alike whatever it holds.
 * As written: a key kept raw, or one whose escapes are exactly `\,` `\ ` `\=` (no `\"`, which InfluxDB
 * unescapes and the spelling does not restore, and no bare `,` space `=`, which the spelling escapes).
 */
export function fieldKeyFacts(b: Uint8Array, s: number, e: number): number {
  let h = HASH_SEED;
  let n = 0;
  let prev = -1;
  let bs = false;
  let needsRaw = false;
  let rewritten = false;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c <= 13 && c >= 9) return i;
    if (c === 92) {
      bs = true;
      if (i + 1 < e) {
        const d = b[i + 1];
        if (d === 44 || d === 32 || d === 61 || d === 34) { if (d === 34) rewritten = true; c = d; i++; }
      }
    } else if (c === 44 || c === 32 || c === 61) rewritten = true;
    if (prev === 92 && (c === 44 || c === 32 || c === 61 || c === 34 || c === 92)) needsRaw = true;
    prev = c;
    h = Math.imul(h ^ c, 0x5bd1e995);
    h ^= h >>> 15;
    n++;
  }
  keyHash = Math.imul(h ^ (h >>> 13), 0x85ebca6b) ^ n;
  if (prev === 92) needsRaw = true;
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
    if (isTelegrafControl(c)) return false;
    if (c === 44 || c === 32 || c === 61) active = true;
    if (c === 34 && i > s && b[i - 1] === 92) quoteEscape = true;
    if (pending) pending = false;
    else if (c === 92) pending = true;
    else if (c === 44 || c === 32 || c === 61) return false;
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
    if (isTelegrafControl(c)) return false;
    if (c === 44 || c === 32 || c === 61) active = true;
    if (c === 34 && i > s && b[i - 1] === 92) quoteEscape = true;
    if (pending) pending = c === 92;
    else if (c === 92) pending = true;
    else if (c === 44 || c === 32 || c === 61) return false;
  }
  return !pending && (!active || !quoteEscape);
}

function controlAt(b: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) if (isTelegrafControl(b[i])) return i;
  return -1;
}

/** First index of byte x in b[s..e), or -1 (a bounded loop: indexOf would search past e). */
function find(b: Buffer, x: number, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === x) return i;
  return -1;
}

function controlReason(kind: number): string {
  return `${KIND_TEXT[kind]} holds a raw tab, newline, vertical tab, form feed or carriage return, which Telegraf's ` +
    `influx parser refuses (and an escape would change the value in InfluxDB): no record line can carry it`;
}

function escapeReason(kind: number): string {
  return `${KIND_TEXT[kind]} holds a backslash sequence that InfluxDB and Telegraf's influx parser unescape differently: ` +
    `no record line keeps its value for both`;
}

/** Checks the name token b[s..e) of this kind (readAlike); '' when both read it alike. */
function checkToken(st: LineState, s: number, e: number, kind: number): string {
  if (readAlike(st.buf, s, e, kind)) return '';
  st.errPos = s;
  return escapeReason(kind);
}

/**
 * '' when the scanned point has a one-line canonical form every consumer reads back as the point,
 * else the reason to reject it (st.errPos set). Cheap when the line holds no control byte and no
 * backslash, which is every line the fast path did not take for other reasons.
 */
export function consumerCheck(st: LineState): string {
  const b = st.buf;
  const s = st.start;
  // Measurement and tags: raw control bytes, then the tokens holding a backslash.
  const ctl = controlAt(b, s, st.keyEnd);
  if (ctl >= 0) {
    st.errPos = ctl;
    return controlReason(ctl < st.mEnd ? K_MEASUREMENT : tagKind(st, ctl));
  }
  if (st.bsMeasurement) {
    const r = checkToken(st, s, st.mEnd, K_MEASUREMENT);
    if (r !== '') return r;
  }
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) {
    for (let p = 0; p < 4; p += 2) {
      const ts = t[j * 4 + p], te = t[j * 4 + p + 1];
      if (find(b, 92, ts, te) < 0) continue;
      const r = checkToken(st, ts, te, p === 0 ? K_TAG_KEY : K_TAG_VALUE);
      if (r !== '') return r;
    }
  }
  // Fields: control bytes in keys; a raw newline in a string (it would split the record line).
  // On the way, whether every key's canonical spelling is the bytes as written (emit.ts copies them).
  st.keysAsWritten = true;
  const f = st.fields;
  for (let j = 0; j < st.nFields; j++) {
    const ks = f[j * 4], ke = f[j * 4 + 1];
    if (ks === ke) {
      // `m \t=1`: 1.x stores a field with an empty key; no line can write one (`m =1` is refused).
      st.errPos = ks;
      return 'field key is empty (after a tab or NUL between the measurement and the fields): no record line can carry it';
    }
    const facts = fieldKeyFacts(b, ks, ke);
    if (facts >= 0) { st.errPos = facts; return controlReason(K_FIELD_KEY); }
    if (((-1 - facts) & FK_READ_ALIKE) === 0) { st.errPos = ks; return escapeReason(K_FIELD_KEY); }
    if (((-1 - facts) & FK_AS_WRITTEN) === 0) st.keysAsWritten = false;
    // The same pass hashed the unescaped key: emit.ts finds repeated keys with it.
    st.fieldHash[j] = keyHash;
    if (st.ftypes[j] === T_STRING) {
      const vs = f[j * 4 + 2], ve = f[j * 4 + 3];
      const nl = find(b, 10, vs, ve);
      if (nl >= 0) {
        st.errPos = nl;
        return 'string field holds a raw newline, which would split the record line (an escaped \\n is stored by InfluxDB ' +
          'as backslash and n, and refused by Telegraf): no record line can carry it';
      }
    }
  }
  return '';
}

function tagKind(st: LineState, at: number): number {
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) if (at < t[j * 4 + 2]) return at < t[j * 4 + 1] ? K_TAG_KEY : K_TAG_VALUE;
  return K_TAG_VALUE;
}
