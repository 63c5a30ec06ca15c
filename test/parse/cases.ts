// Differential cases: hand-written corners (from the line protocol docs and the shapes InfluxDB's
// own parser tests exercise) plus seeded mutations of generated Telegraf lines.
import { telegrafLineList } from '../kit/telegraf-lines.js';

export interface Case { body: string; precision?: string }

const TS = '1732600000000000000';

export const HAND: Case[] = [
  // basics, whitespace, comments
  'cpu value=1', 'cpu value=1 ' + TS, 'cpu,host=a value=1 ' + TS, 'cpu,host=a,region=b value=1,x=2 ' + TS,
  '  cpu value=1 1', '\tcpu value=1 1', 'cpu  value=1 1', 'cpu value=1  1', 'cpu value=1 1  ', 'cpu value=1 1\t',
  'cpu value=1\t1', 'cpu\tvalue=1 1', 'cpu value=1 \t1', '# comment\ncpu v=1 1', '   # indented comment', '\n\n\ncpu v=1 1\n\n',
  'cpu v=1 1\r\ncpu v=2 2', 'cpu v="x"\r', 'cpu v=1 1\r', 'cpu v=t\r', 'cpu', 'cpu ', 'cpu,', 'cpu,a', 'cpu,a=', 'cpu,a=b',
  'cpu,a=b ', ',cpu v=1', '=cpu v=1 1', 'cpu=x v=1 1', 'cpu v', 'cpu v=', 'cpu =1', 'cpu v=1,', 'cpu v=1,=2', 'cpu v=1,w',
  'cpu v=1 1 2', 'cpu v=1 1 x', 'cpu v=1 x', 'cpu v=1 -', 'cpu v=1 --1', 'cpu v=1 1-', 'cpu v=1 +1', 'cpu v=1 1.5',
  // tags
  'cpu,b=1,a=2 v=1 1', 'cpu,a=1,a=2 v=1 1', 'cpu,b=1,a=2,b=3 v=1 1', 'cpu,a=1,b=2,c=3,a=4 v=1 1', 'cpu,a==b v=1 1',
  'cpu,a=b=c v=1 1', 'cpu,=a v=1 1', 'cpu,a=b, v=1 1', 'cpu,a=b,,c=d v=1 1', 'cpu,a=b,c v=1 1', 'cpu,time=x v=1 1',
  'cpu,Time=x v=1 1', 'cpu,a\\ b=c\\ d v=1 1', 'cpu,a\\,b=c\\,d v=1 1', 'cpu,a\\=b=c\\=d v=1 1', 'cpu,a=\\"x\\" v=1 1',
  'cpu,a=x\\y v=1 1', 'cpu,a=x\\\\ v=1 1', 'cpu,a=x\\\\,b=2 v=1 1', 'cpu,a=\\\\\\, v=1 1', 'cpu,a=b\\ v=1 1',
  'cpu,a b=1 v=1', 'cpu,B=1,a=2,_=3,Z=4 v=1 1', 'cpu,a=é,ü=ß v=1 1', 'cpu,a=\u0001 v=1 1',
  // measurement escapes
  'c\\ pu v=1 1', 'c\\,pu v=1 1', 'c\\=pu v=1 1', 'c\\"pu v=1 1', 'c"pu v=1 1', 'c\\pu v=1 1', 'c\\\\pu v=1 1',
  'c\\\\ v=1 1', 'cpu\\ v=1 1', '\\ cpu v=1 1', '\\,cpu v=1 1', 'cpu\\', 'c#pu v=1 1', 'cpü v=1 1',
  // field keys
  'cpu v\\ x=1 1', 'cpu v\\,x=1 1', 'cpu v\\=x=1 1', 'cpu v\\"x=1 1', 'cpu v"x=1 1', 'cpu v\\x=1 1', 'cpu v\\\\=1 1',
  'cpu v=1,w\\\\=1 1', 'cpu a\\\\=1,b=2 1', 'cpu time=1 1', 'cpu time=1,v=2 1', 'cpu v=2,time=1 1', 'cpu Time=1 1',
  'cpu a=1,a=2 1', 'cpu a=1,a=2i 1', 'cpu a=1i,b=2,a=3i 1', 'cpu a="x",a=t 1', 'cpu a=1,b=2,a=3,b=4 1', 'cpu v\\ =1 1',
  'cpu v=1,w=2,x=3,y=4,z=5,v=6 1', 'cpu a\\"b=1,a"b=2 1', 'cpu a"b=1,a\\"b=2i 1',
  // floats
  'cpu v=1. 1', 'cpu v=.5 1', 'cpu v=-.5 1', 'cpu v=. 1', 'cpu v=-. 1', 'cpu v=- 1', 'cpu v=-1 1', 'cpu v=1e5 1', 'cpu v=1E5 1',
  'cpu v=1e+5 1', 'cpu v=1e-5 1', 'cpu v=1.e5 1', 'cpu v=.5e1 1', 'cpu v=1e 1', 'cpu v=1e+ 1', 'cpu v=e5 1', 'cpu v=-e5 1',
  'cpu v=1e5e5 1', 'cpu v=1.2.3 1', 'cpu v=1-2 1', 'cpu v=1e308 1', 'cpu v=1e309 1', 'cpu v=-1e309 1', 'cpu v=1e-400 1',
  'cpu v=179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 1',
  'cpu v=1797693134862315700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 1',
  'cpu v=0.1234567890123456789012345 1', 'cpu v=NaN 1', 'cpu v=nan 1', 'cpu v=Inf 1', 'cpu v=inf 1', 'cpu v=-Inf 1', 'cpu v=+1 1',
  'cpu v=0x10 1', 'cpu v=1_000 1', 'cpu v=00001.5 1', 'cpu v=-0 1', 'cpu v=-0.0 1', 'cpu v=N 1', 'cpu v=n 1', 'cpu v=1n 1',
  // integers
  'cpu v=1i 1', 'cpu v=-1i 1', 'cpu v=0i 1', 'cpu v=-0i 1', 'cpu v=007i 1', 'cpu v=i 1', 'cpu v=-i 1', 'cpu v=1ii 1', 'cpu v=1i2 1',
  'cpu v=1.0i 1', 'cpu v=1e5i 1', 'cpu v=9223372036854775807i 1', 'cpu v=9223372036854775808i 1', 'cpu v=-9223372036854775808i 1',
  'cpu v=-9223372036854775809i 1', 'cpu v=00000000000000000000009i 1', 'cpu v=99999999999999999999999i 1', 'cpu v=1I 1',
  // unsigned (1.x: rejected)
  'cpu v=1u 1', 'cpu v=-1u 1', 'cpu v=18446744073709551615u 1', 'cpu v=18446744073709551616u 1', 'cpu v=1iu 1',
  // booleans
  ...['t', 'T', 'true', 'True', 'TRUE', 'f', 'F', 'false', 'False', 'FALSE', 'tRUE', 'fALSE', 'yes', 'tru', 'truee', 'F1', 'falsy', 'to'].map((b) => `cpu v=${b} 1`),
  // strings
  'cpu v="" 1', 'cpu v="x" 1', 'cpu v="a b" 1', 'cpu v="a,b=c" 1', 'cpu v="a\\"b" 1', 'cpu v="a\\\\b" 1', 'cpu v="a\\\\" 1',
  'cpu v="a\\nb" 1', 'cpu v="a\\tb" 1', 'cpu v="a\\,b" 1', 'cpu v="a\\ b" 1', 'cpu v="a\\=b" 1', 'cpu v="a\nb" 1', 'cpu v="x 1',
  'cpu v="x"y 1', 'cpu v="x""y" 1', 'cpu v="x"y" 1', 'cpu v=x" 1', 'cpu v="x",w="y" 1', 'cpu v="\\\\\\"" 1', 'cpu v="é€😀" 1',
  'cpu v="x"\\,y 1', 'cpu v="x"\\,y=1 1', 'cpu v="a\nb",w=1 1\ncpu2 v=2 2', 'cpu v="unterminated 1\ncpu2 v=2 2',
  // a quoted value followed by more text before '=' or ',' (InfluxDB's TestParsePointMissingFieldValue)
  'm f="blah"=123,r 1531703600000000000', 'm f="a"=1,r,s=2 1', 'm f="a"b=1,r,s=2i 1', 'm f="a"=1,r,s=2,t="x"=3,u 1',
    'cpu v="\\" 1', 'cpu v="a\\\\\\\\" 1', 'cpu v="#" 1', 'cpu v="a" 1\n#"\ncpu2 v=1 1',
  // fields with a part before the first '=' that has none (a leading ',' or a key with a ','): 1.x's
  // scanner then ignores the quotes, counts the '=' inside, and its iterator reads `,a` = "=" (a
  // consumers.test.ts counterexample once written as the broken record `a a="=",a="=1`)
  'a ,a="=1', 'a ,a="=1 1', 'a ,a="=1\na,a=a', 'a ,b=1', 'a ,b="x"', 'a ,a="x 1', 'a ,a="=",b=1', 'm ,f="x"=1 1',
    'm k,f="x"=1 1', 'm k,f="=1,g=2 1', 'm ,f="a,b=1" 1', 'm ,f="a b"=1 1', 'm ,,f="=1=2 1', 'm ,f="=1,g="x" 1', 'm k,f=1=2 1',
    'm ,a="=1,b=t 1', 'm ,a="=1,a=2 1', 'm ,a="=1,\\,a=2i 1', 'm ,time="=1 1', 'm ,a=\\"=1 1', 'm ,a="=1,b="x 1',
  // ... and values the iterator splits off where the scanner checked none: influxd fails the write with a 500
  'a ,a="="a,a=." 1', 'a ",a="="=a,a=i="a,a="a="a', 'a a=""=0,"=.="a', 'm ,a="="x,b=yes" 1', 'm ,a="="x,b=1.5x" 1', 'm ,a="="x,b=1x2i" 1',
    'm ,a="="x,b=True" 1', 'm ,a="="x,b=1.5" 1', 'm ,a="="x,b=-7i" 1', 'a ,a="="a,a=." x',
    // (also without a second '=': a key ending in a backslash pair hides its '=' from the iterator)
    'a \\\\="=a,a="a', '\\, \\\\="=a" a=a', 'a \\\\="=="',
    'm ,7a="="x,=1.5x" 1', 'a ,a="8="a,=a." ', 'm ,a="="x,=1.5 1', 'm ,a="="x,=7i 1',
    // (an empty value: "engine: unknown field type"; a field keyed `time` is skipped before its value is read)
    'a \\\\="=,a="3a 1', 'm \\\\="=,time="a 1', 'm \\\\="=,time="a 1\nm v=1 2', 'm ,a="="a,time=1.5x" 1', 'm ,a="="a,time=" 1',
  // timestamps
  'cpu v=1 0', 'cpu v=1 -0', 'cpu v=1 007', 'cpu v=1 -1', 'cpu v=1 9223372036854775806', 'cpu v=1 9223372036854775807',
  'cpu v=1 -9223372036854775806', 'cpu v=1 -9223372036854775807', 'cpu v=1 -9223372036854775808', 'cpu v=1 9223372036854775808',
  'cpu v=1 -9223372036854775809', 'cpu v=1 99999999999999999999', 'cpu v=1 00000000000000000000001', 'cpu v=1 1\\\ncpu v=2 2',
  // several lines, neighbours of bad lines
  'a v=1 1\nb v= 2\nc v=3 3', 'a v=1 1\nb,x v=2 2\nc v=3 3\n', 'a v=1 1\n\nb v="2" 2\n#x\nc v=3i 3', 'a v=1 1\na v=2 1',
  'a,t=1 v=1 1\na,t=1 w=2 1', 'a v=1\na w=2',
].map((body) => ({ body }));

