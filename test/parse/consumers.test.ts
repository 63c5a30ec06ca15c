// Canonical records read back by a second grammar: every point kinflux writes is read by Telegraf's
// influx parser rules (test/helpers/telegraf-grammar.ts) as the point kinflux decoded, one line per
// point; and the points no line can carry are rejected with a reason (src/parse/README.md, "Records").
import t from 'tap';
import fc from 'fast-check';
import { decodeLine, parseLines } from '../../src/parse/index.js';
import type { ParseOptions } from '../../src/parse/index.js';
import { readTelegrafLines } from '../helpers/telegraf-grammar.js';
import { pointKey } from '../kit/telegraf-lines.js';
import { HAND, mutations, telegrafLines } from './cases.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1732600000123456789n, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

/**
 * A point's key with its tags in one order: kinflux sorts tags by their escaped bytes (InfluxDB's series key),
 * Telegraf by the unescaped key, and an escape can order two keys differently (`\\-` and `\\="`): the same tags.
 */
const sameTags = (p: ReturnType<typeof decodeLine>): string =>
  pointKey({ ...p, tags: [...p.tags].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))) });

/** Problems with the records of `body`: '' when each line reads back in Telegraf's grammar as kinflux's point. */
function problems(body: string, o: ParseOptions): string[] {
  const r = parseLines(Buffer.from(body), o);
  const out: string[] = [];
  for (let i = 0; i < r.points.count; i++) {
    const line = r.points.data.subarray(r.points.starts[i], r.points.starts[i + 1]);
    if (line.indexOf(10) !== line.length - 1) out.push(`${JSON.stringify(body)}: record line spans lines: ${JSON.stringify(line.toString())}`);
    const ours = decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]);
    const theirs = readTelegrafLines(line);
    if (theirs instanceof Error) { out.push(`${JSON.stringify(body)}: Telegraf refuses ${JSON.stringify(line.toString())}: ${theirs.message}`); continue; }
    if (theirs.length !== 1 || sameTags(theirs[0]) !== sameTags(ours)) out.push(`${JSON.stringify(body)}: ${JSON.stringify(line.toString())} reads as ${theirs.map(pointKey).join(' | ')}, kinflux ${pointKey(ours)}`);
  }
  return out;
}

t.test('every accepted point of the corpus reads back the same in Telegraf\'s grammar', async (t) => {
  const bodies = [...HAND.map((c) => c.body), ...mutations(3000, 11).map((c) => c.body), ...telegrafLines(500, 3)];
  const found = bodies.flatMap((b) => [...problems(b, V1), ...problems(b + '\n', V2)]);
  t.same(found.slice(0, 10), [], `${bodies.length} bodies, v1 and v2 options`);
});

// Random lines over the bytes that matter: escapes, quotes, control bytes, digits.
// '"=' and '="' make a quote next to a second '=' likely (the scanner and 1.x's iterator part there).
const piece = fc.constantFrom('a', 'b', 'x', '0', '1', '7', '-', '.', 'e', 'i', 'u', 't', ' ', ',', '=', '"', '\\', '\t', '\n', '\r', '\f', '\v', 'é', '"=', '="');
const token = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
// The fields section sometimes starts with a part that has no '=' (`,` or `k,`): 1.x's scanner then
// stops recognising quotes (`a ,a="=1` once became the broken record `a a="=",a="=1`).
const lead = fc.constantFrom('', '', '', '', '', ',', ',', 'a,', '=', ',,', '",');
const line = fc.tuple(token, fc.array(fc.tuple(token, token), { maxLength: 2 }), lead, fc.array(fc.tuple(token, token), { minLength: 1, maxLength: 3 }), fc.constantFrom('', ' 1', ' 1732600000000000000'))
  .map(([m, tags, pre, fields, ts]) => m + tags.map(([k, v]) => `,${k}=${v}`).join('') + ' ' + pre + fields.map(([k, v]) => `${k}=${v}`).join(',') + ts);

t.test('random lines: whatever kinflux accepts, Telegraf\'s grammar reads the same', async (t) => {
  fc.assert(fc.property(line, fc.boolean(), (l, v2) => {
    let p: string[];
    try { p = problems(l + "\n", v2 ? V2 : V1); } catch (e) { throw new Error(`${JSON.stringify(l)}: ${String(e)}`); }
    if (p.length) throw new Error(p[0]);
  }), { numRuns: 30000, examples: [['a,\\\\="=a,\\\\-=a a=""a', false]] }); // an escape that orders tags differently
  t.pass('30000 lines');
});

