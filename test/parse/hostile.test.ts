// Hostile bodies against the parser alone: errors are counted, not kept; the line limit stops the parse;
// the cost per byte does not grow with the input (each class at 1x and 8x, compared by ratio, never timed).
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseLines } from '../../src/parse/index.js';
import { CLASSES } from '../kit/hostile-bodies.js';
import type { ParseOptions } from '../../src/parse/types.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1735689600000000000n, allowUnsigned: false, allowCRLF: false };

// A full collection on demand (what --expose-gc gives), so that a sample never pays for the garbage of the one before.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** CPU time of this process in ns (not wall time: waiting for a core on a busy machine is not cost). */
const cpuNs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

/** Best of `rounds` ns of CPU per byte, each sample parsing the body `reps` times. */
function nsPerByte(body: Buffer, rounds = 5, reps = 1): number {
  let best = Infinity;
  for (let k = 0; k < rounds; k++) {
    const t0 = cpuNs();
    for (let r = 0; r < reps; r++) parseLines(body, V1);
    best = Math.min(best, (cpuNs() - t0) / reps);
  }
  return best / body.length;
}

/**
 * ns per byte of a small and an 8x bigger body, measured in turns, each sample as long as the other
 * (the small body parsed 8 times), so that load from other processes hits both alike.
 */
function perByte(small: Buffer, big: Buffer): [number, number] {
  parseLines(small, V1); // warm-up
  const reps = Math.max(1, Math.round(big.length / small.length));
  let a = Infinity;
  let b = Infinity;
  for (let k = 0; k < 3; k++) {
    a = Math.min(a, nsPerByte(small, 1, reps));
    b = Math.min(b, nsPerByte(big, 1));
  }
  return [a, b];
}

