// Validation of one line, step for step as InfluxDB 1.x's parsePoint (models/points.go) checks it,
// recording token offsets on the way. Error reasons are InfluxDB's own words.
import { LineState, T_BOOL, T_FLOAT, T_INT, T_STRING, T_UINT } from './state.js';
import { fitsInt64, fitsUint64, latin1Capped, timestampToNs, validFloatBytes } from './numbers.js';
import { skipWs } from './split.js';
import { walkFieldsExact } from './fields.js';
import {
  Byte, MAX_FIELDS, MAX_KEY_LENGTH, SAFE_FLOAT_CHARS, SAFE_INT_DIGITS, booleanValue, escapedAt, startsBoolean, startsNumber,
  timestampCanonical,
} from './grammar.js';

function hasByte(b: Buffer, x: number, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === x) return true;
  return false;
}

const isNumeric = (c: number): boolean => (c >= 48 && c <= 57) || c === Byte.DOT;

// Hints: the likely cause of InfluxDB's terse reasons, and the fix.
const HINT_SPLIT = 'a quote or \'=\' out of place makes InfluxDB split the fields differently than written: quote string values, escape \'=\' and \',\' in keys';
const HINT_BOOLEAN = 'a field value is a number, a "quoted string" or true/false: is it a tag written as a field ' +
  '(tags follow the measurement after a comma, `cpu,host=a value=1`), or a string without its double quotes?';
const HINT_UNSIGNED = 'the u suffix (unsigned integer) is InfluxDB 2.x syntax: send it to /api/v2/write, ' +
  'or set KINFLUX_V1_ALLOW_UNSIGNED=true to accept it on /write';
const HINT_CRLF = 'the line ends in CR Byte.LF (Windows line ends), which InfluxDB 1.x refuses: send Byte.LF line ends, ' +
  'use /api/v2/write, or set KINFLUX_V1_ALLOW_CRLF=true';
const HINT_NO_FIELDS = 'a point needs at least one field after a space (`cpu,host=a value=1`)';

/** Scans the key (measurement and tags). Returns false with st.reason set on error. */
function scanKey(st: LineState, b: Buffer, s: number, e: number): boolean {
  let i = s;
  if (i >= e || b[i] === Byte.COMMA) return st.fail(i, 'missing measurement');
  for (;;) {
    i++;
    if (i >= e) return st.fail(i, 'missing fields', HINT_NO_FIELDS);
    if (escapedAt(b, i)) continue;
    const c = b[i];
    if (c === Byte.COMMA) break;
    if (c === Byte.SPACE) { st.mEnd = i; st.keyEnd = i; st.nTags = 0; return true; }
  }
  st.mEnd = i;
  i++;
  let n = 0;
  // Past MAX_KEY_LENGTH the line fails anyway: tags are still checked but no longer recorded,
  // so a huge key costs no scratch memory.
  const recordUntil = s + MAX_KEY_LENGTH;
  for (;;) {
    if ((n + 1) * 4 > st.tags.length) st.growTags();
    const ks = i;
    let c = b[i];
    if (i >= e || c === Byte.SPACE || c === Byte.COMMA || c === Byte.EQUALS) return st.fail(i, 'missing tag key');
    for (;;) {
      i++;
      if (i >= e) return st.fail(i, 'missing tag value');
      c = b[i];
      if ((c === Byte.SPACE || c === Byte.COMMA) && !escapedAt(b, i)) return st.fail(i, 'missing tag value');
      if (c === Byte.EQUALS && !escapedAt(b, i)) break;
    }
    const ke = i;
    i++;
    const vs = i;
    c = b[i];
    if (i >= e || c === Byte.COMMA || c === Byte.SPACE) return st.fail(i, 'missing tag value');
    let last = false;
    for (;;) {
      i++;
      if (i >= e) return st.fail(i, 'missing fields', HINT_NO_FIELDS);
      c = b[i];
      if (escapedAt(b, i)) continue;
      if (c === Byte.EQUALS) return st.fail(i, 'invalid tag format');
      if (c === Byte.COMMA) break;
      if (c === Byte.SPACE) { last = true; break; }
    }
    if (i <= recordUntil) {
      const t = st.tags;
      t[n * 4] = ks; t[n * 4 + 1] = ke; t[n * 4 + 2] = vs; t[n * 4 + 3] = i;
      n++;
    }
    if (last) break;
    i++;
  }
  st.nTags = n;
  st.keyEnd = i;
  // The key length is checked before the costly step (sorting): a too-long key is reported as such
  // (influxd would report duplicate tags first; see the README's deliberate differences).
  if (i - s > MAX_KEY_LENGTH) return true;
  return checkTagOrder(st, b);
}

