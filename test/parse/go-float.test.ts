// goFormatG is Go's fmt %g for float64 (Telegraf's spelling of native histogram bucket bounds). Its fast form
// (String / toExponential) is checked against the rule spelled out step by step, and against Go's own outputs.
import t from 'tap';
import fc from 'fast-check';
import { goFormatG } from '../../src/parse/go-float.js';

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
