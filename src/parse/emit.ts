// Writes the canonical form of a scanned line, applying what InfluxDB 1.x's storage layer does
// after parsing (tag or field named `time`, duplicate field keys). Canonical tokens are copied
// byte for byte; only tokens that are not canonical are rebuilt.
import { LineState, ParseScratch, T_BOOL, T_INT, T_STRING, T_UINT, TYPE_NAMES } from './state.js';
import { BatchWriter } from './out.js';
import { latin1 } from './numbers.js';
import { unescapeName } from './escape.js';
import {
  Byte, CANONICAL_FALSE, CANONICAL_TRUE, ESCAPE_AFTER_BACKSLASH_BYTES, ESCAPE_ALWAYS_BYTES, FIELD_KEY_RAW_BYTES, K_FIELD_KEY,
  K_MEASUREMENT, K_STRING, TIME_KEY, TIME_KEY_SIGNATURE, UNESCAPED_NAME_BYTES, UNESCAPED_STRING_BYTES, booleanCanonical,
  booleanValue, intCanonical, isTimeKey, keySignature,
} from './grammar.js';

const STRING_ESCAPES = ESCAPE_ALWAYS_BYTES[K_STRING];

/** Up to this many fields, keys are compared pairwise (cheaper than hashing for Telegraf-sized lines). */
const SMALL = 8;
const M_ALWAYS = ESCAPE_ALWAYS_BYTES[K_MEASUREMENT];
const M_AFTER_BACKSLASH = ESCAPE_AFTER_BACKSLASH_BYTES[K_MEASUREMENT];
const FK_ALWAYS = ESCAPE_ALWAYS_BYTES[K_FIELD_KEY];
// Local names of grammar tables: V8 inlines a module's own constants more readily than imports.
const NAME_UNESCAPES = UNESCAPED_NAME_BYTES;
const STRING_UNESCAPES = UNESCAPED_STRING_BYTES;
const FK_RAW = FIELD_KEY_RAW_BYTES;
const timeKey = isTimeKey;
const signature = keySignature;

function sameBytes(b: Buffer, x: number, y: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}

/** Bytes 1.x's unescape drops the backslash before, in measurements and field keys. */
const isNameEscape = (c: number): boolean => NAME_UNESCAPES[c] === 1;

/** Two field keys are equal (unescaped when `unesc`). */
function sameName(b: Buffer, x: number, xe: number, y: number, ye: number, unesc: boolean): boolean {
  if (!unesc) return xe - x === ye - y && sameBytes(b, x, y, xe - x);
  while (x < xe && y < ye) {
    let cx = b[x++];
    if (cx === Byte.BACKSLASH && x < xe && isNameEscape(b[x])) cx = b[x++];
    let cy = b[y++];
    if (cy === Byte.BACKSLASH && y < ye && isNameEscape(b[y])) cy = b[y++];
    if (cx !== cy) return false;
  }
  return x === xe && y === ye;
}

/** The key b[s..e) is `time` (after unescaping when `unesc`). */
function isTimeName(b: Buffer, s: number, e: number, unesc: boolean): boolean {
  if (!unesc || e - s === TIME_KEY.length) return timeKey(b, s, e);
  if (e - s > 2 * TIME_KEY.length) return false;
  let k = 0;
  for (let i = s; i < e; i++, k++) {
    let c = b[i];
    if (c === Byte.BACKSLASH && i + 1 < e && isNameEscape(b[i + 1])) c = b[++i];
    if (k >= TIME_KEY.length || c !== TIME_KEY.charCodeAt(k)) return false;
  }
  return k === TIME_KEY.length;
}

function fieldKey(st: LineState, j: number): string {
  return unescapeName(latin1(st.buf, st.fields[j * 4], st.fields[j * 4 + 1]));
}

export function measurementName(st: LineState): string {
  return Buffer.from(unescapeName(latin1(st.buf, st.start, st.mEnd)), 'latin1').toString('utf8');
}

const u8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