/** Byte order of two ranges of `b`, as InfluxDB sorts tag keys (negative: a first). */
export function cmpRange(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const d = b[as + k] - b[bs + k];
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Sortedness and duplicate keys, compared on the escaped bytes as InfluxDB does. */
function checkTagOrder(st: LineState, b: Buffer): boolean {
  const t = st.tags;
  const n = st.nTags;
  st.tagsSorted = true;
  for (let j = 0; j + 1 < n; j++) {
    const c = cmpRange(b, t[j * 4], t[j * 4 + 1], t[j * 4 + 4], t[j * 4 + 5]);
    if (c === 0) return st.fail(st.keyEnd, 'duplicate tags');
    if (c > 0) { st.tagsSorted = false; break; }
  }
  if (st.tagsSorted) return true;
  sortTags(st, b);
  for (let j = 0; j + 1 < n; j++) {
    if (cmpRange(b, t[j * 4], t[j * 4 + 1], t[j * 4 + 4], t[j * 4 + 5]) === 0) return st.fail(st.keyEnd, 'duplicate tags');
  }
  return true;
}

/** Stable merge sort of the tag records by escaped key: O(n log n) whatever the input order. */
function sortTags(st: LineState, b: Buffer): void {
  const t = st.tags;
  const n = st.nTags;
  if (st.order.length < n) { st.order = new Int32Array(n * 2); st.orderTmp = new Int32Array(n * 2); }
  if (st.sortedRecs.length < n * 4) st.sortedRecs = new Int32Array(n * 8);
  let a = st.order;
  let c = st.orderTmp;
  for (let i = 0; i < n; i++) a[i] = i;
  for (let w = 1; w < n; w *= 2) {
    for (let lo = 0; lo < n; lo += 2 * w) {
      const mid = Math.min(lo + w, n);
      const hi = Math.min(lo + 2 * w, n);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const x = a[i], y = a[j];
        if (cmpRange(b, t[y * 4], t[y * 4 + 1], t[x * 4], t[x * 4 + 1]) < 0) { c[k++] = y; j++; } else { c[k++] = x; i++; }
      }
      while (i < mid) c[k++] = a[i++];
      while (j < hi) c[k++] = a[j++];
    }
    const swap = a; a = c; c = swap;
  }
  const r = st.sortedRecs;
  for (let i = 0; i < n; i++) {
    const x = a[i] * 4;
    r[i * 4] = t[x]; r[i * 4 + 1] = t[x + 1]; r[i * 4 + 2] = t[x + 2]; r[i * 4 + 3] = t[x + 3];
  }
  t.set(r.subarray(0, n * 4));
}

