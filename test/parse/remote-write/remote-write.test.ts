// remote_write requests to points by Telegraf's prometheusremotewrite mapping: its own test cases
// (plugins/parsers/prometheusremotewrite/testcases: simple, int_histogram, float_histogram, as data), stale
// markers, NaN, timestamps, refusals by name, 2.0 symbols, and the bounds on hostile requests.
import t from 'tap';
import { decodeRequestV2, decodeWriteRequestV1, RemoteWriteError, type RemoteWriteOptions, type RemoteWriteResult } from '../../../src/parse/remote-write/remote-write.js';
import { decodeLine, parseLines } from '../../../src/parse/index.js';
import type { Point } from '../../../src/parse/index.js';
import { labels, STALE_NAN, v1Proto, v2FromSeries, v2Proto } from '../../helpers/remote-write.js';

const NOW = 1765100000123456789n;
const O2: RemoteWriteOptions = { metricVersion: 2, receivedAtNs: NOW, maxPoints: 1e6, maxOutputBytes: 1 << 30 };
const O1: RemoteWriteOptions = { ...O2, metricVersion: 1 };

/** Points of a result, fields sorted (Telegraf's metrics are maps: its output sorts them). */
function points(r: RemoteWriteResult): string[] {
  const out: string[] = [];
  const p = r.points;
  for (let i = 0; i < p.count; i++) out.push(key(decodeLine(p.data, p.starts[i], p.starts[i + 1])));
  return out;
}
function key(p: Point): string {
  const fields = [...p.fields].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify({ ...p, fields }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
}
/** Telegraf's expected output lines, as points. */
function expected(lines: string): string[] {
  const r = parseLines(Buffer.from(lines.trim() + '\n'), { precision: 'ns', receivedAtNs: 0n, allowUnsigned: true, allowCRLF: false });
  if (r.errorCount) throw new Error(r.errors[0].reason);
  const out: string[] = [];
  for (let i = 0; i < r.points.count; i++) out.push(key(decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1])));
  return out;
}

const SIMPLE = { timeseries: [
  { labels: [{ name: '__name__', value: 'go_gc_duration_seconds' }, { name: 'quantile', value: '0.99' }], samples: [{ value: 4.63, timestamp: 1740375855 }] },
  { labels: [{ name: '__name__', value: 'prometheus_target_interval_length_seconds' }, { name: 'job', value: 'prometheus' }], samples: [{ value: 14.99, timestamp: 1740375855 }] },
] };
const HIST_FLOAT = { countFloat: 16, zeroThreshold: 0.001, sum: 158.63, schema: 0, positiveSpans: [{ offset: 0, length: 4 }, { offset: 2, length: 1 }],
  positiveCounts: [2, 1, 3, 2, 3], negativeSpans: [{ offset: 0, length: 2 }], negativeCounts: [2, 3], timestamp: 1740375855 };
const HIST_INT = { countInt: 16, zeroThreshold: 0.001, sum: 158.63, schema: 0, positiveSpans: [{ offset: 0, length: 4 }, { offset: 2, length: 1 }],
  positiveDeltas: [2, -1, 2, -1, 1], negativeSpans: [{ offset: 0, length: 2 }], negativeDeltas: [2, 1], timestamp: 1740375855 };
