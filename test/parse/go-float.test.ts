// goFormatG is Go's fmt %g for float64 (Telegraf's spelling of native histogram bucket bounds). Its fast form
// (String / toExponential) is checked against the rule spelled out step by step, and against Go's own outputs.
import t from 'tap';
import fc from 'fast-check';
import { formatFloatF, goFormatG, MAX_FLOAT_F_LENGTH, writeFloatF } from '../../src/parse/go-float.js';

/** %g with the shortest digits, spelled out: exponent form when the decimal exponent is < -4 or >= 6. */
function reference(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = x.toExponential();
  const at = e.indexOf('e');
  const mant = e.slice(0, at);
  const exp = Number(e.slice(at + 1));
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

t.test("Go's outputs (fmt.Sprintf(\"%g\", x))", async (t) => {
  const cases: [number, string][] = [
    [1, '1'], [0.5, '0.5'], [123456, '123456'], [999999, '999999'], [1e6, '1e+06'], [1234567, '1.234567e+06'],
    [0.0001, '0.0001'], [0.00001, '1e-05'], [2 ** 30, '1.073741824e+09'], [2 ** -10, '0.0009765625'], [2 ** 100, '1.2676506002282294e+30'],
    [-1.5e-7, '-1.5e-07'], [5e-324, '5e-324'], [Number.MAX_VALUE, '1.7976931348623157e+308'], [0, '0'], [-0, '-0'],
    [Infinity, '+Inf'], [-Infinity, '-Inf'], [NaN, 'NaN'],
  ];
  for (const [x, want] of cases) t.equal(goFormatG(x), want, String(x));
});

t.test('the fast form is the reference for every double', async (t) => {
  fc.assert(fc.property(fc.double(), (x) => goFormatG(x) === reference(x)), { numRuns: 20000 });
  for (let e = -1075; e <= 1024; e++) {
    for (const m of [1, 1.5, 3, 9.999999999999999, 1.0000000000000002]) {
      const x = m * 2 ** e;
      if (goFormatG(x) !== reference(x) || goFormatG(-x) !== reference(-x)) t.fail(`2^${e} × ${m}`);
    }
  }
  for (let k = -330; k <= 308; k++) {
    for (const x of [Number(`1e${k}`), Number(`1e${k}`) * (1 + 2 ** -52), Number(`1e${k}`) * (1 - 2 ** -53)]) {
      if (goFormatG(x) !== reference(x)) t.fail(`1e${k} neighbour ${x}`);
    }
  }
  t.pass('powers of two and ten, and their neighbours');
});

t.test("writeFloatF writes formatFloatF's bytes, in place, for every double", async (t) => {
  const d = Buffer.alloc(2 * MAX_FLOAT_F_LENGTH + 16);
  let n = 0;
  const check = (x: number): void => {
    const want = formatFloatF(x);
    for (const shortest of [undefined, Number.isNaN(x) || Object.is(x, -0) ? undefined : String(x)]) {
      d.fill(0xaa);
      const end = writeFloatF(d, 7, x, shortest);
      n++;
      const got = d.toString('latin1', 7, end);
      if (got !== want || d[6] !== 0xaa || d[end] !== 0xaa || end - 7 > MAX_FLOAT_F_LENGTH) t.fail(`${x}: ${got} (want ${want})`);
    }
  };
  for (const x of [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 1e-323, Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308,
    2.225073858507201e-308, 1e21, 1e-7, 1e-6, 9.999999999999999e20, 1.5e-7, -2.5e22, 0.25, 1, -1, 0.1, 123456789012345680000, 2 ** 1023, 2 ** -1074]) check(x);
  // Exponential histogram bounds, ±2^(k·2^-scale), at every scale the decoders take, where they reach the ends of a
  // double's exponent range (0 and +Inf past them, subnormals near 2^-1074, DBL_MAX near 2^1024) and near 1.
  for (let s = -10; s <= 20; s++) {
    const base = 2 ** -s;
    for (const edge of [1024, -1022, -1074, -1075, 0]) {
      const k0 = Math.round(edge * 2 ** s);
      for (let k = k0 - 40; k <= k0 + 40; k++) { const x = Math.pow(2, k * base); check(x); check(-x); }
    }
  }
  fc.assert(fc.property(fc.double(), (x) => { check(x); return true; }), { numRuns: 20000 });
  t.ok(n > 50000, `${n} spellings compared`);
});