/** scanNumber: returns the end of the number, or -1 with st.reason set. Sets st.ftypes[n]. */
function scanNumber(st: LineState, b: Buffer, i: number, e: number, n: number, unsigned: boolean): number {
  const start = i;
  // The common short integer (`-?digits` then `i`, fewer than 19 digits, then `,` space or the end)
  // needs none of the checks below.
  {
    let k = b[i] === Byte.MINUS ? i + 1 : i;
    const ds = k;
    while (k < e && b[k] >= 48 && b[k] <= 57) k++;
    if (k > ds && k - ds <= SAFE_INT_DIGITS && k < e && b[k] === 105 && (k + 1 === e || b[k + 1] === Byte.COMMA || b[k + 1] === Byte.SPACE)) {
      st.ftypes[n] = T_INT;
      return k + 1;
    }
  }
  let isInt = false;
  let isUint = false;
  if (i < e && b[i] === Byte.MINUS) {
    i++;
    if (i === e) { st.fail(i, 'invalid number'); return -1; }
  }
  let decimal = false;
  let sci = false;
  for (; i < e; i++) {
    let c = b[i];
    // Runs of digits are the bulk of a Telegraf line: take them in a tight loop.
    while (c >= 48 && c <= 57 && i + 1 < e) c = b[++i];
    if (c >= 48 && c <= 57) continue;
    if (c === Byte.COMMA || c === Byte.SPACE) break;
    if (c === 105 && i > start && !(isInt || isUint)) { isInt = true; continue; }
    if (c === 117 && i > start && !(isInt || isUint)) { isUint = true; continue; }
    if (c === 46) {
      if (decimal) { st.fail(i, 'invalid number'); return -1; }
      decimal = true;
    }
    if (i > start && (c === 101 || c === 69)) { sci = true; continue; }
    if ((c === 43 || c === Byte.MINUS) && (b[i - 1] === 101 || b[i - 1] === 69)) continue;
    if (!isNumeric(c)) { st.fail(i, 'invalid number'); return -1; } // NaN, Inf and stray bytes alike
  }
  if ((isInt || isUint) && (decimal || sci)) { st.fail(i, 'invalid number'); return -1; }
  let digits = i - start;
  if (isInt) digits--;
  if (decimal) digits--;
  if (b[start] === Byte.MINUS) digits--;
  if (digits === 0) { st.fail(i, 'invalid number'); return -1; }
  if (isInt) {
    if (b[i - 1] !== 105) { st.fail(i, 'invalid number'); return -1; }
    if (i - 1 - start > SAFE_INT_DIGITS && !fitsInt64(b, start, i - 1)) {
      const txt = latin1Capped(b, start, i - 1);
      st.fail(i, `unable to parse integer ${txt}: strconv.ParseInt: parsing "${txt}": value out of range`);
      return -1;
    }
    st.ftypes[n] = T_INT;
  } else if (isUint) {
    // InfluxDB 1.x ships with unsigned support switched off; 2.x accepts it.
    if (!unsigned && b[i - 1] === 117 && b[start] !== Byte.MINUS) { st.fail(i, 'invalid number', HINT_UNSIGNED); return -1; }
    if (!unsigned || b[i - 1] !== 117 || b[start] === Byte.MINUS) { st.fail(i, 'invalid number'); return -1; }
    if (i - 1 - start > SAFE_INT_DIGITS && !fitsUint64(b, start, i - 1)) {
      const txt = latin1Capped(b, start, i - 1);
      st.fail(i, `unable to parse unsigned ${txt}: strconv.ParseUint: parsing "${txt}": value out of range`);
      return -1;
    }
    st.ftypes[n] = T_UINT;
  } else {
    if ((sci || i - start > SAFE_FLOAT_CHARS) && !validFloatBytes(b, start, i)) { st.fail(i, 'invalid float'); return -1; }
    st.ftypes[n] = T_FLOAT;
  }
  return i;
}

/** A boolean: one of the ten spellings (grammar.ts), up to the next `,` or space. */
function scanBoolean(st: LineState, b: Buffer, i: number, e: number, n: number): number {
  const start = i;
  if (!startsBoolean(b[i])) { st.fail(i, 'invalid boolean', HINT_BOOLEAN); return -1; }
  i++;
  while (i < e && b[i] !== Byte.COMMA && b[i] !== Byte.SPACE) i++;
  st.ftypes[n] = T_BOOL;
  if (booleanValue(b, start, i) < 0) { st.fail(i, 'invalid boolean', HINT_BOOLEAN); return -1; }
  return i;
}

/** scanFields, recording each field's key and value range as it goes. */
function scanFields(st: LineState, b: Buffer, from: number, e: number, unsigned: boolean): boolean {
  const start = skipWs(b, from, e);
  st.fStart = start;
  let i = start;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  let n = 0;
  let keyStart = start;
  let openStr = -1;
  let segEquals = false; // an unquoted '=' since the last unquoted ',' (or the start)
  st.fieldsOdd = false;
  const f = () => st.fields;
  while (i < e) {
    const c = b[i];
    // Plain bytes of a key or a string (no delimiter, quote or backslash) need no decision.
    if (c > 61 && c !== Byte.BACKSLASH) { i++; continue; }
    if (c === Byte.BACKSLASH && i + 1 < e) { i += 2; continue; }
    if (c === Byte.QUOTE && equals > commas) { quoted = !quoted; i++; continue; }
    if (c === Byte.EQUALS && !quoted) {
      // A second '=' between two commas (`f="a"=1`, and `,f="=1` or `k,f="x"=1`, where a key without
      // '=' before it also leaves the quote unrecognised): InfluxDB's iterator (walkFields) splits
      // such fields differently from this scanner, so they must be re-walked with its rules.
      // (Counting, `equals > commas`, missed the second kind: the keyless part offsets the count.)
      if (segEquals) st.fieldsOdd = true;
      segEquals = true;
      equals++;
      const p = b[i - 1];
      if ((p === Byte.SPACE || p === Byte.COMMA) && b[i - 2] !== Byte.BACKSLASH) return st.fail(i, 'missing field key');
      if (i + 1 >= e) return st.fail(i, 'missing field value');
      const v = b[i + 1];
      if (v === Byte.COMMA || v === Byte.SPACE) return st.fail(i, 'missing field value');
      if ((n + 1) * 4 > st.fields.length) {
        if (n >= MAX_FIELDS) return st.fail(i, `too many fields: more than ${MAX_FIELDS} in one line`);
        st.growFields();
      }
      const fa = f();
      fa[n * 4] = keyStart; fa[n * 4 + 1] = i; fa[n * 4 + 2] = i + 1;
      if (startsNumber(v)) {
        i = scanNumber(st, b, i + 1, e, n, unsigned);
        if (i < 0) return false;
        fa[n * 4 + 3] = i; n++;
        continue;
      }
      if (v !== Byte.QUOTE) {
        i = scanBoolean(st, b, i + 1, e, n);
        if (i < 0) return false;
        fa[n * 4 + 3] = i; n++;
        continue;
      }
      st.ftypes[n] = T_STRING;
      openStr = n; n++;
    }
    if (c === Byte.COMMA && !quoted) {
      commas++;
      segEquals = false;
      if (openStr >= 0) { f()[openStr * 4 + 3] = i; openStr = -1; }
      keyStart = i + 1;
    }
    if (c === Byte.SPACE && !quoted) break;
    i++;
  }
  if (openStr >= 0) f()[openStr * 4 + 3] = i;
  if (quoted) return st.fail(i, 'unbalanced quotes');
  if (equals === 0 || commas !== equals - 1) return st.fail(i, 'invalid field format');
  st.fEnd = i;
  st.nFields = n;
  return true;
}

