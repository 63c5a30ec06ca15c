// Number and timestamp checks done on bytes, matching Go's strconv as InfluxDB 1.x calls it.
// Only the rare cases (long literals, non-ns precision) leave the byte loop.

import { MAX_I64_TEXT, MAX_NS, MAX_U64_TEXT, MIN_I64_ABS_TEXT, MIN_NS, TIME_RANGE_REASON } from './grammar.js';

/** Compare the decimal digits buf[s..e) (no sign) with a decimal string, ignoring leading zeros. */
function cmpDigits(buf: Uint8Array, s: number, e: number, limit: string): number {
  while (s < e - 1 && buf[s] === 48) s++;
  const n = e - s;
  if (n !== limit.length) return n < limit.length ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const d = buf[s + i] - limit.charCodeAt(i);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when the optionally signed decimal buf[s..e) fits an int64. */
export function fitsInt64(buf: Uint8Array, s: number, e: number): boolean {
  if (buf[s] === 45) return cmpDigits(buf, s + 1, e, MIN_I64_ABS_TEXT) <= 0;
  return cmpDigits(buf, s, e, MAX_I64_TEXT) <= 0;
}

export function fitsUint64(buf: Uint8Array, s: number, e: number): boolean {
  return cmpDigits(buf, s, e, MAX_U64_TEXT) <= 0;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Longest float text handed to Number() as it is; longer ones are shortened exactly first. */
const SHORT_FLOAT = 400;
/** Significant digits that decide the rounding of any double (at most 767 are ever needed). */
const KEEP_DIGITS = 800;

/**
 * Go's ParseFloat on the bytes InfluxDB's scanner lets through: the syntax
 * `-?(digits[.digits]|.digits)([eE][+-]?digits)?`, then overflow. Linear in the text, with no
 * backtracking and no string longer than ~800 characters, however long the number.
 */
export function validFloatBytes(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  if (i < e && b[i] === 45) i++;
  const intS = i;
  while (i < e && isDigit(b[i])) i++;
  const intE = i;
  let fracS = i;
  let fracE = i;
  if (i < e && b[i] === 46) {
    fracS = ++i;
    while (i < e && isDigit(b[i])) i++;
    fracE = i;
  }
  if (intE === intS && fracE === fracS) return false;
  let expS = i;
  let expE = i;
  let expNeg = false;
  if (i < e && (b[i] === 101 || b[i] === 69)) {
    i++;
    if (i < e && (b[i] === 43 || b[i] === 45)) expNeg = b[i++] === 45;
    expS = i;
    while (i < e && isDigit(b[i])) i++;
    expE = i;
    if (expE === expS) return false;
  }
  if (i !== e) return false;
  if (e - s <= SHORT_FLOAT) return Number.isFinite(Number(latin1(b, s, e)));
  // Long text: the value is 0.D × 10^E with D the significant digits. Keep the first KEEP_DIGITS
  // of D plus a sticky 1 when any later digit is not 0: Number() then rounds exactly the same.
  let digits = '';
  let point = intE - intS; // digits before the decimal point, counted from the first significant one
  let sticky = false;
  let started = false;
  for (let k = intS; k < fracE; k++) {
    if (k === intE) { k = fracS - 1; continue; } // skip the '.'
    const c = b[k];
    if (!started) {
      if (c === 48) { point--; continue; }
      started = true;
    }
    if (digits.length < KEEP_DIGITS) digits += String.fromCharCode(c);
    else if (c !== 48) sticky = true;
  }
  if (!started) return true; // zero
  while (expS < expE && b[expS] === 48) expS++;
  if (expE - expS > 12) return expNeg; // 10^(±10^12): a huge negative exponent is 0, a positive one overflows
  const exp = point + (expNeg ? -1 : 1) * Number(latin1(b, expS, expE) || '0');
  if (exp > 400) return false;
  if (exp < -400) return true;
  return Number.isFinite(Number(`0.${digits}${sticky ? '1' : ''}e${exp}`));
}

/**
 * latin1 text of buf[s..e), at most 4,096 bytes of it (then `...`): for error reasons quoting a number
 * or key, which influxd quotes whole. Long enough for any number a client means to send.
 */
export function latin1Capped(buf: Uint8Array, s: number, e: number): string {
  return e - s <= 4096 ? latin1(buf, s, e) : latin1(buf, s, s + 4096) + '...';
}

const latin1 = (buf: Uint8Array, s: number, e: number): string => Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');

/** Nanoseconds per precision unit. */
export const UNIT_NS: Readonly<Record<string, bigint>> = Object.freeze({ ns: 1n, us: 1000n, ms: 1000000n, s: 1000000000n, m: 60000000000n, h: 3600000000000n });

/**
 * Converts the timestamp text buf[s..e) (already checked: optional '-' then digits) to canonical ns text.
 * Returns the text, or an error reason exactly as InfluxDB words it.
 */
export function timestampToNs(buf: Uint8Array, s: number, e: number, unit: bigint): { ns: string } | { reason: string } {
  const text = latin1Capped(buf, s, e);
  const neg = buf[s] === 45;
  if (e - s === (neg ? 1 : 0)) return { reason: `strconv.ParseInt: parsing "${text}": invalid syntax` };
  if (!fitsInt64(buf, s, e)) return { reason: `strconv.ParseInt: parsing "${text}": value out of range` };
  // Fits int64: at most 19 digits once leading zeros (any number of them) are skipped.
  let d = neg ? s + 1 : s;
  while (d < e - 1 && buf[d] === 48) d++;
  const v = BigInt((neg ? '-' : '') + latin1(buf, d, e)) * unit;
  if (v < MIN_NS || v > MAX_NS) return { reason: TIME_RANGE_REASON };
  return { ns: v.toString() };
}

export { latin1 };
