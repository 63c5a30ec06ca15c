// Hostile remote_write bodies (decoded protobuf, before snappy) for bench:hostile, each about `size` bytes.
// A WriteRequest is a list of TimeSeries: serialized requests concatenated are one request with all their
// series, so each class is one unit request repeated.
import { labels, v1Proto, v2FromSeries } from '../helpers/remote-write.js';

function fill(unit: Buffer, size: number): Buffer {
  const n = Math.max(1, Math.floor(size / unit.length));
  const out = Buffer.allocUnsafe(n * unit.length);
  for (let p = 0; p < out.length; p += unit.length) unit.copy(out, p);
  return out;
}

const modes = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
/** 1,000 series as Prometheus sends them: node_exporter-like labels, one sample each. */
const prometheusLike = (): Buffer => v1Proto({ timeseries: Array.from({ length: 1000 }, (_, i) => ({
  labels: labels({ __name__: i % 3 ? 'node_cpu_seconds_total' : 'node_network_receive_bytes_total', cpu: String(i % 64), instance: `host-${i % 50}.example.com:9100`, job: 'node', mode: modes[i % 8] }),
  samples: [{ value: i * 1.5 + 0.25, timestamp: 1765100000000 + i }],
})) });
const manyLabels = (n: number, reverse: boolean, pad = 0): Buffer => {
  const l = Array.from({ length: n }, (_, i) => ({ name: `${'k'.repeat(pad)}l${i.toString(36).padStart(4, '0')}`, value: 'v' }));
  if (reverse) l.reverse();
  return v1Proto({ timeseries: [{ labels: [{ name: '__name__', value: 'm' }, ...l], samples: [{ value: 1, timestamp: 1 }] }] });
};
const histogram = (buckets: number): Buffer => v1Proto({ timeseries: [{ labels: labels({ __name__: 'h', job: 'j', instance: 'i:1' }), histograms: [{
  countInt: buckets, sum: 1, schema: 0, positiveSpans: [{ offset: 0, length: buckets }], positiveDeltas: Array.from({ length: buckets }, (_, i) => (i === 0 ? 1 : 0)), timestamp: 1,
}] }] });
const badUtf8 = (): Buffer => {
  const b = v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', a: 'zz' }), samples: [{ value: 1, timestamp: 1 }] }] });
  b[b.indexOf('zz')] = 0xff;
  return b;
};

/** `version`: the schema the body is decoded with; `metricVersion`: the mapping (2 unless given). */
export const REMOTE_WRITE_CLASSES: Record<string, { version: 1 | 2; metricVersion?: 1 | 2; make: (size: number) => Buffer }> = {
  'prometheus-like 1,000 series (baseline)': { version: 1, make: (size) => fill(prometheusLike(), size) },
  '2.0 symbols, same series': { version: 2, make: (size) => fill(v2FromSeries(Array.from({ length: 1000 }, (_, i) => ({ labels: { __name__: 'node_cpu_seconds_total', cpu: String(i % 64), instance: `host-${i % 50}:9100`, job: 'node', mode: modes[i % 8] }, samples: [{ value: i, timestamp: 1765100000000 + i }] }))), size) },
  '1,024 labels per series (the cap)': { version: 1, make: (size) => fill(manyLabels(1023, false), size) },
  '1,024 labels in reverse order, long shared prefix': { version: 1, make: (size) => fill(manyLabels(1023, true, 40), size) },
  'too many labels (2,000: refused)': { version: 1, make: (size) => fill(manyLabels(2000, false), size) },
  'long label value (60 KB)': { version: 1, make: (size) => fill(v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', v: 'x'.repeat(60000) }), samples: [{ value: 1, timestamp: 1 }] }] }), size) },
  'labels to escape (spaces, commas, =)': { version: 1, make: (size) => fill(v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', a: 'a b,c=d '.repeat(8), 'k y': 'v,w' }), samples: [{ value: 1, timestamp: 1 }] }] }), size) },
  'many samples per series (large labels)': { version: 1, make: (size) => fill(v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', a: 'x'.repeat(200), b: 'y'.repeat(200) }), samples: Array.from({ length: 1000 }, (_, i) => ({ value: i, timestamp: 1 + i })) }] }), size) },
  'native histogram, 160 buckets (v2: a point each)': { version: 1, make: (size) => fill(histogram(160), size) },
  // One histogram of one-byte bucket deltas: at schema 0 bounds past bucket 1,024 are all +Inf (a repeated field key).
  'native histogram, 1-byte buckets past +Inf (metric_version 1: refused)': { version: 1, metricVersion: 1, make: (size) => histogram(Math.max(2000, size - 100)) },
  'invalid UTF-8 in every series': { version: 1, make: (size) => fill(badUtf8(), size) },
  'no __name__ (refused)': { version: 1, make: (size) => fill(v1Proto({ timeseries: [{ labels: labels({ job: 'x' }), samples: [{ value: 1, timestamp: 1 }] }] }), size) },
  'stale markers only': { version: 1, make: (size) => fill(v1Proto({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ value: new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0], timestamp: 1 }] }] }), size) },
};
