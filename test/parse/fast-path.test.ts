// The one-pass fast path (src/parse/fast.ts) must give exactly what the exact path gives.
// A line without a newline after it always takes the exact path, and the same line followed by
// '\n' takes the fast path when it can, so the two parses of every line must be identical.
import t from 'tap';
import fc from 'fast-check';
import { parseLines } from '../../src/parse/index.js';
import type { ParseOptions, ParseResult } from '../../src/parse/index.js';
import { HAND, mutations, telegrafLines } from './cases.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1732600000123456789n, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

function snapshot(r: ParseResult): string {
  const p = r.points;
  return JSON.stringify([p.data.toString('latin1'), [...p.starts], [...p.seriesLengths], [...p.measurementLengths], [...p.lines], r.errors]);
}

/** '' when both paths agree on the line, else a description of the difference. */
function disagreement(line: string, o: ParseOptions): string {
  // With CRLF allowed, a trailing '\r' means something else once a '\n' follows it.
  if (line.includes('\n') || (o.allowCRLF && line.endsWith('\r'))) return '';
  const exact = snapshot(parseLines(Buffer.from(line), o));
  const fast = snapshot(parseLines(Buffer.from(line + '\n'), o));
  return exact === fast ? '' : `${JSON.stringify(line)}:\n exact ${exact}\n fast  ${fast}`;
}

// Near-misses of every fast-path rule: escapes, quotes, blanks, duplicates, `time`, long numbers.
const pick = (xs: string[]) => fc.constantFrom(...xs);
const measurement = pick(['cpu', 'm', '\\', '\\x', 'c\\ pu', 'm\\', 'a=b', 'x"y', 'é', '\t', '#', ',', '', 'mé']);
const tagKey = pick(['a', 'b', 'aa', 'ab', 'host', 'time', 'Time', 'a\\ b', 'a\\=b', 'a\\,b', '', '=', 'a b', 'a\\\\', 'x\\"', 'é']);
const tagValue = pick(['1', 'x', 'x\\ y', '=x', 'a=b', '', 'x\\', 'x\\\\', '\\ ', 'v"q', 'é', 'x\\\\ y']);
const fieldKey = pick(['v', 'w', 'vv', 'time', 'tim', 'timf', 'x y', 'x,y', '', 'a"b', 'v\\ x', 'é', 'v\t', ' v']);
const fieldValue = pick([
  'f', 'T', 'False', 'FALSE', 'TRue', 'FAlse', 'tr', 'Tx', 'FALSEx', 't t',
  '1', '1i', '-1', '-1i', '1.', '1.5', '.5', '-', '1e5', 'true', 'false', 't', 'True', 'TRUE', 'F', 'truex', 'fals',
  '"x"', '""', '"a b,c=d"', '"a\\"b"', '"a\\b"', '"x"y', '"x', 'x"', '9223372036854775807i', '9223372036854775808i',
  '123456789012345678901234', '1234567890123456789.123456', '1u', '007i', '00.5', '1i2', '-.5', 'NaN', '1..2', '"é"', '"\t"',
]);
const stamp = pick(['', ' 1', ' 0', ' 00', ' -1', ' 9223372036854775806', ' 9223372036854775807', ' 9999999999999999999',
  ' 1732600000000000000', ' 10000000000000000000', '  1', ' 1 ', ' 1x', ' \t1', ' -0', ' 0123', ' 1\r']);
// A fields section whose first part has no '=' (`,` or `k,` before the first field) turns 1.x's quote rule off.
const lead = pick(['', '', '', '', '', '', ',', 'v,', ',,']);
const line = fc.tuple(measurement, fc.array(fc.tuple(tagKey, tagValue), { maxLength: 3 }), pick([' ', ' ', ' ', '  ', '\t', ' \t']),
  lead, fc.array(fc.tuple(fieldKey, fieldValue), { minLength: 1, maxLength: 4 }), stamp)
  .map(([m, tags, sep, pre, fields, ts]) => m + tags.map(([k, v]) => `,${k}=${v}`).join('') + sep + pre + fields.map(([k, v]) => `${k}=${v}`).join(',') + ts);

t.test('structured near-misses: fast path and exact path agree', async (t) => {
  fc.assert(fc.property(line, fc.boolean(), (l, v2) => disagreement(l, v2 ? V2 : V1) === ''), { numRuns: 20000 });
  t.pass('20000 lines');
});

