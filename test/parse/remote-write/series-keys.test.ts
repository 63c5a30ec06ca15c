// The series-key cache (src/parse/remote-write/series-keys.ts) changes no byte: requests decoded with a cache that
// already holds their series (copied line starts) give the same points, columns, counts and errors as without one,
// for series as Prometheus writes them and for every odd shape (labels after samples, a Label with its fields
// swapped, escapes, refusals, NaN and Inf, timestamps out of range, histograms, exemplars, broken messages), in
// both metric versions; and it stays bounded (a full arena is forgotten, output still the same).
import t from 'tap';
import { decodeWriteRequestV1, type RemoteWriteOptions, type RemoteWriteResult } from '../../../src/parse/remote-write/remote-write.js';
import { SeriesKeyCache } from '../../../src/parse/remote-write/series-keys.js';
import { labels, v1Proto } from '../../helpers/remote-write.js';

const O: RemoteWriteOptions = { metricVersion: 2, receivedAtNs: 1765100000123456789n, maxPoints: 1e6, maxOutputBytes: 1 << 30 };

function show(f: () => RemoteWriteResult): string {
  try {
    const r = f();
    const p = r.points;
    return JSON.stringify({
      data: p.data.toString('latin1'), starts: [...p.starts], series: [...p.seriesLengths], measurements: [...p.measurementLengths], lines: [...p.lines],
      samples: r.samples, histograms: r.histograms, stale: r.staleMarkers, nan: r.nanSamples, exemplars: r.exemplars, metadata: r.metadata,
      errors: r.errors, refused: r.refused, tooManyPoints: r.tooManyPoints, tooLarge: r.tooLarge,
    });
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Counts the cache's hits. */
function counted(c: SeriesKeyCache): { hits: number } {
  const n = { hits: 0 };
  const lookup = c.lookup.bind(c);
  c.lookup = (s: number, e: number): number => { const slot = lookup(s, e); if (slot >= 0) n.hits++; return slot; };
  return n;
}

// Raw protobuf, for shapes protobufjs does not write (labels after samples, fields out of order, broken messages).
const varint = (v: number | bigint): Buffer => {
  let x = BigInt.asUintN(64, BigInt(v));
  const o: number[] = [];
  do { let c = Number(x & 0x7fn); x >>= 7n; if (x) c |= 0x80; o.push(c); } while (x);
  return Buffer.from(o);
};
const field = (tag: number, b: Buffer): Buffer => Buffer.concat([varint(tag), varint(b.length), b]);
const bytes = (s: string | Buffer): Buffer => (Buffer.isBuffer(s) ? s : Buffer.from(s));
const label = (n: string | Buffer, v: string | Buffer): Buffer => field(0x0a, Buffer.concat([field(0x0a, bytes(n)), field(0x12, bytes(v))]));
const swapped = (n: string | Buffer, v: string | Buffer): Buffer => field(0x0a, Buffer.concat([field(0x12, bytes(v)), field(0x0a, bytes(n))]));
const f64 = (x: number): Buffer => { const b = Buffer.alloc(8); b.writeDoubleLE(x); return b; };
const STALE = Buffer.from([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
const sample = (v: number | Buffer, ms: number): Buffer => field(0x12, Buffer.concat([Buffer.from([0x09]), Buffer.isBuffer(v) ? v : f64(v), Buffer.from([0x10]), varint(ms)]));

let seed = 12345;
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];

const NAMES = ['__name__', 'job', 'instance', 'a b', 'time', 'x,y', 'k=v', '', 'ü', Buffer.from([0xff]), 'le', 'z'.repeat(200), 'A', 'b\\', 'tab\t', '#x'];
const VALUES = ['up', 'node', 'x', '', 'a b', 'a,b', 'c=d', 'ü', Buffer.from([0xc3]), 'v'.repeat(300), 'line\nbreak', 'q"', 'back\\', '#m', 'time'];
const SERIES = Array.from({ length: 60 }, () => {
  const ls: Array<[string | Buffer, string | Buffer]> = [];
  if (rnd() < 0.9) ls.push(['__name__', pick(['up', 'm', 'node_cpu', 'a b', 'x,y', '#c', 'time', 'a=b', ...VALUES])]);
  for (let i = Math.floor(rnd() * 6); i > 0; i--) ls.push([pick(NAMES), pick(VALUES)]);
  if (rnd() < 0.7) ls.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const write = rnd() < 0.1 ? swapped : label;
  return ls.map(([n, v]) => write(n, v));
});
const NUMBERS: Array<number | Buffer> = [1, 0, -0, 1.5, 1e21, -3.25e-7, NaN, Infinity, -Infinity, STALE, 12345678901, 0.1];
const TIMES = [1765100000000, 1765100000001, 0, -5, 9223372036854, 92233720368547, 1];

function randomRequest(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1 + Math.floor(rnd() * 12); i > 0; i--) {
    const ls = pick(SERIES);
    const samples = Array.from({ length: Math.floor(rnd() * 4) }, () => sample(pick(NUMBERS), pick(TIMES)));
    const exemplars = rnd() < 0.2 ? [field(0x1a, Buffer.alloc(0))] : [];
    const r = rnd();
    const fields = r < 0.8 ? [...ls, ...exemplars, ...samples] : r < 0.9 ? [...exemplars, ...ls, ...samples] : [...ls.slice(0, 1), ...samples, ...ls.slice(1), ...exemplars];
    let series = Buffer.concat(fields);
    if (rnd() < 0.02) series = series.subarray(0, Math.max(0, series.length - 3)); // broken
    parts.push(field(0x0a, series));
  }
  if (rnd() < 0.1) parts.push(field(0x1a, Buffer.from('metadata')));
  return Buffer.concat(parts);
}

t.test('random requests: the same result with the series met before as without a cache, both metric versions', async (t) => {
  for (const metricVersion of [2, 1] as const) {
    const cache = new SeriesKeyCache();
    const n = counted(cache);
    let same = 0;
    for (let k = 0; k < 1500; k++) {
      const body = randomRequest();
      const o = { ...O, metricVersion, ...(rnd() < 0.1 ? { maxPoints: 5 } : {}) };
      const want = show(() => decodeWriteRequestV1(body, o));
      for (let twice = 0; twice < 2; twice++) {
        const got = show(() => decodeWriteRequestV1(body, { ...o, seriesKeys: cache }));
        if (got !== want) { t.equal(got, want, `request ${k}, metric_version ${metricVersion}, pass ${twice}`); return; }
        same++;
      }
    }
    t.equal(same, 3000, `metric_version ${metricVersion}: 3,000 decodes alike`);
    t.ok(n.hits > 1000, `metric_version ${metricVersion}: ${n.hits} series copied from the cache`);
  }
});

t.test('Prometheus batches, histograms beside samples, and a cache shared by both metric versions', async (t) => {
  const cache = new SeriesKeyCache();
  const n = counted(cache);
  const batch = (k: number): Buffer => v1Proto({ timeseries: [
    ...Array.from({ length: 300 }, (_, i) => ({
      labels: labels({ __name__: `m${i % 7}`, cpu: String(i % 64), instance: `host-${i % 50}:9100`, job: 'node', mode: String(i % 8) }),
      samples: [{ value: i / 8 + k, timestamp: 1765100000000 + k }],
    })),
    { labels: labels({ __name__: 'h', job: 'j' }), samples: [{ value: k, timestamp: 1765100000000 }],
      histograms: [{ countInt: 10, sum: 2.5, schema: 1, zeroThreshold: 0.001, zeroCountInt: 1, positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [3, 1], timestamp: 1765100000000 + k }] },
    { labels: labels({ __name__: 'h', job: 'j' }), samples: [{ value: Infinity, timestamp: 1765100000000 }, { value: 2, timestamp: 9223372036855 }] },
  ] });
  // Keys are per metric_version: a switch forgets them (still the same output).
  for (const metricVersion of [2, 1, 2] as const) {
    for (let k = 0; k < 4; k++) {
      const o = { ...O, metricVersion };
      t.equal(show(() => decodeWriteRequestV1(batch(k), { ...o, seriesKeys: cache })), show(() => decodeWriteRequestV1(batch(k), o)), `batch ${k}, metric_version ${metricVersion}`);
    }
  }
  t.ok(n.hits >= 9 * 300, `${n.hits} series copied`);
});

t.test('bounded: more series than the arena holds are forgotten at once, the output the same', async (t) => {
  const cache = new SeriesKeyCache();
  const n = counted(cache);
  // ≈ 2 KB of labels and line start per series: 8 MiB holds ≈ 4,000 of them; 3 requests of 2,000, twice.
  const batch = (k: number): Buffer => v1Proto({ timeseries: Array.from({ length: 2000 }, (_, i) => ({
    labels: labels({ __name__: 'm', long: `${'x'.repeat(900)}${k}-${i}` }), samples: [{ value: i, timestamp: 1765100000000 }],
  })) });
  for (const k of [0, 1, 2, 0, 1, 2]) t.equal(show(() => decodeWriteRequestV1(batch(k), { ...O, seriesKeys: cache })), show(() => decodeWriteRequestV1(batch(k), O)), `batch ${k}`);
  t.ok(n.hits < 6 * 2000, `the arena was forgotten (${n.hits} hits of 12,000)`);
});

t.test('labels differing in one byte are different series', async (t) => {
  const cache = new SeriesKeyCache();
  const a = v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', job: 'a' }), samples: [{ value: 1, timestamp: 1 }] }] });
  const b = v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', job: 'b' }), samples: [{ value: 1, timestamp: 1 }] }] });
  decodeWriteRequestV1(a, { ...O, seriesKeys: cache });
  t.equal(decodeWriteRequestV1(b, { ...O, seriesKeys: cache }).points.data.toString(), 'prometheus_remote_write,job=b m=1 1000000\n');
  t.equal(decodeWriteRequestV1(a, { ...O, seriesKeys: cache }).points.data.toString(), 'prometheus_remote_write,job=a m=1 1000000\n');
});
