// newlineEscaped (src/parse/split.ts) lets parseLines skip scanLineEnd for a block with backslashes but
// no quote: it must say exactly when scanLineEnd would go past the first newline.
import t from 'tap';
import fc from 'fast-check';
import { newlineEscaped, scanLineEnd } from '../../src/parse/split.js';

t.test('newlineEscaped agrees with scanLineEnd on blocks without quotes', async (t) => {
  const body = fc.array(fc.constantFrom('\\', '\\', '\n', 'a', ' ', '=', ','), { maxLength: 16 }).map((a) => Buffer.from(a.join('')));
  fc.assert(fc.property(body, fc.nat(), (b, p) => {
    const pos = b.length === 0 ? 0 : p % b.length;
    let nl = b.indexOf(10, pos);
    if (nl < 0) nl = b.length;
    const passes = scanLineEnd(b, pos, b.length) !== nl;
    if (newlineEscaped(b, pos, nl, b.length) !== passes) throw new Error(`${JSON.stringify(b.toString())} from ${pos}`);
  }), { numRuns: 50000 });
  t.pass('50000 blocks');
});

t.test('examples', async (t) => {
  const at = (s: string) => { const b = Buffer.from(s); return newlineEscaped(b, 0, b.indexOf(10), b.length); };
  t.equal(at('a\\\nb\n'), true, 'one backslash escapes the newline');
  t.equal(at('a\\\\\nb\n'), false, 'two do not');
  t.equal(at('a\\\\\\\nb\n'), true, 'three do');
  t.equal(at('a\\\n'), false, 'the body\'s last byte is never escaped');
});