/** Earlier kept field with the same key as field j, or -1; records j as a first occurrence otherwise. */
function firstOccurrence(st: LineState, sc: ParseScratch, j: number, mask: number): number {
  const b = st.buf;
  const f = st.fields;
  const ks = f[j * 4], ke = f[j * 4 + 1];
  const unesc = st.bsFields;
  const table = sc.table;
  const tableHash = sc.tableHash;
  const h = sc.keyHashes[j]; // of the unescaped key, by consumerCheck's pass over it
  let slot = h & mask;
  for (;;) {
    const at = table[slot];
    if (at === 0) { table[slot] = j + 1; tableHash[slot] = h; return -1; }
    const i = at - 1;
    if (tableHash[slot] === h && sameName(b, f[i * 4], f[i * 4 + 1], ks, ke, unesc)) return i;
    slot = (slot + 1) & mask;
  }
}

/**
 * Decides which fields survive. Returns an InfluxDB reason when the point is dropped, else ''
 * ('-' when some field was dropped). Linear in the fields' bytes: pairwise for a few fields,
 * a hash table of first occurrences beyond.
 */
function selectFields(st: LineState, sc: ParseScratch): string {
  const n = st.nFields;
  if (sc.keep.length < n) { sc.keep = new Uint8Array(n * 2); sc.source = new Int32Array(n * 2); }
  const keep = sc.keep;
  const source = sc.source;
  const sig = sc.sig;
  const b = st.buf;
  const f = st.fields;
  let kept = 0;
  const small = n <= SMALL && !st.bsFields;
  let mask = 0;
  if (!small) {
    let size = 64;
    while (size < n * 2) size *= 2;
    if (sc.table.length < size) { sc.table = new Int32Array(size); sc.tableHash = new Int32Array(size); } else sc.table.fill(0, 0, size);
    mask = size - 1;
  }
  for (let j = 0; j < n; j++) {
    keep[j] = 0;
    source[j] = j;
    const ks = f[j * 4], ke = f[j * 4 + 1];
    let first = -1;
    if (small) {
      const len = ke - ks;
      // Length, first and last byte in one number: most pairs differ there and need no byte loop.
      const sg = signature(b, ks, ke);
      sig[j] = sg;
      if (sg === TIME_KEY_SIGNATURE && timeKey(b, ks, ke)) continue;
      for (let i = 0; i < j; i++) {
        if (sig[i] !== sg || keep[i] === 0) continue;
        if (sameBytes(b, ks, f[i * 4], len)) { first = i; break; }
      }
    } else {
      if (isTimeName(b, ks, ke, st.bsFields)) continue;
      first = firstOccurrence(st, sc, j, mask);
    }
    if (first < 0) { keep[j] = 1; kept++; continue; }
    if (st.ftypes[first] !== st.ftypes[j]) {
      return `field type conflict: input field "${u8(fieldKey(st, j))}" on measurement "${measurementName(st)}" is type ${TYPE_NAMES[st.ftypes[j]]}, already exists as type ${TYPE_NAMES[st.ftypes[first]]}`;
    }
    source[first] = j; // last value wins, at the first key's position
  }
  if (kept === 0) return `invalid field name: input field "time" on measurement "${measurementName(st)}" is invalid`;
  return kept === n ? '' : '-';
}

/** True when field j's value bytes are already canonical. */
function valueCanonical(st: LineState, j: number): boolean {
  const b = st.buf;
  const vs = st.fields[j * 4 + 2], ve = st.fields[j * 4 + 3];
  const t = st.ftypes[j];
  if (t === T_BOOL) return booleanCanonical(b, vs, ve);
  if (t === T_INT || t === T_UINT) return intCanonical(b, vs, ve - 1);
  if (t !== T_STRING) return true; // floats keep the text InfluxDB accepted (README: Canonical form)
  if (b[ve - 1] !== Byte.QUOTE || ve - vs < 2) return false;
  for (let i = vs + 1; i < ve - 1; i++) if (STRING_ESCAPES[b[i]] === 1) return false;
  return true;
}