function reasonOf(body: string): string {
  const r = parseLines(Buffer.from(body), V1);
  return r.errors.map((e) => e.reason).join('; ');
}

t.test('fields whose first part has no \'=\': read with InfluxDB\'s iterator rules, never a broken record', async (t) => {
  // influxd 1.6.7 answers 204 for `a ,a="=1` and stores field ",a" = "=" (test/parse/differential.test.ts).
  const r = parseLines(Buffer.from('a ,a="=1\na,a=a\n'), V1);
  t.equal(r.points.data.toString(), 'a \\,a="=" 1732600000123456789\n', 'the counterexample: one point, field ",a" = "="');
  t.same(r.errors.map((e) => [e.line, e.reason]), [[2, 'missing fields']], 'the second line refused as influxd does');
  for (const [body, record] of [['m k,f="x"=1 1', 'm k\\,f="x\\"=" 1\n'], ['m ,a="=1,b=t 1', 'm \\,a="=1,b=" 1\n'], ['m ,a="=1 1', 'm \\,a="=" 1\n']]) {
    for (const body2 of [body, body + '\n', body + '\nok v=1 1\n', 'ok v=1 1\n' + body + '\nok v=1 1\n']) {
      const out = parseLines(Buffer.from(body2), V2).points.data.toString().replace(/ok v=1 1\n/g, '');
      t.equal(out, record, JSON.stringify(body2));
    }
  }
  for (const body of ['a ,b=1', 'a ,b="x"', 'a ,a="x 1', 'a ,a="=",b=1']) t.ok(reasonOf(body) !== '', `${JSON.stringify(body)} refused: ${reasonOf(body)}`);
});

t.test('records: canonical numbers, no control bytes Telegraf refuses, one physical line per point', async (t) => {
  const out = (body: string) => parseLines(Buffer.from(body), V2).points.data.toString();
  t.equal(out('m a=007i,b=-0i,c=0i,d=-007i,e=00u,f=007u 1\n'), 'm a=7i,b=0i,c=0i,d=-7i,e=0u,f=7u 1\n', 'integers');
  t.equal(out('m a=007i 1'), 'm a=7i 1\n', 'exact path too');
  t.equal(out('m a=007.50,b=1.,c=.5,d=1E5,e=-0.0 1'), 'm a=007.50,b=1.,c=.5,d=1E5,e=-0.0 1\n', 'floats keep their text');
  t.equal(out('m v="a\rb\fc\td" 1\n'), 'm v="a\rb\fc\td" 1\n', 'raw CR, FF and tab inside strings are kept');
  t.match(reasonOf('m v="ok\nspoof,host=db01 cpu=99 1600000000000000000\n" 1\nnext v=1 1\n'), /^string field holds a raw newline/);
  t.equal(parseLines(Buffer.from('m v="ok\nspoof,host=db01 cpu=99 1600000000000000000\n" 1\nnext v=1 1\n'), V1).points.data.toString(), 'next v=1 1\n', 'no forged point, the neighbour kept');
  for (const [body, kind] of [['m\tx v=1 1', 'measurement'], ['m,a\tb=1 v=1 1', 'tag key'], ['m,a=1\t2 v=1 1', 'tag value'], ['m a\tb=1 1', 'field key'],
    ['m\rx v=1 1', 'measurement'], ['m\fx v=1 1', 'measurement'], ['m\vx v=1 1', 'measurement'], ['c\\\npu v=1 1', 'measurement'], ['m,a=x\\\ny v=1 1', 'tag value']]) {
    t.match(reasonOf(body), new RegExp(`^${kind} holds a raw tab, newline`), JSON.stringify(body));
    t.match(reasonOf(body + '\nok v=1 1\n'), new RegExp(`^${kind} holds a raw tab`), JSON.stringify(body) + ' (fast path)');
  }
  for (const [body, kind] of [['c\\\\=pu v=1 1', 'measurement'], ['m,a=x\\"y\\ z v=1 1', 'tag value'], ['m,a\\"b\\=c=1 v=1 1', 'tag key']]) {
    t.match(reasonOf(body), new RegExp(`^${kind} holds a backslash sequence that InfluxDB and Telegraf`), JSON.stringify(body));
  }
  t.equal(out('m,a=x\\"y v=1 1\n'), 'm,a=x\\"y v=1 1\n', 'a backslash-quote alone reads the same in both');
  // 1.x stores a field with an empty key after a tab (`m \t=1`): no line writes one.
  t.match(reasonOf('m \t=1 1'), /^field key is empty/);
  t.match(reasonOf('m \t=1,b=2 1\nok v=1 1\n'), /^field key is empty/);
});