const V2_HIST_OUT = `prometheus_remote_write test_metric_seconds_sum=158.63 1740375855000000
prometheus_remote_write test_metric_seconds_count=16 1740375855000000
prometheus_remote_write,test_metric_seconds_le=-1 test_metric_seconds=3 1740375855000000
prometheus_remote_write,test_metric_seconds_le=-0.5 test_metric_seconds=5 1740375855000000
prometheus_remote_write,test_metric_seconds_le=1 test_metric_seconds=7 1740375855000000
prometheus_remote_write,test_metric_seconds_le=2 test_metric_seconds=8 1740375855000000
prometheus_remote_write,test_metric_seconds_le=4 test_metric_seconds=11 1740375855000000
prometheus_remote_write,test_metric_seconds_le=8 test_metric_seconds=13 1740375855000000
prometheus_remote_write,test_metric_seconds_le=64 test_metric_seconds=16 1740375855000000`;
const V1_HIST_OUT = 'test_metric_seconds -0.5=5,-1=3,1=7,2=8,4=11,64=16,8=13,count=16,counter_reset_hint=0u,negative_bucket_0=2,negative_bucket_1=3,negative_span_0_length=2u,negative_span_0_offset=0i,positive_bucket_0=2,positive_bucket_1=1,positive_bucket_2=3,positive_bucket_3=2,positive_bucket_4=3,positive_span_0_length=4u,positive_span_0_offset=0i,positive_span_1_length=1u,positive_span_1_offset=2i,schema=0i,sum=158.63,zero_count=0,zero_threshold=0.001 1740375855000000';

t.test("Telegraf's test cases, metric_version 2 and 1", async (t) => {
  t.same(points(decodeWriteRequestV1(v1Proto(SIMPLE), O2)), expected(`prometheus_remote_write,quantile=0.99 go_gc_duration_seconds=4.63 1740375855000000
prometheus_remote_write,job=prometheus prometheus_target_interval_length_seconds=14.99 1740375855000000`), 'simple v2');
  t.same(points(decodeWriteRequestV1(v1Proto(SIMPLE), O1)), expected(`go_gc_duration_seconds,quantile=0.99 value=4.63 1740375855000000
prometheus_target_interval_length_seconds,job=prometheus value=14.99 1740375855000000`), 'simple v1');
  for (const [name, h] of [['float', HIST_FLOAT], ['int', HIST_INT]] as const) {
    const req = v1Proto({ timeseries: [{ labels: [{ name: '__name__', value: 'test_metric_seconds' }], histograms: [h] }] });
    const r2 = decodeWriteRequestV1(req, O2);
    t.same(points(r2), expected(V2_HIST_OUT), `${name} histogram v2`);
    t.equal(r2.histograms, 1);
    t.same(points(decodeWriteRequestV1(req, O1)), expected(V1_HIST_OUT), `${name} histogram v1`);
  }
});

t.test('samples: stale markers and NaN dropped and counted, timestamps as Telegraf sets them', async (t) => {
  const req = v1Proto({ timeseries: [
    { labels: labels({ __name__: 'up', job: 'a' }), samples: [{ value: 1, timestamp: 1000 }, { value: STALE_NAN, timestamp: 2000 }, { value: NaN, timestamp: 3000 }, { value: 2, timestamp: 0 }] },
    { labels: labels({ __name__: 'up', job: 'b' }), samples: [{ value: 3, timestamp: 0 }] },
  ] });
  const r = decodeWriteRequestV1(req, O2);
  t.equal(r.staleMarkers, 1);
  t.equal(r.nanSamples, 1);
  t.equal(r.samples, 3);
  // The 0 after 3000 takes the series' last time (Telegraf's t), the series without any takes the receive time.
  t.equal(r.points.data.toString(), `prometheus_remote_write,job=a up=1 1000000000\nprometheus_remote_write,job=a up=2 3000000000\nprometheus_remote_write,job=b up=3 ${NOW}\n`);
});

t.test('refused by name, the rest kept', async (t) => {
  const req = v1Proto({ timeseries: [
    { labels: labels({ job: 'nameless' }), samples: [{ value: 1, timestamp: 1 }] },
    { labels: labels({ __name__: 'ok', a: 'x' }), samples: [{ value: 1, timestamp: 1 }] },
    { labels: labels({ __name__: 'bad', a: 'line\nbreak' }), samples: [{ value: 1, timestamp: 1 }, { value: 2, timestamp: 2 }] },
    { labels: labels({ __name__: 'inf' }), samples: [{ value: Infinity, timestamp: 1 }] },
    { labels: labels({ __name__: 'ok2', a: 'y' }), samples: [{ value: 2, timestamp: 1 }] },
  ] });
  const r = decodeWriteRequestV1(req, O2);
  t.equal(r.points.count, 2);
  t.equal(r.refused, 4);
  t.match(r.errors[0], { series: 0, labels: '{job="nameless"}', reason: /metric name "__name__" not found/ });
  t.match(r.errors[1], { series: 2, reason: /tag value "line\\nbreak" holds a NUL, tab, newline/ });
  t.match(r.errors[3], { series: 3, reason: /is Infinity: line protocol has no NaN or Inf/ });
});

