// Go's fmt `%g` for a float64 (strconv 'g' with the shortest precision): how Telegraf spells a native
// histogram bucket's upper bound in its `<name>_le` tag or field name. Exponent form when the decimal
// exponent is below -4 or at least 6 (Go decides with precision 6 when printing the shortest digits).

/** `fmt.Sprintf("%g", x)` of Go. */
export function goFormatG(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // JS's String() and toExponential() give the shortest round-trip digits, as Go's shortest does; String()
  // is Go's plain form for decimal exponents -4 to 5, toExponential() its exponent form but for the
  // exponent's two digits at least (1e+06, not 1e+6).
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e6) return String(x);
  const t = x.toExponential();
  const sign = t.charCodeAt(t.length - 2);
  if (sign !== 43 && sign !== 45) return t; // + or -: one exponent digit
  return `${t.slice(0, -1)}0${t.slice(-1)}`;
}

/** x in Go's 'f' form with the fewest digits ('+Inf', '-Inf', 'NaN' for the rest). */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (Object.is(x, -0)) return '-0';
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // JavaScript's shortest round-trip digits are Go's too; only the notation differs.
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const point = (dot < 0 ? mant.length : dot) + exp; // digits before the decimal point
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return neg ? '-' + out : out;
}

/** Most bytes writeFloatF() writes: `-0.` then 323 zeros then 17 digits, rounded up. */
export const MAX_FLOAT_F_LENGTH = 360;

const fillBytes = Uint8Array.prototype.fill;

/**
 * formatFloatF(x) written as bytes at d[p..] (room for MAX_FLOAT_F_LENGTH ensured), its end returned: the same
 * bytes, without the strings formatFloatF joins (a bound far from 1 is mostly zeros, up to ~330 of them).
 * `shortest`: String(x), when the caller has it.
 */
export function writeFloatF(d: Uint8Array, p: number, x: number, shortest?: string): number {
  if (!Number.isFinite(x) || Object.is(x, -0)) return writeAscii(d, p, formatFloatF(x));
  const s = shortest ?? String(x);
  const n = s.length;
  let e = n - 1;
  while (e > 0 && s.charCodeAt(e) !== 0x65) e--; // 'e'
  if (e === 0) return writeAscii(d, p, s);
  let i = 0;
  if (s.charCodeAt(0) === 0x2d) { d[p++] = 0x2d; i = 1; }
  // The mantissa's digits are s[i] then s[i+2..e) when it has a point; the exponent is s(e..n) with its sign.
  const first = i;
  const dot = e > i + 1;
  const nd = dot ? e - i - 1 : 1;
  let exp = 0;
  for (let k = e + 2; k < n; k++) exp = 10 * exp + s.charCodeAt(k) - 48;
  if (s.charCodeAt(e + 1) === 0x2d) exp = -exp;
  const point = 1 + exp; // digits before the decimal point
  if (point <= 0) {
    d[p++] = 0x30; d[p++] = 0x2e;
    fillBytes.call(d, 0x30, p, p - point);
    p -= point;
    d[p++] = s.charCodeAt(first);
    for (let k = first + 2; k < e; k++) d[p++] = s.charCodeAt(k);
    return p;
  }
  if (point >= nd) {
    d[p++] = s.charCodeAt(first);
    if (dot) for (let k = first + 2; k < e; k++) d[p++] = s.charCodeAt(k);
    fillBytes.call(d, 0x30, p, p + point - nd);
    return p + point - nd;
  }
  // Not reached (String() writes an exponent only below 1e-6 or from 1e21), kept for completeness.
  return writeAscii(d, p - (first > 0 ? 1 : 0), formatFloatF(x));
}

function writeAscii(d: Uint8Array, p: number, s: string): number {
  for (let k = 0; k < s.length; k++) d[p++] = s.charCodeAt(k);
  return p;
}
