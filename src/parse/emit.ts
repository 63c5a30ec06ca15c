// Writes the canonical form of a scanned line, applying what InfluxDB 1.x's storage layer does
// after parsing (tag or field named `time`, duplicate field keys). Canonical tokens are copied
// byte for byte; only tokens that are not canonical are rebuilt.
import { LineState, T_BOOL, T_INT, T_STRING, T_UINT, TYPE_NAMES } from './state.js';
import { BatchWriter } from './out.js';
import { latin1 } from './numbers.js';
import { escapeFieldKey, escapeMeasurement, escapeString, fieldKeyNeedsRaw, unescapeName, unescapeString } from './escape.js';

/** Keep mask per field: 0 = dropped (a `time` field, or an earlier duplicate). Reused. */
let keep = new Uint8Array(64);
/** Index of the field whose value a kept slot takes (the last duplicate). Reused. */
let source = new Int32Array(64);
let sig = new Int32Array(64);
const TIME_SIG = (4 << 16) | (116 << 8) | 101;

function sameBytes(b: Buffer, x: number, y: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}

const isTime = (b: Buffer, s: number, e: number): boolean =>
  e - s === 4 && b[s] === 116 && b[s + 1] === 105 && b[s + 2] === 109 && b[s + 3] === 101;

function fieldKey(st: LineState, j: number): string {
  return unescapeName(latin1(st.buf, st.fields[j * 4], st.fields[j * 4 + 1]));
}

export function measurementName(st: LineState): string {
  return Buffer.from(unescapeName(latin1(st.buf, st.start, st.mEnd)), 'latin1').toString('utf8');
}

const u8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

/**
 * Decides which fields survive. Returns an InfluxDB reason when the point is dropped, else ''.
 * `canon` reports whether the fields block can be copied as is.
 */