t.test('invalid UTF-8 in a label refuses the series; a broken message is an error', async (t) => {
  const good = v1Proto({ timeseries: [{ labels: labels({ __name__: 'm', a: 'zz' }), samples: [{ value: 1, timestamp: 1 }] }] });
  const bad = Buffer.from(good);
  bad[bad.indexOf('zz')] = 0xff;
  const r = decodeWriteRequestV1(bad, O2);
  t.equal(r.points.count, 0);
  t.match(r.errors[0].reason, /not valid UTF-8/);
  t.throws(() => decodeWriteRequestV1(good.subarray(0, good.length - 3), O2), RemoteWriteError);
  t.throws(() => decodeWriteRequestV1(Buffer.from('not protobuf at all'), O2), RemoteWriteError);
});

t.test('exemplars and metadata counted and dropped', async (t) => {
  const req = v1Proto({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ value: 1, timestamp: 5 }], exemplars: [{ labels: labels({ trace_id: 'abc' }), value: 1, timestamp: 5 }, { value: 2, timestamp: 5 }] }],
    metadata: [{ type: 1, metricFamilyName: 'm', help: 'h', unit: '' }] });
  const r = decodeWriteRequestV1(req, O2);
  t.equal(r.exemplars, 2);
  t.equal(r.metadata, 1);
  t.equal(r.points.data.toString(), 'prometheus_remote_write m=1 5000000\n');
});

t.test('2.0: symbols, the same mapping, counts', async (t) => {
  const req = v2FromSeries([
    { labels: { __name__: 'http_requests_total', code: '200', job: 'api' }, samples: [{ value: 7, timestamp: 1700000000000 }], exemplars: 2, metadata: true },
    { labels: { __name__: 'test_metric_seconds' }, histograms: [HIST_INT] },
    { labels: { __name__: 'gone' }, samples: [{ value: STALE_NAN, timestamp: 1 }] },
  ]);
  const r = decodeRequestV2(req, O2);
  t.equal(r.samples, 1);
  t.equal(r.histograms, 1);
  t.equal(r.exemplars, 2);
  t.equal(r.metadata, 1);
  t.equal(r.staleMarkers, 1);
  t.same(points(r), expected(`prometheus_remote_write,code=200,job=api http_requests_total=7 1700000000000000000\n${V2_HIST_OUT}`));
  t.same(points(decodeRequestV2(req, O1)).slice(0, 1), expected('http_requests_total,code=200,job=api value=7 1700000000000000000'));
  // symbols[0] must be "", references must exist.
  t.throws(() => decodeRequestV2(v2Proto({ symbols: ['x', '__name__', 'm'], timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 1 }] }] }), O2), /symbols\[0\] must be the empty string/);
  const past = decodeRequestV2(v2Proto({ symbols: ['', '__name__'], timeseries: [{ labelsRefs: [1, 9], samples: [{ value: 1, timestamp: 1 }] }] }), O2);
  t.match(past.errors[0].reason, /labels_refs points past the 2 symbols/);
  // A 1.0 body read as 2.0 (fields 1-3 reserved there): no series, no points.
  t.equal(decodeRequestV2(v1Proto(SIMPLE), O2).points.count, 0);
});

