// The rules of src/parse/grammar.ts, proved where they are claimed: a token whose bytes are all plain for
// its kind is canonical as written (the exact path writes it back unchanged, every consumer check
// passes) and the fast path takes it (so the fast path needs no rule of its own); exhaustively over the
// byte tables for tokens of 1 and 2 bytes, and for 3 bytes over the plain bytes that are ASCII punctuation
// and a few others. The byte-level forms of the boolean, integer and timestamp rules agree with their definitions.
import t from 'tap';
import { parseLines } from '../../src/parse/index.js';
import type { ParseOptions } from '../../src/parse/index.js';
import { fastLines } from '../../src/parse/fast.js';
import { BatchWriter } from '../../src/parse/out.js';
import { ParseScratch } from '../../src/parse/state.js';
import {
  Byte, FALSE_SPELLINGS, K_FIELD_KEY, K_MEASUREMENT, K_STRING, K_TAG_KEY, K_TAG_VALUE, KIND_TEXT, MAX_NS, MIN_NS, PLAIN,
  TIME_KEY, TRUE_SPELLINGS, booleanCanonical, booleanValue, intCanonical, timestampCanonical,
} from '../../src/parse/grammar.js';

const O: ParseOptions = { precision: 'ns', receivedAtNs: 1n, allowUnsigned: false, allowCRLF: false };

/** The token in a line of its own, in the place of its kind (everything else canonical). */
const LINE: Record<number, (tok: string) => string> = {
  [K_MEASUREMENT]: (x) => `${x} f=1i 1`,
  [K_TAG_KEY]: (x) => `m,${x}=v f=1i 1`,
  [K_TAG_VALUE]: (x) => `m,k=${x} f=1i 1`,
  [K_FIELD_KEY]: (x) => `m ${x}=1i 1`,
  [K_STRING]: (x) => `m f="${x}" 1`,
};

/** A token may also have to start right: not a comment's `#` (measurement), not `=` (tag value); `time` is reserved. */
const startsRight = (kind: number, tok: string): boolean =>
  tok !== TIME_KEY && !(kind === K_MEASUREMENT && tok.charCodeAt(0) === Byte.COMMENT) && !(kind === K_TAG_VALUE && tok.charCodeAt(0) === Byte.EQUALS);

function tokens(kind: number): string[] {
  const plain: string[] = [];
  for (let c = 0; c < 256; c++) if (PLAIN[kind][c] === 1) plain.push(String.fromCharCode(c));
  // 3 bytes: ASCII punctuation and a few letters, DEL and bytes above 0x7f (UTF-8 lead and continuation).
  const punct = plain.filter((ch) => (ch < '\x80' && !/[A-Za-z0-9]/.test(ch)) || 'a\x80\xbf\xc3\xe9\xff'.includes(ch));
  const out: string[] = [...plain];
  for (const a of plain) for (const b of plain) out.push(a + b);
  for (const a of punct) for (const b of punct) for (const c of punct) out.push(a + b + c);
  return out.filter((tok) => startsRight(kind, tok));
}

for (const kind of [K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, K_FIELD_KEY, K_STRING]) {
  t.test(`${KIND_TEXT[kind]}: a token of plain bytes is canonical as written, on both paths`, async (t) => {
    const toks = tokens(kind);
    const body = Buffer.from(toks.map((x) => LINE[kind](x) + '\n').join(''), 'latin1');
    for (const fastPath of [false, true]) {
      const r = parseLines(body, { ...O, fastPath });
      t.same(r.errors.slice(0, 3), [], `fast path ${fastPath}: no line refused`);
      t.equal(r.points.count, toks.length);
      t.ok(r.points.data.equals(body), `fast path ${fastPath}: every line written back as it came`);
    }
    const out = new BatchWriter(body.length + 64, toks.length);
    out.setTail(Buffer.from(' 1\n'));
    t.equal(fastLines(body, 0, body.lastIndexOf(10), out, 3, Infinity, 1, new ParseScratch()), body.lastIndexOf(10) + 1, 'the fast path takes every line');
    t.equal(out.count, toks.length, `${toks.length} tokens`);
  });
}

t.test('booleans: the byte form agrees with the spelling lists', async (t) => {
  const alphabet = 'tTrRuUeEfFaAlLsSx';
  let n = 0;
  const bad: string[] = [];
  const walk = (w: string): void => {
    if (w !== '') {
      n++;
      const b = Buffer.from(`(${w})`, 'latin1');
      const want = (TRUE_SPELLINGS as readonly string[]).includes(w) ? 1 : (FALSE_SPELLINGS as readonly string[]).includes(w) ? 0 : -1;
      if (booleanValue(b, 1, 1 + w.length) !== want && bad.length < 5) bad.push(w);
      if (want >= 0 && booleanCanonical(b, 1, 1 + w.length) !== (w === 'true' || w === 'false') && bad.length < 5) bad.push(`canonical ${w}`);
    }
    if (w.length < 5) for (const c of alphabet) walk(w + c);
  };
  walk('');
  t.same(bad, [], `${n} words`);
});

t.test('integers and timestamps: canonical means the shortest decimal text of the value', async (t) => {
  const bad: string[] = [];
  const walk = (w: string): void => {
    if (/^-?\d+$/.test(w)) {
      const b = Buffer.from(w, 'latin1');
      if (intCanonical(b, 0, b.length) !== (String(BigInt(w)) === w)) bad.push(`int ${w}`);
      if (timestampCanonical(b, 0, b.length) !== (String(BigInt(w)) === w)) bad.push(`ts ${w}`);
    }
    if (w.length < 5) for (const c of '-019') walk(w + c);
  };
  walk('');
  for (const v of [MAX_NS, MAX_NS + 1n, MIN_NS, MIN_NS - 1n, 10n ** 19n, -(10n ** 19n), 10n ** 18n]) {
    const b = Buffer.from(String(v));
    if (timestampCanonical(b, 0, b.length) !== (v >= MIN_NS && v <= MAX_NS)) bad.push(`range ${v}`);
  }
  t.same(bad, []);
});