function selectFields(st: LineState): string {
  const n = st.nFields;
  if (keep.length < n) { keep = new Uint8Array(n * 2); source = new Int32Array(n * 2); sig = new Int32Array(n * 2); }
  const b = st.buf;
  const f = st.fields;
  let kept = 0;
  let keys: string[] | undefined;
  const byMap = n > 16 || st.bsFields; // exact (unescaped) key comparison, and linear for huge lines
  let seen: Map<string, number> | undefined;
  for (let j = 0; j < n; j++) {
    keep[j] = 0;
    source[j] = j;
    const ks = f[j * 4], ke = f[j * 4 + 1];
    let first = -1;
    if (byMap) {
      keys ??= [];
      const k = fieldKey(st, j);
      keys[j] = k;
      if (k === 'time') continue;
      seen ??= new Map();
      const at = seen.get(k);
      if (at === undefined) seen.set(k, j); else first = at;
    } else {
      const len = ke - ks;
      // Length, first and last byte in one number: most pairs differ there and need no byte loop.
      const sg = (len << 16) | (b[ks] << 8) | b[ke - 1];
      sig[j] = sg;
      if (sg === TIME_SIG && isTime(b, ks, ke)) continue;
      for (let i = 0; i < j; i++) {
        if (sig[i] !== sg || keep[i] === 0) continue;
        if (sameBytes(b, ks, f[i * 4], len)) { first = i; break; }
      }
    }
    if (first < 0) { keep[j] = 1; kept++; continue; }
    if (st.ftypes[first] !== st.ftypes[j]) {
      const k = keys ? keys[j] : latin1(b, ks, ke);
      return `field type conflict: input field "${u8(k)}" on measurement "${measurementName(st)}" is type ${TYPE_NAMES[st.ftypes[j]]}, already exists as type ${TYPE_NAMES[st.ftypes[first]]}`;
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
  if (t === T_BOOL) return ve - vs === 4 ? b[vs] === 116 && b[vs + 1] === 114 : ve - vs === 5 && b[vs] === 102 && b[vs + 1] === 97;
  if (t === T_INT || t === T_UINT) return intCanonical(b, vs, ve - 1);
  if (t !== T_STRING) return true; // floats keep the text InfluxDB accepted (README: Canonical form)
  if (b[ve - 1] !== 34 || ve - vs < 2) return false;
  for (let i = vs + 1; i < ve - 1; i++) { const c = b[i]; if (c === 34 || c === 92) return false; }
  return true;
}

/** Digits b[s..e) with an optional '-': no leading zero, and not `-0`. */
function intCanonical(b: Buffer, s: number, e: number): boolean {
  const d = b[s] === 45 ? s + 1 : s;
  return b[d] !== 48 || (e - d === 1 && d === s);
}

function writeValue(st: LineState, out: BatchWriter, j: number): void {
  const b = st.buf;
  const vs = st.fields[j * 4 + 2], ve = st.fields[j * 4 + 3];
  if (valueCanonical(st, j)) { out.copy(b, vs, ve); return; }
  const t = st.ftypes[j];
  if (t === T_BOOL) { out.latin1(b[vs] === 116 || b[vs] === 84 ? 'true' : 'false'); return; }
  // Telegraf's grammar refuses leading zeros in integers: `007i` is written `7i`, `-0i` `0i`.
  if (t === T_INT || t === T_UINT) { out.latin1(BigInt(latin1(b, vs, ve - 1)).toString() + (t === T_INT ? 'i' : 'u')); return; }
  // InfluxDB's StringValue: the bytes between the first and the last byte, unescaped.
  const v = unescapeString(latin1(b, vs + 1, ve - 1));
  out.latin1('"' + escapeString(v) + '"');
}

function writeFieldKey(st: LineState, out: BatchWriter, j: number): void {
  const ks = st.fields[j * 4], ke = st.fields[j * 4 + 1];
  if (!st.bsFields) { out.copy(st.buf, ks, ke); return; }
  const raw = latin1(st.buf, ks, ke);
  const k = unescapeName(raw);
  out.latin1(fieldKeyNeedsRaw(k) ? raw : escapeFieldKey(k));
}

/**
 * Emits the canonical line for a scanned point. Returns '' on success, else the reason InfluxDB's
 * storage layer gives for dropping it.
 */
export function emitPoint(st: LineState, out: BatchWriter, defaultTs: Buffer): string {
  const b = st.buf;
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) {
    if (isTime(b, t[j * 4], t[j * 4 + 1])) return `invalid tag key: input tag "time" on measurement "${measurementName(st)}" is invalid`;
  }
  const sel = selectFields(st);
  if (sel !== '' && sel !== '-') return sel;
  const s = st.start;
  if (sel === '' && wholeLineCanonical(st)) {
    // The common Telegraf case: the line is already canonical, one copy.
    out.ensure(st.tsEnd - s + 1);
    const at = out.pos;
    if (b[st.tsEnd] === 10) out.run(b, s, st.tsEnd + 1); // the input's newline ends the line
    else { out.copy(b, s, st.tsEnd); out.byte(10); }
    out.commit(at, st.keyEnd - s, st.mEnd - s);
    return '';
  }
  // Upper bound of the canonical size: every byte escaped, plus a timestamp and booleans spelled out.
  out.ensure(2 * (st.end - s) + 4 * st.nFields + defaultTs.length + 32);
  const lineStart = out.pos;

  // Series key: measurement, then tags sorted by escaped key (escaped tag bytes are canonical).
  if (st.bsMeasurement) out.latin1(escapeMeasurement(unescapeName(latin1(b, s, st.mEnd))));
  else out.copy(b, s, st.mEnd);
  const mLen = out.pos - lineStart;
  if (st.tagsSorted && !leadingEquals(st)) {
    out.copy(b, st.mEnd, st.keyEnd);
  } else {
    for (let j = 0; j < st.nTags; j++) {
      out.byte(44);
      out.copy(b, t[j * 4], t[j * 4 + 1]);
      out.byte(61);
      if (b[t[j * 4 + 2]] === 61) out.byte(92); // a value may start with a bare '='; canonical escapes it
      out.copy(b, t[j * 4 + 2], t[j * 4 + 3]);
    }
  }
  const sLen = out.pos - lineStart;
  out.byte(32);

  let copyFields = sel === '' && !st.bsFields;
  if (copyFields) for (let j = 0; j < st.nFields && copyFields; j++) copyFields = valueCanonical(st, j);
  if (copyFields && fieldsContiguous(st)) {
    out.copy(b, st.fStart, st.fEnd);
  } else {
    let first = true;
    for (let j = 0; j < st.nFields; j++) {
      if (keep[j] === 0) continue;
      if (!first) out.byte(44);
      first = false;
      writeFieldKey(st, out, j);
      out.byte(61);
      writeValue(st, out, source[j]);
    }
  }
  out.byte(32);
  if (st.tsText !== '') out.latin1(st.tsText);
  else if (st.tsStart === st.tsEnd) out.copy(defaultTs, 0, defaultTs.length);
  else out.copy(b, st.tsStart, st.tsEnd);
  out.byte(10);
  out.commit(lineStart, sLen, mLen);
  return '';
}

function wholeLineCanonical(st: LineState): boolean {
  if (st.bsMeasurement || st.bsFields || !st.tagsSorted || st.tsText !== '' || st.tsStart === st.tsEnd) return false;
  if (st.fStart !== st.keyEnd + 1 || st.tsStart !== st.fEnd + 1 || leadingEquals(st) || !fieldsContiguous(st)) return false;
  for (let j = 0; j < st.nFields; j++) if (!valueCanonical(st, j)) return false;
  return true;
}

function leadingEquals(st: LineState): boolean {
  for (let j = 0; j < st.nTags; j++) if (st.buf[st.tags[j * 4 + 2]] === 61) return true;
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
