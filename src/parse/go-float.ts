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