function writeValue(st: LineState, out: BatchWriter, j: number): void {
  const b = st.buf;
  const vs = st.fields[j * 4 + 2], ve = st.fields[j * 4 + 3];
  if (valueCanonical(st, j)) { out.copy(b, vs, ve); return; }
  const t = st.ftypes[j];
  if (t === T_BOOL) {
    out.latin1(booleanValue(b, vs, ve) === 1 ? CANONICAL_TRUE : CANONICAL_FALSE);
    return;
  }
  if (t === T_INT || t === T_UINT) {
    // Telegraf's grammar refuses leading zeros in integers: `007i` is written `7i`, `-0i` `0i`.
    // Byte by byte: leading zeros, however many, cost no string.
    let d = b[vs] === Byte.MINUS ? vs + 1 : vs;
    const e = ve - 1;
    while (d < e - 1 && b[d] === 48) d++;
    if (d > vs && b[vs] === Byte.MINUS && !(e - d === 1 && b[d] === 48)) out.byte(45);
    out.copy(b, d, ve); // the digits and the i or u suffix
    return;
  }
  // InfluxDB's StringValue: the bytes between the first and the last byte, with \\ and \" unescaped;
  // then our escapes of \ and ". One pass over the bytes.
  out.byte(Byte.QUOTE);
  const e = ve - 1;
  for (let i = vs + 1; i < e; i++) {
    let c = b[i];
    if (c === Byte.BACKSLASH && i + 1 < e && STRING_UNESCAPES[b[i + 1]] === 1) c = b[++i];
    if (STRING_ESCAPES[c] === 1) out.byte(Byte.BACKSLASH);
    out.byte(c);
  }
  out.byte(Byte.QUOTE);
}

function writeFieldKey(st: LineState, out: BatchWriter, j: number): void {
  const b = st.buf;
  const ks = st.fields[j * 4], ke = st.fields[j * 4 + 1];
  if (!st.bsFields) { out.copy(b, ks, ke); return; }
  // The unescaped key, written with canonical escapes (`,` space `=`; `"` only after a backslash,
  // never here) in the same pass that checks it can be: if it holds a backslash before , space = " \
  // or ends in one, it cannot (1.x's field scanner pairs backslashes) and the raw form is written
  // over it instead. Room was ensured for the whole line doubled (emitPoint).
  const d = out.data;
  let p = out.pos;
  let prev = -1;
  for (let i = ks; i < ke; i++) {
    let c = b[i];
    if (c === Byte.BACKSLASH && i + 1 < ke && isNameEscape(b[i + 1])) c = b[++i];
    if (prev === Byte.BACKSLASH && FK_RAW[c] === 1) { prev = -2; break; }
    if (FK_ALWAYS[c] === 1) d[p++] = Byte.BACKSLASH;
    d[p++] = c;
    prev = c;
  }
  if (prev === Byte.BACKSLASH || prev === -2) { out.copy(b, ks, ke); return; }
  out.pos = p;
}

/** The measurement b[s..e) unescaped as 1.x does, then with our escapes: , and space always; = and " after a backslash. */
function writeMeasurement(out: BatchWriter, b: Buffer, s: number, e: number): void {
  const d = out.data; // room ensured by emitPoint
  let p = out.pos;
  let prev = -1;
  for (let i = s; i < e; i++) {
    let c = b[i];
    if (c === Byte.BACKSLASH && i + 1 < e && isNameEscape(b[i + 1])) c = b[++i];
    if (M_ALWAYS[c] === 1 || (prev === Byte.BACKSLASH && M_AFTER_BACKSLASH[c] === 1)) d[p++] = Byte.BACKSLASH;
    d[p++] = c;
    prev = c;
  }
  out.pos = p;
}

/**
 * Emits the canonical line for a scanned point, from the body's line `line`. Returns '' on success, else the reason InfluxDB's
 * storage layer gives for dropping it.
 */