t.test('bounds: points and output bytes per request', async (t) => {
  const many = v1Proto({ timeseries: Array.from({ length: 50 }, (_, i) => ({ labels: labels({ __name__: 'm', i: String(i) }), samples: [{ value: i, timestamp: 1 }] })) });
  const r = decodeWriteRequestV1(many, { ...O2, maxPoints: 10 });
  t.ok(r.tooManyPoints);
  t.ok(r.points.count <= 11);
  const big = decodeWriteRequestV1(many, { ...O2, maxOutputBytes: 500 });
  t.ok(big.tooLarge);
  // A histogram whose spans claim 4 billion buckets costs what its counts cost.
  const h = v1Proto({ timeseries: [{ labels: labels({ __name__: 'h' }), histograms: [{ countInt: 1, sum: 1, schema: 0, positiveSpans: [{ offset: 0, length: 4000000000 }], positiveDeltas: [1, 0, 0], timestamp: 1 }] }] });
  t.equal(decodeWriteRequestV1(h, O2).points.count, 5);
  const short = v1Proto({ timeseries: [{ labels: labels({ __name__: 'h' }), histograms: [{ countInt: 1, sum: 1, schema: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [1, 0, 0], timestamp: 1 }] }] });
  t.match(decodeWriteRequestV1(short, O2).errors[0].reason, /more buckets than its spans cover/);
  const schema = v1Proto({ timeseries: [{ labels: labels({ __name__: 'h' }), histograms: [{ countInt: 1, sum: 1, schema: 9, timestamp: 1 }] }] });
  t.match(decodeWriteRequestV1(schema, O2).errors[0].reason, /schema 9 is not supported/);
});

t.test('metric_version 1: a histogram whose bounds repeat is refused as ever, without writing its buckets', async (t) => {
  const hist = (h: Record<string, unknown>): Buffer => v1Proto({ timeseries: [{ labels: labels({ __name__: 'h' }), histograms: [{ countInt: 1, sum: 1, schema: 0, timestamp: 1, ...h }] }] });
  const reason = (b: Buffer): string => decodeWriteRequestV1(b, O1).errors[0]?.reason ?? '';
  // A million one-byte deltas (bench:hostile's class): the bounds past bucket 1,024 are all +Inf.
  const n = 1_000_000;
  const spans = [{ offset: 0, length: n }];
  const big = hist({ positiveSpans: spans, positiveDeltas: Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)) });
  const r = decodeWriteRequestV1(big, O1);
  t.same([r.points.count, r.refused, r.errors[0].reason], [0, 1, 'duplicate field key "+Inf"']);
  // Its fields were never written: the output buffer stayed under twice the body (writing them grew it to 48×).
  t.ok(r.points.data.buffer.byteLength < 2 * big.length, `output buffer ${r.points.data.buffer.byteLength} bytes for a ${big.length}-byte body`);
  // What would be refused first still is: the timestamp, then a bucket's value.
  t.equal(reason(hist({ timestamp: 9e15, positiveSpans: [{ offset: 0, length: 1100 }], positiveDeltas: new Array(1100).fill(0) })), "timestamp 9000000000000000 ms is outside InfluxDB's range");
  t.equal(reason(hist({ positiveSpans: [{ offset: 0, length: 1100 }], positiveCounts: [...new Array(1099).fill(1), Infinity] })), 'field "+Inf" is Infinity: line protocol has no NaN or Inf');
  // Repeats out of order (a span going back) name the byte-wise smallest repeated bound, as the sort does.
  t.equal(reason(hist({ positiveSpans: [{ offset: 3, length: 3 }, { offset: -6, length: 5 }], positiveDeltas: [1, 0, 0, 0, 0, 0, 0, 0] })), 'duplicate field key "16"');
  // -0 and 0 are two keys; 0 twice is one.
  const custom = (v: number[]): Buffer => hist({ schema: -53, customValues: v, positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1, 0] });
  t.equal(decodeWriteRequestV1(custom([-0, 0]), O1).points.count, 1);
  t.equal(reason(custom([0, 0])), 'duplicate field key "0"');
});