export const PRECISION: Case[] = [];
for (const p of ['n', 'ns', 'u', 'ms', 's', 'm', 'h', '']) {
  for (const ts of ['1', '-1', '0', '1732600000', '9223372036854', '-9223372036854', '153722867', '2562047', '2562048', '9223372036854775', '9223372036854776', '9223372036854775806']) {
    PRECISION.push({ body: `cpu v=1 ${ts}`, precision: p });
  }
  PRECISION.push({ body: 'cpu v=1', precision: p });
}

/** A small seeded PRNG so that the mutation cases are the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function telegrafLines(n: number, seed = 7): string[] {
  return telegrafLineList(n, seed);
}

const INJECT = ['\\', ',', '=', ' ', '"', '\\ ', '\\,', '\\=', '\\"', '\\\\', '\t', '#', '\r', '\n', 'é', '\u0000', 'i', 'u', '.', '-', 'e', '"x"', '=""'];
const VALUES = [
  '9223372036854775807i', '9223372036854775808i', '-9223372036854775808i', '-9223372036854775809i', '1.', '.5', '-.5', '1e308', '1e309',
  '1e-320', 'NaN', 'inf', '+1', '1u', '-1i', '0i', 't', 'True', 'TRUE', 'tRUE', 'F', '"a\\"b"', '"a\\\\"', '""', '"x"y', '"a\\b"',
  '"a b,c=d"', '"multi\nline"', '1e', '.', '-', '00012i', '1.5i', 'false', 'FALSE',
];
const STAMPS = ['-9223372036854775806', '-9223372036854775807', '9223372036854775806', '9223372036854775807', '0', '-0', '007', '-', '1.5', '', '1x', '99999999999999999999'];

/** Seeded mutations of Telegraf lines: injected bytes, boundary values, shuffled and repeated keys. */
export function mutations(count: number, seed = 1): Case[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const lines = telegrafLines(200, seed);
  const out: Case[] = [];
  for (let n = 0; n < count; n++) {
    let l = pick(lines);
    const kind = Math.floor(r() * 8);
    const sp1 = l.indexOf(' ');
    const sp2 = l.lastIndexOf(' ');
    if (kind <= 1) {
      const at = Math.floor(r() * l.length);
      l = l.slice(0, at) + pick(INJECT) + l.slice(at);
    } else if (kind === 2) {
      const fields = l.slice(sp1 + 1, sp2).split(/,(?=[a-z_]+=)/);
      fields[Math.floor(r() * fields.length)] = fields[0].split('=')[0] + '=' + pick(VALUES);
      l = l.slice(0, sp1 + 1) + fields.join(',') + l.slice(sp2);
    } else if (kind === 3) {
      l = l.slice(0, sp2 + 1) + pick(STAMPS);
    } else if (kind === 4) {
      const [key, ...tags] = l.slice(0, sp1).split(',');
      tags.reverse();
      if (r() < 0.3) tags.push(tags[0] ?? 'host=x');
      if (r() < 0.2) tags.push('time=x');
      l = [key, ...tags].join(',') + l.slice(sp1);
    } else if (kind === 5) {
      const f = l.slice(sp1 + 1, sp2).split(',')[0].split('=')[0];
      l = l.slice(0, sp2) + ',' + pick([f, 'time', 'x']) + '=' + pick(VALUES) + l.slice(sp2);
    } else if (kind === 6) {
      const at = Math.floor(r() * l.length);
      l = l.slice(0, at) + l.slice(at + 1 + Math.floor(r() * 3));
    } else {
      const at = Math.floor(r() * l.length);
      l = l.slice(0, at) + pick(INJECT) + l.slice(at, at + 5) + pick(INJECT) + l.slice(at + 5);
    }
    // A well-formed neighbour on its own measurement: it must survive the bad line's rejection.
    if (r() < 0.3) l += `\nneighbour_${n} ok=1i ${TS}`;
    out.push({ body: l });
  }
  return out;
}

/**
 * Deliberate differences (src/parse/README.md), asserted in test/parse/parser.test.ts:
 * what influxd 1.6.7 does, and what kinflux does instead.
 */
export const DELIBERATE = {
  /** influxd: 400 "field type conflict", nothing stored (schema state); kinflux: both points (no schema). */
  crossLineTypeConflict: 'a v=1 1\na v="x" 2',
  /** influxd: 204 but the point cannot be read back; kinflux: rejected (Telegraf would read measurement `c\\` and a tag). */
  unreadableMeasurement: 'c\\\\,a=1 v=1 1',
  /**
   * influxd: the iterator reads `7a.` = a lone `"`, StringValue slices it [1:0], the process panics and
   * exits (so no differential case can hold it); kinflux: that point rejected.
   */
  panicsInfluxd: 'a ,a="="a,7a.=" 1',
};
