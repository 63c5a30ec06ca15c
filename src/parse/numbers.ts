// Number and timestamp checks done on bytes, matching Go's strconv as InfluxDB 1.x calls it.
// Only the rare cases (long literals, non-ns precision) leave the byte loop.

const MAX_I64 = '9223372036854775807';
const MIN_I64_ABS = '9223372036854775808';
const MAX_U64 = '18446744073709551615';
/** InfluxDB's time range: MinInt64 + 2 … MaxInt64 - 1. */
export const MIN_NS = -9223372036854775806n;
export const MAX_NS = 9223372036854775806n;
export const TIME_RANGE_REASON = 'time outside range -9223372036854775806 - 9223372036854775806';

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
  if (buf[s] === 45) return cmpDigits(buf, s + 1, e, MIN_I64_ABS) <= 0;
  return cmpDigits(buf, s, e, MAX_I64) <= 0;
}

export function fitsUint64(buf: Uint8Array, s: number, e: number): boolean {
  return cmpDigits(buf, s, e, MAX_U64) <= 0;
}

const FLOAT_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's ParseFloat on the characters InfluxDB's scanner lets through: syntax, then overflow. */
export function validFloatText(text: string): boolean {
  return FLOAT_RE.test(text) && Number.isFinite(Number(text));
}

const latin1 = (buf: Uint8Array, s: number, e: number): string => Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');

/** Nanoseconds per precision unit. */
export const UNIT_NS: Readonly<Record<string, bigint>> = { ns: 1n, us: 1000n, ms: 1000000n, s: 1000000000n, m: 60000000000n, h: 3600000000000n };

/**
 * Converts the timestamp text buf[s..e) (already checked: optional '-' then digits) to canonical ns text.
 * Returns the text, or an error reason exactly as InfluxDB words it.
 */
export function timestampToNs(buf: Uint8Array, s: number, e: number, unit: bigint): { ns: string } | { reason: string } {
  const text = latin1(buf, s, e);
  const neg = buf[s] === 45;
  if (e - s === (neg ? 1 : 0)) return { reason: `strconv.ParseInt: parsing "${text}": invalid syntax` };
  if (!fitsInt64(buf, s, e)) return { reason: `strconv.ParseInt: parsing "${text}": value out of range` };
  const v = BigInt(text) * unit;
  if (v < MIN_NS || v > MAX_NS) return { reason: TIME_RANGE_REASON };
  return { ns: v.toString() };
}

/**
 * Fast check for the common case: ns precision, canonical digits (no leading zero), inside the range.
 * Then the text can be copied as is.
 */
export function isCanonicalNsInRange(buf: Uint8Array, s: number, e: number): boolean {
  let d = s;
  if (buf[d] === 45) d++;
  const n = e - d;
  if (n === 0 || n > 19) return false;
  if (buf[d] === 48) return n === 1 && d === s; // "0" is canonical, "-0" and "007" are not
  if (n < 19) return true;
  // 19 digits: the range is ±9223372036854775806, the same bound on both sides.
  return cmpDigits(buf, d, e, '9223372036854775806') <= 0;
}

export { latin1 };