t.test('errors are counted; only the first few are kept, with their text', async (t) => {
  const body = Buffer.from('x\n'.repeat(200_000) + 'ok v=1i 1\n' + 'y\n'.repeat(5));
  const r = parseLines(body, V1);
  t.equal(r.errors.length, 10, 'ten kept (the default)');
  t.equal(r.errorCount, 200_005, 'all counted');
  t.equal(r.points.count, 1);
  t.same(r.errors.map((e) => e.line), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.ok(r.badLines.has(1) && r.badLines.has(200_000) && !r.badLines.has(200_001) && r.badLines.has(200_002), 'the bad-line set covers every bad line');
  t.equal(parseLines(body, { ...V1, maxErrors: 3 }).errors.length, 3);
});

t.test('a body of invalid lines costs bitmap bits, not objects per line', async (t) => {
  const body = Buffer.from('x\n'.repeat(2_000_000));
  // What the result keeps, between two full collections (garbage of the parse, or of earlier tests, does not count).
  gc();
  const before = process.memoryUsage().heapUsed;
  const r = parseLines(body, V1);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.equal(r.errorCount, 2_000_000);
  // One LineError per line was ~150 bytes: 300 MB here. The bitmap is 250 KB.
  t.ok(grown < 32 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MiB for 2M invalid lines`);
});

t.test('the line limit stops the parse at limit + 1 lines', async (t) => {
  const body = Buffer.from('a v=1i 1\n'.repeat(1000) + '# comment\n\n' + 'x\n'.repeat(1000) + 'b v=2i 2\n'.repeat(200_000));
  const r = parseLines(body, { ...V1, maxLines: 1500 });
  t.ok(r.tooManyLines);
  t.equal(r.points.count + r.errorCount, 1501, 'points and bad lines count; comments and blank lines do not');
  const exact = parseLines(body, { ...V1, maxLines: 201_000 + 1000 });
  t.notOk(exact.tooManyLines, 'exactly at the limit passes');
  t.equal(exact.points.count, 201_000);
  t.notOk(parseLines(body, { ...V1, maxLines: 0 }).tooManyLines, '0: no limit');
  // Stopping early is visible in the cost: 1,001 of 1M lines parsed. Full and limited parses in turns, the best of
  // seven each, each after a full collection: process.cpuUsage() counts V8's GC threads too, and on a loaded machine
  // the collection of one full parse's garbage once landed in all three limited samples (11.72% instead of ~1%).
  const big = Buffer.from('a v=1i 1\n'.repeat(1_000_000));
  let full = Infinity;
  let limited = Infinity;
  for (let k = 0; k < 7; k++) {
    gc();
    let t0 = cpuNs();
    parseLines(big, V1);
    full = Math.min(full, (cpuNs() - t0) / big.length);
    gc();
    t0 = cpuNs();
    const x = parseLines(big, { ...V1, maxLines: 1000 });
    limited = Math.min(limited, (cpuNs() - t0) / big.length);
    t.ok(x.tooManyLines);
  }
  t.ok(limited < full / 10, `stopping at line 1,001 costs ${(limited / full * 100).toFixed(2)}% of the full parse`);
});

t.test('parse cost per byte does not grow with the input, for every hostile class', async (t) => {
  const SMALL = 1 << 18;
  for (const [name, make] of Object.entries(CLASSES)) {
    const [a, b] = perByte(make(SMALL), make(SMALL * 8));
    // 8x the input: a linear parser costs about the same per byte; a quadratic one 8x. Cache misses of
    // large hash tables and noise from other processes account for the margin.
    t.ok(b < a * 5 + 20, `${name}: ${a.toFixed(1)} -> ${b.toFixed(1)} ns/byte (x${(b / a).toFixed(2)})`);
  }
});

t.test('the rows of issue 9: 80,000 fields in one line and 20,000 tags in reverse order stay linear', async (t) => {
  const fields = (n: number): Buffer => Buffer.from('m ' + Array.from({ length: n }, (_, i) => `f${i}=1i`).join(',') + ' 1\n');
  const tags = (n: number): Buffer => Buffer.from('m,' + Array.from({ length: n }, (_, i) => `t${String(n - i).padStart(6, '0')}=v`).join(',') + ' f=1i 1\n');
  for (const [name, make] of [['distinct fields', fields], ['tags in reverse order', tags]] as const) {
    const [a, b] = perByte(make(10_000), make(80_000));
    t.ok(b < a * 5 + 20, `${name} 10k -> 80k: ${a.toFixed(1)} -> ${b.toFixed(1)} ns/byte`);
  }
  t.equal(parseLines(fields(80_000), V1).points.count, 1, '80,000 distinct fields are one point');
  t.match(parseLines(tags(20_000), V1).errors[0].reason, /^max key length exceeded: \d+ > 65535$/, 'a key too long is refused before sorting');
});

t.test('field de-duplication through the hash table keeps InfluxDB semantics', async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => `k${i}=${i}i`).join(',');
  const r = parseLines(Buffer.from(`m ${many},k3=99i,time=1i,k\\ x=1i,k\\ x=2i 1\n`), V1);
  t.equal(r.errorCount, 0);
  const line = r.points.data.toString();
  t.match(line, /,k3=99i,/, 'last value wins, at the first position');
  t.notMatch(line, /time=/, 'a field named time is dropped');
  t.match(line, /k\\ x=2i 1\n$/, 'escaped duplicates compare unescaped');
  const conflict = parseLines(Buffer.from(`m ${many},k7="s" 1\n`), V1);
  t.match(conflict.errors[0].reason, /^field type conflict: input field "k7" on measurement "m" is type string, already exists as type integer$/);
  t.match(parseLines(Buffer.from('m ' + Array.from({ length: 20 }, () => 'time=1i').join(',') + ' 1\n'), V1).errors[0].reason, /input field "time"/);
});

t.test('number and key texts in reasons are capped', async (t) => {
  const r = parseLines(Buffer.from('m f=' + '9'.repeat(100_000) + 'i 1\nm f=1 ' + '9'.repeat(100_000) + '\n'), V1);
  t.equal(r.errorCount, 2);
  for (const e of r.errors) t.ok(e.reason.length < 8500, `reason of ${e.reason.length} characters`);
  t.match(r.errors[0].reason, /^unable to parse integer 9{4096}\.\.\.: strconv\.ParseInt: parsing "9{4096}\.\.\.": value out of range$/);
  // Long floats are judged exactly: huge mantissas with exponents that bring them back into range are valid.
  const ok = parseLines(Buffer.from(`m f=${'1'.repeat(1000)}e-900 1\nm f=0.${'0'.repeat(2000)}1e2000 1\nm f=${'1'.repeat(400)} 1\n`), V1);
  t.equal(ok.errorCount, 1, 'only 1e400 overflows');
  t.equal(ok.errors[0].line, 3);
});