export function emitPoint(st: LineState, keysAsWritten: boolean, sc: ParseScratch, out: BatchWriter, defaultTs: Buffer, line: number): string {
  const b = st.buf;
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) {
    if (timeKey(b, t[j * 4], t[j * 4 + 1])) return `invalid tag key: input tag "time" on measurement "${measurementName(st)}" is invalid`;
  }
  const sel = selectFields(st, sc);
  if (sel !== '' && sel !== '-') return sel;
  const s = st.start;
  if (sel === '' && prefixCanonical(st, keysAsWritten)) {
    if (st.tsText === '' && st.tsStart !== st.tsEnd && st.tsStart === st.fEnd + 1) {
      // The common Telegraf case: the line is already canonical, one copy.
      out.ensure(st.tsEnd - s + 1);
      const at = out.pos;
      if (b[st.tsEnd] === Byte.LF) out.run(b, s, st.tsEnd + 1); // the input's newline ends the line
      else { out.copy(b, s, st.tsEnd); out.byte(Byte.LF); }
      out.commit(at, st.keyEnd - s, st.mEnd - s, line);
      return '';
    }
    // Canonical up to the fields: copied, then the timestamp (converted, or the receive time).
    const ts = st.tsText !== '' ? st.tsText.length : st.tsStart === st.tsEnd ? defaultTs.length : st.tsEnd - st.tsStart;
    out.ensure(st.fEnd - s + ts + 2);
    const at = out.pos;
    out.copy(b, s, st.fEnd);
    out.byte(Byte.SPACE);
    writeTimestamp(st, out, defaultTs);
    out.byte(Byte.LF);
    out.commit(at, st.keyEnd - s, st.mEnd - s, line);
    return '';
  }
  // Upper bound of the canonical size: every byte escaped, plus a timestamp and booleans spelled out.
  out.ensure(2 * (st.end - s) + 4 * st.nFields + defaultTs.length + 32);
  const lineStart = out.pos;

  // Series key: measurement, then tags sorted by escaped key (escaped tag bytes are canonical).
  if (st.bsMeasurement) writeMeasurement(out, b, s, st.mEnd);
  else out.copy(b, s, st.mEnd);
  const mLen = out.pos - lineStart;
  if (st.tagsSorted && !leadingEquals(st)) {
    out.copy(b, st.mEnd, st.keyEnd);
  } else {
    for (let j = 0; j < st.nTags; j++) {
      out.byte(Byte.COMMA);
      out.copy(b, t[j * 4], t[j * 4 + 1]);
      out.byte(Byte.EQUALS);
      if (b[t[j * 4 + 2]] === Byte.EQUALS) out.byte(Byte.BACKSLASH); // a value may start with a bare '='; canonical escapes it
      out.copy(b, t[j * 4 + 2], t[j * 4 + 3]);
    }
  }
  const sLen = out.pos - lineStart;
  out.byte(Byte.SPACE);

  let copyFields = sel === '' && (!st.bsFields || keysAsWritten);
  if (copyFields) for (let j = 0; j < st.nFields && copyFields; j++) copyFields = valueCanonical(st, j);
  if (copyFields && fieldsContiguous(st)) {
    out.copy(b, st.fStart, st.fEnd);
  } else {
    let first = true;
    const keep = sc.keep;
    const source = sc.source;
    for (let j = 0; j < st.nFields; j++) {
      if (keep[j] === 0) continue;
      if (!first) out.byte(Byte.COMMA);
      first = false;
      writeFieldKey(st, out, j);
      out.byte(Byte.EQUALS);
      writeValue(st, out, source[j]);
    }
  }
  out.byte(Byte.SPACE);
  writeTimestamp(st, out, defaultTs);
  out.byte(Byte.LF);
  out.commit(lineStart, sLen, mLen, line);
  return '';
}

function writeTimestamp(st: LineState, out: BatchWriter, defaultTs: Buffer): void {
  if (st.tsText !== '') out.latin1(st.tsText);
  else if (st.tsStart === st.tsEnd) out.copy(defaultTs, 0, defaultTs.length);
  else out.copy(st.buf, st.tsStart, st.tsEnd);
}

/** The line up to the end of its fields is canonical as written (the timestamp may not be). */
function prefixCanonical(st: LineState, keysAsWritten: boolean): boolean {
  if (st.bsMeasurement || (st.bsFields && !keysAsWritten) || !st.tagsSorted) return false;
  if (st.fStart !== st.keyEnd + 1 || leadingEquals(st) || !fieldsContiguous(st)) return false;
  for (let j = 0; j < st.nFields; j++) if (!valueCanonical(st, j)) return false;
  return true;
}

function leadingEquals(st: LineState): boolean {
  for (let j = 0; j < st.nTags; j++) if (st.buf[st.tags[j * 4 + 2]] === Byte.EQUALS) return true;
  return false;
}

/** The scanner's field records tile [fStart, fEnd) exactly when nothing was skipped between them. */
function fieldsContiguous(st: LineState): boolean {
  const f = st.fields;
  const n = st.nFields;
  if (f[0] !== st.fStart || f[n * 4 - 1] !== st.fEnd) return false;
  for (let j = 1; j < n; j++) if (f[j * 4] !== f[j * 4 - 1] + 1) return false;
  return true;
}
