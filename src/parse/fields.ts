// InfluxDB 1.x reads field keys and values back with walkFields/FieldIterator, whose rules differ
// from the validating scanner around backslashes (`a\\=1` scans, then fails here). Lines whose
// fields hold a backslash are re-walked with those exact rules.
import { LineState, T_BOOL, T_FLOAT, T_INT, T_STRING, T_UINT, TYPE_NAMES } from './state.js';
import { fitsInt64, fitsUint64, latin1Capped, validFloatBytes } from './numbers.js';
import { Byte, MAX_FIELDS, MAX_KEY_LENGTH, SAFE_INT_DIGITS, booleanValue, isTimeKey } from './grammar.js';

/** The iterator's type rule: first byte of the value, then the last byte for numbers. */
function typeOf(b: Buffer, vs: number, ve: number): number {
  if (ve <= vs) return 0;
  const c = b[vs];
  if (c === Byte.QUOTE) return T_STRING;
  if ((c >= 48 && c <= 57) || c === Byte.MINUS || c === 46 || c === 110 || c === 78 || c === 105 || c === 73 || c === 117) {
    const l = b[ve - 1];
    return l === 105 ? T_INT : l === 117 ? T_UINT : T_FLOAT;
  }
  return T_BOOL;
}

const short = (b: Buffer, s: number, e: number): string => e - s <= 64 ? b.toString('latin1', s, e) : b.toString('latin1', s, s + 64) + '...';

/**
 * Whether 1.x's storage engine can parse the value the iterator typed. The scanner checked the
 * values where it split the fields; where the iterator splits elsewhere (`,a="="a,a=."`) a value
 * can be anything, and influxd 1.6.7 then fails the whole write with a 500 ("engine: unable to
 * parse floating point value"). kinflux refuses that point instead: its record would be broken.
 */
function engineReads(b: Buffer, vs: number, ve: number, t: number, unsigned: boolean): boolean {
  // A lone `"` is sliced [1:0] by StringValue: influxd 1.6.7 panics and exits.
  if (t === T_STRING) return ve - vs >= 2;
  if (t === T_FLOAT) return validFloatBytes(b, vs, ve);
  if (t === T_BOOL) return booleanValue(b, vs, ve) >= 0;
  if (t === T_UINT && !unsigned) return false;
  const e = ve - 1; // the i or u suffix
  const d = t === T_INT && b[vs] === Byte.MINUS ? vs + 1 : vs;
  if (d >= e) return false;
  for (let i = d; i < e; i++) if (b[i] < 48 || b[i] > 57) return false;
  // Up to 18 digits always fit; only longer ones are compared with the bounds.
  return e - d <= SAFE_INT_DIGITS || (t === T_INT ? fitsInt64(b, vs, e) : fitsUint64(b, vs, e));
}

export function walkFieldsExact(st: LineState, b: Buffer, unsigned: boolean): boolean {
  const end = st.fEnd;
  const keyLen = st.keyEnd - st.start;
  let p = st.fStart;
  let n = 0;
  st.badValueAt = -1;
  while (p < end) {
    let k = p;
    while (k < end && !(b[k] === Byte.EQUALS && (k === p || b[k - 1] !== Byte.BACKSLASH))) k++;
    if (k > end - 2) return st.fail(k, `invalid value: field-key=${latin1Capped(b, p, k)}`);
    let v = k + 1;
    let quoted = false;
    while (v < end) {
      const c = b[v];
      if (c === Byte.BACKSLASH && v + 1 < end && (b[v + 1] === Byte.QUOTE || b[v + 1] === Byte.BACKSLASH)) { v += 2; continue; }
      if (c === Byte.QUOTE) { quoted = !quoted; v++; continue; }
      if (c === Byte.COMMA && !quoted) break;
      v++;
    }
    const sz = keyLen + 4 + (k - p);
    if (sz > MAX_KEY_LENGTH) return st.fail(k, `max key length exceeded: ${sz} > ${MAX_KEY_LENGTH}`);
    const t = typeOf(b, k + 1, v);
    // The engine skips a field keyed `time` before reading its value; any other value it reads, even
    // under an empty key (`m ,a="="x,=1.5x"`), and an empty one (`a \\="=,a="3a`) has no type: both
    // fail the whole write with a 500 in influxd.
    if (st.badValueAt < 0 && !isTimeKey(b, p, k) && (t === 0 || !engineReads(b, k + 1, v, t, unsigned))) {
      st.badValueAt = k + 1;
      st.badValueReason = t === 0 ? `invalid field value: InfluxDB reads ${short(b, p, k)}= as an empty value it cannot store`
        : `invalid field value: InfluxDB reads ${short(b, p, k)}=${short(b, k + 1, v)} as a ${TYPE_NAMES[t]} it cannot store`;
    }
    if (t !== 0 && k > p) { // empty values and keys are skipped by InfluxDB's iterator
      if ((n + 1) * 4 > st.fields.length) {
        if (n >= MAX_FIELDS) return st.fail(k, `too many fields: more than ${MAX_FIELDS} in one line`);
        st.growFields();
      }
      const f = st.fields;
      f[n * 4] = p; f[n * 4 + 1] = k; f[n * 4 + 2] = k + 1; f[n * 4 + 3] = v;
      st.ftypes[n] = t;
      n++;
    }
    p = v;
    if (p < end) p++;
  }
  st.nFields = n;
  return true;
}
