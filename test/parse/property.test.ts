// Property tests: serialize/parse round trip, no crash or hang on random bytes, linear work.
import t from 'tap';
import fc from 'fast-check';
import { decodeLine, parseLines, serializePoint } from '../../src/parse/index.js';
import type { FieldValue, ParseOptions, Point } from '../../src/parse/index.js';
import { telegrafLines } from './cases.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1n, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

// Text made of the bytes that matter to the grammar, plus some ordinary and non-ASCII ones.
const alphabet = fc.constantFrom('a', 'b', 'Z', '0', '9', ' ', ',', '=', '"', '\\', '#', '.', '-', 'é', '😀', 'e', 'i', 't', '\n', '\t');
const text = (min: number) => fc.array(alphabet, { minLength: min, maxLength: 12 }).map((a) => a.join(''));
const bad = (s: string) => s.endsWith('\\') || /[\n\t]/.test(s);
const name = text(1).filter((s) => !bad(s) && !/^[#\\\t]/.test(s));
const tagPart = text(1).filter((s) => !bad(s));
const fieldKey = text(1).filter((s) => !bad(s) && s !== 'time' && !/\\([\\,= "]|$)/.test(s));
const value: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ type: 'float' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'integer' as const, value })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ type: 'unsigned' as const, value })),
  fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
  fc.string({ unit: 'binary', maxLength: 20 }).map((value) => ({ type: 'string' as const, value: value.replace(/[\ud800-\udfff\n]/g, '') })),
);
const point: fc.Arbitrary<Point> = fc.record({
  measurement: name,
  tags: fc.uniqueArray(fc.tuple(tagPart.filter((k) => k !== 'time'), tagPart), { maxLength: 4, selector: ([k]) => k }),
  fields: fc.uniqueArray(fc.tuple(fieldKey, value), { minLength: 1, maxLength: 4, selector: ([k]) => k }),
  timestamp: fc.bigInt({ min: -9223372036854775806n, max: 9223372036854775806n }),
});

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const escKey = (k: string) => k.replace(/[, =]/g, '\\$&');

t.test('random points: serialize -> parse -> decode gives the same point', async (t) => {
  fc.assert(fc.property(point, (p) => {
    const line = serializePoint(p);
    const r = parseLines(Buffer.from(line + '\n'), V2);
    // Some points have no line that InfluxDB and Telegraf both read back (src/parse/consumers.ts):
    // those are refused as such, never altered.
    if (r.errors.length === 1 && r.errors[0].stage === 'record') return;
    if (r.errors.length !== 0 || r.points.count !== 1) throw new Error(`${line}: ${JSON.stringify(r.errors)}`);
    const back = decodeLine(r.points.data, r.points.starts[0], r.points.starts[1]);
    const want = { ...p, tags: [...p.tags].sort(([a], [b]) => byBytes(escKey(a), escKey(b))) };
    t.same(back, want, line);
    // Canonical lines are a fixed point.
    t.equal(r.points.data.toString(), line + '\n');
  }), { numRuns: 400 });
});

t.test('random and mutated bytes never throw, and valid neighbours survive', async (t) => {
  const base = telegrafLines(50, 3);
  const bytes = fc.uint8Array({ maxLength: 300 });
  const mutated = fc.tuple(fc.constantFrom(...base), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'\\ ,="\n#\r\t\0ieu.-'.split(''))), { maxLength: 5 }))
    .map(([l, muts]) => muts.reduce((s, [at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1)), l));
  fc.assert(fc.property(fc.oneof(bytes.map((b) => Buffer.from(b)), mutated.map((s) => Buffer.from(s))), fc.boolean(), (body, v2) => {
    const r = parseLines(body, v2 ? V2 : V1);
    for (let i = 0; i < r.points.count; i++) decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]);
    // Every accepted point re-parses to itself.
    const again = parseLines(r.points.data, v2 ? V2 : V1);
    if (again.errors.length !== 0 || !again.points.data.equals(r.points.data)) throw new Error(`not a fixed point: ${JSON.stringify(body.toString('latin1'))}`);
    const withNeighbour = parseLines(Buffer.concat([body, Buffer.from('\nok v=1i 1\n')]), v2 ? V2 : V1);
    t.ok(withNeighbour.points.count >= 1 || /"|\\/.test(body.toString('latin1')), 'a neighbour after a bad line is kept unless quotes or escapes join them');
  }), { numRuns: 1500 });
});

t.test('work is linear in the input size', async (t) => {
  // Bodies that stress the splitter: unbalanced quotes, many escapes, many fields, long lines.
  const shapes = ['m v="' + 'x'.repeat(50), 'm v=1 1\\', 'm ' + 'a=1,'.repeat(40) + 'b=2 1', 'm,' + 't\\ =x,'.repeat(30) + 'u=1 v=1'];
  for (const shape of shapes) {
    const per: number[] = [];
    for (const n of [1000, 8000]) {
      const body = Buffer.from((shape + '\n').repeat(n));
      // The least CPU of five parses (CPU, not wall time: waiting for a core beside CPU burners is not cost; the
      // least: a sample that paid for a collection does not count).
      let best = Infinity;
      for (let k = 0; k < 5; k++) {
        const t0 = process.cpuUsage();
        parseLines(body, V1);
        const used = process.cpuUsage(t0);
        best = Math.min(best, (used.user + used.system) * 1000);
      }
      per.push(best / body.length);
    }
    // 8x the input must not cost 8x per byte (a quadratic parser would); a loose bound, never a deadline.
    t.ok(per[1] < per[0] * 4 + 50, `${JSON.stringify(shape.slice(0, 20))}: ns/byte ${per.map((x) => x.toFixed(1)).join(' -> ')}`);
  }
});

t.test('a 32 MiB body costs a few big buffers, not objects per point', async (t) => {
  const one = Buffer.from(telegrafLines(2000).join('\n') + '\n');
  const body = Buffer.alloc(32 << 20);
  for (let p = 0; p < body.length; p += one.length) one.copy(body, p, 0, Math.min(one.length, body.length - p));
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const r = parseLines(body, V1);
  const grown = process.memoryUsage().heapUsed - before;
  t.ok(r.points.count > 100000);
  // The JS heap holds offsets only (Uint32Arrays); the canonical bytes live in one Buffer.
  t.ok(grown < 64 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MiB for ${r.points.count} points`);
});
