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

// Scratch of readAlike, reused: InfluxDB's value of the token and its canonical spelling. Tokens
// reaching the check are at most MAX_KEY_LENGTH bytes (scanPoint refuses longer keys first), so the
// scratch stays below 200 KB.
let valueBuf = new Uint8Array(256);
let encBuf = new Uint8Array(512);

/**
 * True when Telegraf's influx parser reads the canonical spelling of the name token written b[s..e)
 * as the value InfluxDB 1.x stores for it. One pass builds InfluxDB's value and the canonical
 * spelling while running Telegraf's grammar over the spelling; a second compares Telegraf's unescaped
 * reading with the value, only when it unescapes. Byte loops over reused scratch, no string.
 * - InfluxDB's value: a backslash before `,` space `=` (and `"` in measurements and field keys) is
 *   dropped, pairs taken left to right; any other backslash stays.
 * - The canonical spelling (what emit.ts writes): measurements escape `,` and space, and `=` `"`
 *   after a backslash of the value; field keys escape `,` space `=` (and `"` after a backslash), or
 *   keep the bytes as written when the value holds a backslash before `,` space `=` `"` `\` or ends
 *   in one; tag keys and values are written as they came (a value's leading bare `=` as `\=`).
 * - Telegraf's reading: its grammar lets a backslash take the next byte whatever it is (in tags a
 *   backslash before a backslash stands alone); a measurement ends at an unescaped `,` or space, the
 *   others also at `=`; control bytes are refused. It unescapes only when the token holds a space or
 *   `,` (or `=` outside measurements): a left-to-right replace of `\,` `\ ` (measurement) or
 *   `\,` `\"` `\ ` `\=` (the others).
 * test/parse/consumer-token.test.ts holds it to the string-based definition.
 */
export function readAlike(b: Uint8Array, s: number, e: number, kind: number): boolean {
  if (valueBuf.length < e - s) valueBuf = new Uint8Array(2 * (e - s));
  if (kind === K_TAG_KEY || kind === K_TAG_VALUE) return tagReadAlike(b, s, e, kind === K_TAG_VALUE && e > s && b[s] === 61);
  return nameReadAlike(b, s, e, kind === K_MEASUREMENT);
}

/** readAlike for a tag key or value; `prefixed`: a value starting with a bare `=`, spelled `\=`. */
function tagReadAlike(b: Uint8Array, s: number, e: number, prefixed: boolean): boolean {
  const v = valueBuf;
  let vn = 0;
  // Grammar state: the previous byte was a backslash that takes this one (the prefix takes the `=`).
  let pending = prefixed;
  let active = prefixed;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (isTelegrafControl(c)) return false;
    if (pending) pending = c === 92; // a second backslash stands alone and escapes the next byte
    else if (c === 92) pending = true;
    else if (c === 44 || c === 32 || c === 61) return false;
    if (c === 44 || c === 32 || c === 61) active = true;
    // InfluxDB's value (unescapeTag).
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === 44 || d === 32 || d === 61) { v[vn++] = d; i++; if (isTelegrafControl(d)) return false; pending = false; active = true; continue; }
    }
    v[vn++] = c;
  }
  if (pending) return false;
  // Without a space, comma or `=` nothing is unescaped by either reader: the spelling is the value.
  if (!active) return true;
  let j = 0;
  let i = s;
  if (prefixed) { if (v[j++] !== 61) return false; i++; }
  for (; i < e; i++) {
    let c = b[i];
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === 44 || d === 32 || d === 34 || d === 61) { c = d; i++; }
    }
    if (j >= vn || v[j] !== c) return false;
    j++;
  }
  return j === vn;
}

/** readAlike for a measurement (`meas`) or a field key. */
function nameReadAlike(b: Uint8Array, s: number, e: number, meas: boolean): boolean {
  if (encBuf.length < 2 * (e - s)) encBuf = new Uint8Array(4 * (e - s));
  const v = valueBuf;
  const enc = encBuf;
  let vn = 0;
  let en = 0;
  let pending = false; // Telegraf's grammar over the spelling: a backslash takes the next byte
  let ok = true; // the grammar takes the spelling whole
  let active = false; // the spelling holds a byte that makes Telegraf unescape
  let escaped = false; // the spelling adds an escape to the value
  let unescaped = false; // the value drops a backslash of the bytes as written
  let needsRaw = false; // field keys: the value cannot be spelled with escapes (escape.ts fieldKeyNeedsRaw)
  let prev = -1;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === 44 || d === 32 || d === 61 || d === 34) { c = d; i++; unescaped = true; }
    }
    v[vn++] = c;
    if (prev === 92 && (c === 44 || c === 32 || c === 61 || c === 34 || c === 92)) needsRaw = true;
    // The spelling of c, each byte through the grammar.
    if (c === 44 || c === 32 || (c === 61 && !meas) || ((c === 61 || c === 34) && prev === 92)) {
      escaped = true;
      enc[en++] = 92;
      if (pending) pending = false;
      else pending = true;
    }
    enc[en++] = c;
    if (isTelegrafControl(c)) ok = false;
    if (pending) pending = false;
    else if (c === 92) pending = true;
    else if (c === 44 || c === 32 || (c === 61 && !meas)) ok = false;
    if (c === 44 || c === 32 || (c === 61 && !meas)) active = true;
    prev = c;
  }
  if (!meas && (needsRaw || prev === 92)) return rawKeyReadAlike(b, s, e, vn, unescaped);
  if (!ok || pending) return false;
  if (!active) return !escaped;
  let j = 0;
  for (let i = 0; i < en; i++) {
    let c = enc[i];
    if (c === 92 && i + 1 < en) {
      const d = enc[i + 1];
      if (d === 44 || d === 32 || (!meas && (d === 34 || d === 61))) { c = d; i++; }
    }
    if (j >= vn || v[j] !== c) return false;
    j++;
  }
  return j === vn;
}

/** A field key kept as written (b[s..e)) against its value valueBuf[0..vn). */
function rawKeyReadAlike(b: Uint8Array, s: number, e: number, vn: number, unescaped: boolean): boolean {
  let pending = false;
  let active = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (isTelegrafControl(c)) return false;
    if (pending) pending = false;
    else if (c === 92) pending = true;
    else if (c === 44 || c === 32 || c === 61) return false;
    if (c === 44 || c === 32 || c === 61) active = true;
  }
  if (pending) return false;
  if (!active) return !unescaped;
  const v = valueBuf;
  let j = 0;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === 92 && i + 1 < e) {
      const d = b[i + 1];
      if (d === 44 || d === 32 || d === 34 || d === 61) { c = d; i++; }
    }
    if (j >= vn || v[j] !== c) return false;
    j++;
  }
  return j === vn;
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
  let ctl = controlAt(b, s, st.keyEnd);
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
  const f = st.fields;
  for (let j = 0; j < st.nFields; j++) {
    const ks = f[j * 4], ke = f[j * 4 + 1];
    if (ks === ke) {
      // `m \t=1`: 1.x stores a field with an empty key; no line can write one (`m =1` is refused).
      st.errPos = ks;
      return 'field key is empty (after a tab or NUL between the measurement and the fields): no record line can carry it';
    }
    ctl = controlAt(b, ks, ke);
    if (ctl >= 0) { st.errPos = ctl; return controlReason(K_FIELD_KEY); }
    // A key without a backslash reads alike whatever it holds (its escapes are all ours).
    if (st.bsFields && find(b, 92, ks, ke) >= 0) {
      const r = checkToken(st, ks, ke, K_FIELD_KEY);
      if (r !== '') return r;
    }
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
