// The remote_write thread of the built server (dist/: the worker file exists only there) changes no byte: each
// request decoded there gives the same points, columns, counts and errors as decoded inline, for Prometheus-like
// batches sent again (the thread's series-key cache hits), odd and refused series, 2.0, both metric versions; and
// a refusal comes back as the error the route expects (SnappyError 400/413, RemoteWriteError), with its text.
import t from 'tap';

type OffThread = typeof import('../../../src/parse/remote-write/off-thread.js');
type Request = typeof import('../../../src/parse/remote-write/request.js');
type Keys = typeof import('../../../src/parse/remote-write/series-keys.js');
type Snappy = typeof import('../../../src/decode/snappy.js');
type RW = typeof import('../../../src/parse/remote-write/remote-write.js');
const dist = (p: string): string => new URL(`../../../dist/${p}`, import.meta.url).href;
const { RemoteWriteDecoder } = (await import(dist('parse/remote-write/off-thread.js'))) as OffThread;
const { decodeRemoteWrite } = (await import(dist('parse/remote-write/request.js'))) as Request;
const { SeriesKeyCache } = (await import(dist('parse/remote-write/series-keys.js'))) as Keys;
const { SnappyError } = (await import(dist('decode/snappy.js'))) as Snappy;
const { RemoteWriteError } = (await import(dist('parse/remote-write/remote-write.js'))) as RW;
const { labels, snappy, STALE_NAN, v1Proto, v2FromSeries } = await import('../../helpers/remote-write.js');

type Job = Parameters<InstanceType<OffThread['RemoteWriteDecoder']>['decode']>[1];
type Decoded = Awaited<ReturnType<InstanceType<OffThread['RemoteWriteDecoder']>['decode']>>;

function show(r: Decoded): string {
  const p = r.points;
  if (!Buffer.isBuffer(p.data)) return 'the data is not a Buffer';
  return JSON.stringify({
    data: p.data.toString('latin1'), count: p.count, starts: [...p.starts], series: [...p.seriesLengths], measurements: [...p.measurementLengths], lines: [...p.lines],
    samples: r.samples, histograms: r.histograms, stale: r.staleMarkers, nan: r.nanSamples, exemplars: r.exemplars, metadata: r.metadata,
    errors: r.errors, refused: r.refused, tooManyPoints: r.tooManyPoints, tooLarge: r.tooLarge, maxOutputBytes: r.maxOutputBytes,
  });
}

async function outcome(f: () => Promise<Decoded>): Promise<string> {
  try {
    return show(await f());
  } catch (err) {
    const kind = err instanceof SnappyError ? `SnappyError ${err.status}` : err instanceof RemoteWriteError ? 'RemoteWriteError' : `other ${(err as Error).name}`;
    return `${kind}: ${(err as Error).message}`;
  }
}

const node = (k: number, n: number) => v1Proto({ timeseries: Array.from({ length: n }, (_, i) => ({
  labels: labels({ __name__: ['node_cpu_seconds_total', 'up', 'a b'][i % 3], cpu: String(i % 64), instance: `host-${k}-${i % 50}:9100`, job: 'node', mode: ['user', 'x,y', 'k=v'][i % 3] }),
  samples: [{ value: i % 5 === 0 ? STALE_NAN : i / 8, timestamp: i % 7 === 0 ? 0 : 1765100000000 + i }],
})) });
const bodies: Array<[string, Buffer, 1 | 2]> = [];
for (let round = 0; round < 3; round++) for (let k = 0; k < 3; k++) bodies.push([`Prometheus-like ${k}, round ${round}`, snappy(node(k, 500)), 1]);
bodies.push(['no __name__, bad UTF-8, empty name', snappy(v1Proto({ timeseries: [
  { labels: labels({ job: 'x' }), samples: [{ value: 1, timestamp: 1 }] },
  { labels: [{ name: 'a', value: Buffer.from([0xff]).toString('latin1') }, { name: '__name__', value: 'm' }], samples: [{ value: 2, timestamp: 2 }] },
  { labels: labels({ __name__: '' }), samples: [{ value: 3, timestamp: 3 }] },
  { labels: labels({ __name__: 'ok', 'a\tb': 'c' }), samples: [{ value: Infinity, timestamp: 4 }, { value: -0, timestamp: 0 }] },
] })), 1]);
bodies.push(['2.0 with exemplars and metadata', snappy(v2FromSeries([
  { labels: { __name__: 'req_total', code: '200' }, samples: [{ value: 5, timestamp: 1700000000000 }], exemplars: 2, metadata: true },
  { labels: { __name__: 'gone' }, samples: [{ value: STALE_NAN, timestamp: 1700000000000 }] },
  { labels: { code: '500' }, samples: [{ value: 1, timestamp: 1700000000000 }] },
])), 2]);
bodies.push(['truncated protobuf', snappy(node(9, 3).subarray(0, 40)), 1]);
bodies.push(['snappy: lying length', Buffer.from([0x80, 0x01, 0x00, 0x61]), 1]);
bodies.push(['snappy: unreadable length', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1]);
bodies.push(['snappy: over the limit', snappy(Buffer.alloc(70_000, 0x0a)), 1]);
bodies.push(['empty body', Buffer.alloc(0), 1]);

