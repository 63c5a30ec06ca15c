// The hostile OTLP classes of bench:hostile (test/kit/otlp-bodies.ts), converted as POST /v1/metrics does:
// each is answered (points, refused data points, 400 or 413), never an exception, within the bounds.
import t from 'tap';
import { OTLP_CLASSES } from '../../kit/otlp-bodies.js';
import { convertRequest } from '../../../src/parse/otlp/convert.js';

const limits = { maxPoints: 1_000_000, maxBytes: 128 << 20 };
for (const [name, c] of Object.entries(OTLP_CLASSES)) {
  t.test(name, async (t) => {
    const body = c.make(256 << 10);
    const r = convertRequest(body, c.encoding, 'prometheus-v2', limits);
    if (r.ok) {
      t.ok(r.points.count + r.mapped.rejected + r.mapped.skipped > 0, `${r.points.count} points, ${r.mapped.rejected} refused`);
      t.ok(r.points.data.length <= 16 * body.length + (8 << 20), 'mapped lines within the bound');
    } else {
      t.ok(r.status === 400 || r.status === 413, `${r.status}: ${r.message.slice(0, 120)}`);
    }
  });
}

t.test('a mapped size past the bound is 413, not a huge batch', async (t) => {
  const body = OTLP_CLASSES['otlp: 4,096-bucket histograms, 64 resource attributes'].make(1 << 20);
  const r = convertRequest(body, 'protobuf', 'prometheus-v2', limits);
  t.equal(r.ok ? 200 : r.status, 413);
});

// Review4 finding 1: the bound was checked only between data points, so one data point of many buckets (or
// quantiles) under a long series key wrote all its lines first: ~535 MB and 1.3 s from a 216-byte gzip body.
t.test('one data point of many buckets or quantiles under a long key stops at the bound, inside the data point', async (t) => {
  const big = 'y'.repeat(60_000);
  const resource = [{ key: 'big', value: { stringValue: big } }];
  const T = '1700000000000000000';
  const kinds: Record<string, unknown> = {
    exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T, count: 8192, scale: 3, positive: { offset: 5, bucketCounts: Array(4096).fill(1) }, negative: { offset: -2000, bucketCounts: Array(4096).fill(1) } }] },
    histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T, count: 4096, bucketCounts: Array(4096).fill(1), explicitBounds: Array.from({ length: 4095 }, (_, i) => i) }] },
    summary: { dataPoints: [{ timeUnixNano: T, count: 1, sum: 1, quantileValues: Array.from({ length: 4096 }, (_, i) => ({ quantile: i / 4096, value: i })) }] },
  };
  const maxBytes = 8 << 20;
  for (const [kind, metric] of Object.entries(kinds)) {
    const body = Buffer.from(JSON.stringify({ resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ metrics: [{ name: 'e', [kind]: metric }] }] }] }));
    const r = convertRequest(body, 'json', 'prometheus-v2', { maxPoints: 1_000_000, maxBytes });
    t.equal(r.ok ? 200 : r.status, 413, `${kind}: 413`);
    // Each line carries the 60 KB key: the mapping stopped one line past the bound, not 4,096 lines past it.
    if (!r.ok) t.ok(r.points <= Math.ceil(maxBytes / big.length) + 2, `${kind}: ${r.points} lines written before the stop`);
  }
});
