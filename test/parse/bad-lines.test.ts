// Once the error texts are full (maxErrors), parseLines counts lines that cannot be points (no space)
// in a tight loop instead of scanning them. That must change nothing but the cost: the points, the
// count and line numbers of bad lines, and the line limit are the same as with every error kept.
import t from 'tap';
import fc from 'fast-check';
import { parseLines } from '../../src/parse/index.js';
import type { ParseOptions, ParseResult } from '../../src/parse/index.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1732600000123456789n, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

function bad(r: ParseResult, lines: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= lines + 1; i++) if (r.badLines.has(i)) out.push(i);
  return out;
}

const lineOf = fc.constantFrom('x', 'xyz', ',', 'a,b=c', 'a=b', 'm v=1', 'm v=1 1', 'm v=t', '# c', '', ' ', '\t', 'x\r', '\0x',
  'm v="a', 'b"', 'x\\', 'm\\ v=1', 'é', 'm,a=1 v=2i', 'm v=bad', 'x y', '"', '=', 'x\ty', '\\ x=1 1', '\\', '"a b=1',
  'x y=', '=x y', 'x y z', 'x =1', 'a b c=d', 'm v=x"y', 'm v=x\\', 'm v=.5', 'm v=N', 'm,a=\\ b v=x', 'm v=1,w=x', 'm v=\t1');

t.test('bad lines counted in the tight loop: same result as with every error kept', async (t) => {
  fc.assert(fc.property(fc.array(lineOf, { maxLength: 40 }), fc.boolean(), fc.boolean(), fc.nat(4), fc.nat(50), (ls, v2, trailing, maxErrors, maxLines) => {
    const body = Buffer.from(ls.join('\n') + (trailing ? '\n' : ''));
    const o = { ...(v2 ? V2 : V1), maxLines };
    const all = parseLines(body, { ...o, maxErrors: 1e9 });
    const few = parseLines(body, { ...o, maxErrors });
    const n = ls.length + 1;
    const same = all.points.data.equals(few.points.data) && all.errorCount === few.errorCount && all.tooManyLines === few.tooManyLines &&
      JSON.stringify(bad(all, n)) === JSON.stringify(bad(few, n)) && JSON.stringify(all.errors.slice(0, maxErrors)) === JSON.stringify(few.errors);
    if (!same) throw new Error(`${JSON.stringify(body.toString())} maxErrors ${maxErrors} maxLines ${maxLines}`);
  }), { numRuns: 20000 });
  t.pass('20000 bodies');
});

t.test('unterminated strings and spaceless lines after the error texts are full', async (t) => {
  const body = Buffer.from('x\n'.repeat(12) + 'm f="abc\n'.repeat(5) + 'ok v=1 1\n' + 'm f="a\nb" 1\n' + 'y\n');
  const all = parseLines(body, { ...V1, maxErrors: 1e9 });
  const few = parseLines(body, V1);
  t.equal(few.errors.length, 10);
  t.equal(few.errorCount, all.errorCount);
  t.same(bad(few, 30), bad(all, 30));
  t.equal(few.points.data.toString(), all.points.data.toString());
});