t.test('hand-written cases, mutations and Telegraf lines: fast path and exact path agree', async (t) => {
  const lines = [...HAND.map((c) => c.body), ...mutations(1500, 3).map((c) => c.body), ...telegrafLines(700, 5)];
  const diffs = lines.flatMap((l) => [disagreement(l, V1), disagreement(l, V2)]).filter((d) => d !== '');
  t.same(diffs.slice(0, 5), [], `${lines.length} lines`);
});

t.test('Telegraf lines take the fast path and come out as they went in', async (t) => {
  const body = Buffer.from(telegrafLines(2000, 9).join('\n') + '\n');
  const r = parseLines(body, V1);
  t.equal(r.errors.length, 0);
  t.equal(r.points.count, 2000);
  t.ok(r.points.data.equals(body), 'already canonical: copied byte for byte');
});

t.test('the fast path itself spells the eight other booleans true / false', async (t) => {
  const { fastLine } = await import('../../src/parse/fast.js');
  const { BatchWriter } = await import('../../src/parse/out.js');
  const tail = Buffer.from(' 42\n');
  for (const [line, want] of [
    ['a v=t,w=F,x=True,y=FALSE,z=f,q=T,r=False,s=TRUE,u=true,o=false 1\n', 'a v=true,w=false,x=true,y=false,z=false,q=true,r=false,s=true,u=true,o=false 1\n'],
    ['a,h=x v=t\n', 'a,h=x v=true 42\n'],
    ['a v=1i,w=F\n', 'a v=1i,w=false 42\n'],
  ]) {
    const out = new BatchWriter(256, 4);
    out.setTail(tail);
    const end = fastLine(Buffer.from(line), 0, out, tail.length);
    out.flush();
    t.equal(end, line.length - 1, `${JSON.stringify(line)} taken`);
    t.equal(out.data.subarray(0, out.pos).toString(), want);
  }
  for (const line of ['a v=TRue 1\n', 'a v=tr 1\n', 'a v=Fa 1\n', 'a v=truex 1\n']) {
    t.equal(fastLine(Buffer.from(line), 0, new BatchWriter(256, 4), tail.length), -1, `${JSON.stringify(line)} left to the exact path`);
  }
});

t.test('fastLines takes consecutive lines in one call, and stops at the first it cannot take', async (t) => {
  const { fastLines } = await import('../../src/parse/fast.js');
  const { ParseScratch } = await import('../../src/parse/state.js');
  const { BatchWriter } = await import('../../src/parse/out.js');
  const b = Buffer.from('a v=1\nb v=t 5\nc v=2i\nd\\ v=1\ne v=1\n');
  const out = new BatchWriter(1024, 16);
  out.setTail(Buffer.from(' 9\n'));
  const stop = fastLines(b, 0, b.lastIndexOf(10), out, 3, Infinity, 7, new ParseScratch());
  out.flush();
  t.equal(stop, b.indexOf('d'), 'stops at the escaped measurement, untouched');
  t.equal(out.count, 3);
  t.same([...out.lines.subarray(0, 3)], [7, 8, 9], 'each point keeps its line');
  t.equal(out.data.subarray(0, out.pos).toString(), 'a v=1 9\nb v=true 5\nc v=2i 9\n');
  const limited = new BatchWriter(1024, 16);
  limited.setTail(Buffer.from(' 9\n'));
  t.equal(fastLines(b, 0, b.lastIndexOf(10), limited, 3, 1, 1, new ParseScratch()), b.indexOf('c'), 'stops once past the limit');
});

t.test('whole bodies: the same batch with the fast path on and off (ParseOptions.fastPath)', async (t) => {
  const bodies = [telegrafLines(3000, 11).join('\n') + '\n', HAND.map((c) => c.body).join('\n') + '\n', mutations(2000, 7).map((c) => c.body).join('\n') + '\n'];
  for (const [i, text] of bodies.entries()) {
    for (const o of [V1, V2]) {
      const body = Buffer.from(text, 'latin1');
      t.equal(snapshot(parseLines(body, { ...o, fastPath: false })), snapshot(parseLines(body, o)), `body ${i}, ${o === V1 ? 'v1' : 'v2'}`);
    }
  }
});