/**
 * Scans the block b[s..e) (leading whitespace already skipped, line end stripped).
 * `bsAt` is the first backslash at or after s (or beyond e). `unit` is ns per timestamp unit.
 */
export function scanPoint(st: LineState, b: Buffer, s: number, e: number, bsAt: number, unit: bigint, unsigned: boolean): boolean {
  st.buf = b;
  st.start = s;
  st.end = e;
  st.tsText = '';
  if (!scanKey(st, b, s, e)) return false;
  if (st.keyEnd - s > MAX_KEY_LENGTH) return st.fail(st.keyEnd, `max key length exceeded: ${st.keyEnd - s} > ${MAX_KEY_LENGTH}`);
  if (!scanFields(st, b, st.keyEnd, e, unsigned)) return false;
  st.bsMeasurement = bsAt < st.mEnd;
  st.bsFields = st.fieldsOdd || (bsAt < st.fEnd && (bsAt >= st.fStart || hasByte(b, Byte.BACKSLASH, st.fStart, st.fEnd)));
  if (st.fStart === st.fEnd) return st.fail(st.fEnd, 'missing fields');
  // walkFields: the field keys as InfluxDB's iterator finds them (they differ only around backslashes).
  if (st.bsFields) {
    if (!walkFieldsExact(st, b, unsigned)) return false;
    if (st.badValueAt >= 0) {
      if (!scanTime(st, b, e, unit)) return false;
      return st.fail(st.badValueAt, st.badValueReason, HINT_SPLIT);
    }
  } else if (st.keyEnd - s + 4 + (st.fEnd - st.fStart) > MAX_KEY_LENGTH) {
    for (let j = 0; j < st.nFields; j++) {
      const sz = st.keyEnd - s + 4 + st.fields[j * 4 + 1] - st.fields[j * 4];
      if (sz > MAX_KEY_LENGTH) return st.fail(st.fEnd, `max key length exceeded: ${sz} > ${MAX_KEY_LENGTH}`);
    }
  }
  return scanTime(st, b, e, unit);
}

function scanTime(st: LineState, b: Buffer, e: number, unit: bigint): boolean {
  const ts = skipWs(b, st.fEnd, e);
  let i = ts;
  for (; i < e; i++) {
    const c = b[i];
    if (c === Byte.LF || c === Byte.SPACE) break;
    if (i === ts && c === Byte.MINUS) continue;
    if (c < 48 || c > 57) return st.fail(i, 'bad timestamp', c === 13 && i + 1 === e ? HINT_CRLF : '');
  }
  st.tsStart = ts;
  st.tsEnd = i;
  if (i === ts) return true; // no timestamp: the receive time is used and the rest is not checked
  if (unit !== 1n || !timestampCanonical(b, ts, i)) {
    const r = timestampToNs(b, ts, i, unit);
    if ('reason' in r) return st.fail(ts, r.reason);
    st.tsText = r.ns;
  }
  for (; i < e; i++) if (b[i] !== Byte.SPACE) return st.fail(i, 'point is invalid');
  return true;
}
