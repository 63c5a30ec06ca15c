// spell(): a name, key or tag value without a backslash is escaped by a byte loop, not by escape.ts' regular
// expressions; both give the same bytes. Exhaustive over tokens of up to 3 bytes of an alphabet of every special
// byte, and random longer ones: spell() equals the rule's regular expression plus the consumers' check.
import t from 'tap';
import { spell } from '../../src/parse/spell.js';
import { escapeFieldKey, escapeMeasurement, escapeTag } from '../../src/parse/escape.js';
import { FK_READ_ALIKE, fieldKeyFacts, readAlike } from '../../src/parse/consumers.js';
import { K_FIELD_KEY, K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, isTelegrafControl } from '../../src/parse/grammar.js';

const KINDS = [K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, K_FIELD_KEY];

/** What the regular-expression path writes for b (no backslash in it), or -1 when no record line carries it. */
function reference(b: Buffer, kind: number): string | -1 {
  if ([...b].some((c) => isTelegrafControl(c) || c === 0)) return -1;
  const raw = b.toString('latin1');
  const spelled = Buffer.from(kind === K_MEASUREMENT ? escapeMeasurement(raw) : kind === K_FIELD_KEY ? escapeFieldKey(raw) : escapeTag(raw), 'latin1');
  const ok = kind === K_FIELD_KEY ? ((-1 - fieldKeyFacts(spelled, 0, spelled.length)) & FK_READ_ALIKE) !== 0 : readAlike(spelled, 0, spelled.length, kind);
  return ok ? spelled.toString('latin1') : -1;
}

function same(b: Buffer): boolean {
  const d = Buffer.alloc(3 * b.length + 8);
  for (const kind of KINDS) {
    const end = spell(d, 5, b, 0, b.length, kind);
    const got = end < 0 ? -1 : d.toString('latin1', 5, end);
    if (got !== reference(b, kind)) { t.fail(`kind ${kind}, ${JSON.stringify(b.toString('latin1'))}: ${JSON.stringify(got)}, not ${JSON.stringify(reference(b, kind))}`); return false; }
  }
  return true;
}

t.test('tokens without a backslash: the byte loop writes what the regular expressions write', async (t) => {
  const alphabet = [0x2c, 0x3d, 0x20, 0x22, 0x61, 0x23, 0x09, 0x0a, 0x00, 0x0d, 0xc3, 0xa9, 0x7f, 0xff, 0x27];
  let n = 0;
  for (const a of alphabet) {
    n += Number(same(Buffer.from([a])));
    for (const b of alphabet) {
      n += Number(same(Buffer.from([a, b])));
      for (const c of alphabet) n += Number(same(Buffer.from([a, b, c])));
    }
  }
  let seed = 7;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };
  const pieces = [',', '=', ' ', '"', 'a', 'é', '#', 'x y', 'a,b', 'c=d', 'time', '\t'];
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    for (let j = Math.floor(rnd() * 12); j > 0; j--) s += pieces[Math.floor(rnd() * pieces.length)];
    n += Number(same(Buffer.from(s)));
  }
  t.equal(n, alphabet.length * (1 + alphabet.length * (1 + alphabet.length)) + 20_000, `${n} tokens alike in every kind`);
});