for (const metricVersion of [2, 1] as const) {
  t.test(`metric_version ${metricVersion}: the thread's answers are the inline ones`, async (t) => {
    const decoder = new RemoteWriteDecoder(0);
    const inlineKeys = new SeriesKeyCache();
    for (const [name, raw, version] of bodies) {
      const job: Job = { version, metricVersion, receivedAtNs: 1765100000123456789n, maxPoints: 400_000, maxDecodedBytes: 64 << 10 };
      const threaded = await outcome(() => decoder.decode(raw, job));
      const inline = await outcome(() => Promise.resolve(decodeRemoteWrite(raw, job, inlineKeys)));
      t.equal(threaded, inline, name);
      if (name.startsWith('snappy') || name.startsWith('truncated')) t.match(threaded, /^(SnappyError 4\d\d|RemoteWriteError): /, `${name}: refused as before`);
    }
    t.match(await outcome(() => decoder.decode(bodies.at(-2)![1], { version: 1, metricVersion, receivedAtNs: 1n, maxPoints: 10, maxDecodedBytes: 64 << 10 })), /^SnappyError 413: request body too large/);
    t.match(await outcome(() => decoder.decode(bodies.at(-5)![1], { version: 1, metricVersion, receivedAtNs: 1n, maxPoints: 10, maxDecodedBytes: 64 << 10 })), /^RemoteWriteError: /);
  });
}

t.test('only requests of OFF_THREAD_BYTES or more go to the thread', async (t) => {
  const { OFF_THREAD_BYTES } = (await import(dist('parse/remote-write/off-thread.js'))) as OffThread;
  const decoder = new RemoteWriteDecoder();
  const threads = (): number => (decoder as unknown as { thread?: unknown }).thread === undefined ? 0 : 1;
  const job: Job = { version: 1, metricVersion: 2, receivedAtNs: 1n, maxPoints: 1e6, maxDecodedBytes: 64 << 20 };
  t.ok((await decoder.decode(bodies[0][1], job)).points.count > 0);
  t.equal(threads(), 0, 'a Prometheus batch decodes inline');
  const big = snappy(Buffer.concat(Array.from({ length: Math.ceil(OFF_THREAD_BYTES / node(0, 500).length) + 1 }, () => node(0, 500))));
  t.ok((await decoder.decode(big, job)).points.count > 0);
  t.equal(threads(), 1, 'a request of 1 MiB or more on the thread');
});

t.test('the caller keeps its body: the thread gets a copy', async (t) => {
  const raw = bodies[0][1];
  const before = Buffer.from(raw);
  const r = await new RemoteWriteDecoder(0).decode(raw, { version: 1, metricVersion: 2, receivedAtNs: 1n, maxPoints: 1e6, maxDecodedBytes: 1 << 20 });
  t.equal(r.points.count > 0, true);
  t.ok(raw.equals(before), 'not detached, not changed');
});
