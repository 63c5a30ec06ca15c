// The otel2influx schemas on hand-made requests, with the test vectors of influxdb-observability's
// metrics_telegraf_prometheus_v{1,2}_test.go (taken as data) and kinflux's own choices (exponential
// histograms, refused data points).
import t from 'tap';
import { decodeJsonRequest } from '../../../src/parse/otlp/json.js';
import { mapRequest, type OtlpSchema } from '../../../src/parse/otlp/map.js';
import { PointBuilder } from '../../../src/parse/point-builder.js';
import { formatFloatF } from '../../../src/parse/go-float.js';
import { cumulativeBuckets } from '../../../src/parse/otlp/exp-buckets.js';

const START = '1395066363000000123';
const TS = '1395066363000000456';
const scope = (metrics: unknown[]) => ({
  resourceMetrics: [{ resource: { attributes: [{ key: 'node', value: { stringValue: '42' } }] }, scopeMetrics: [{ scope: { name: 'My Library', version: 'latest' }, metrics }] }],
});

function lines(doc: unknown, schema: OtlpSchema = 'prometheus-v2'): { lines: string[]; rejected: number; errors: string[] } {
  const req = decodeJsonRequest(Buffer.from(JSON.stringify(doc)), { maxDataPoints: 1e6 });
  const b = new PointBuilder();
  const r = mapRequest(req, schema, b, { maxPoints: 1e6, maxBytes: 1e9 });
  const batch = b.batch();
  const out: string[] = [];
  for (let i = 0; i < batch.count; i++) out.push(batch.data.toString('utf8', batch.starts[i], batch.starts[i + 1] - 1));
  return { lines: out, rejected: r.rejected, errors: r.errors };
}

const TAGS = 'node=42,otel.library.name=My\\ Library,otel.library.version=latest';

t.test('v2 gauge (otel2influx TestWriteMetric_v2_gauge)', async (t) => {
  const doc = scope([{ name: 'cache_age_seconds', description: 'Age', gauge: { dataPoints: [
    { attributes: [{ key: 'engine_id', value: { intValue: '0' } }], startTimeUnixNano: START, timeUnixNano: TS, asDouble: 23.9 },
    { attributes: [{ key: 'engine_id', value: { intValue: 1 } }], startTimeUnixNano: START, timeUnixNano: TS, asDouble: 11.9 },
  ] } }]);
  t.same(lines(doc).lines, [
    `prometheus,engine_id=0,${TAGS} cache_age_seconds=23.9,start_time_unix_nano=${START}i ${TS}`,
    `prometheus,engine_id=1,${TAGS} cache_age_seconds=11.9,start_time_unix_nano=${START}i ${TS}`,
  ]);
  t.same(lines(doc, 'prometheus-v1').lines, [
    `cache_age_seconds,engine_id=0,${TAGS} gauge=23.9,start_time_unix_nano=${START}i ${TS}`,
    `cache_age_seconds,engine_id=1,${TAGS} gauge=11.9,start_time_unix_nano=${START}i ${TS}`,
  ]);
});

t.test('sums: counter only when monotonic and cumulative (v1); integers stay integers', async (t) => {
  const sum = (temporality: number, monotonic: boolean) => scope([{ name: 'http_requests_total', sum: { aggregationTemporality: temporality, isMonotonic: monotonic, dataPoints: [
    { attributes: [{ key: 'code', value: { intValue: 200 } }, { key: 'method', value: { stringValue: 'post' } }], timeUnixNano: TS, asInt: '1027' },
  ] } }]);
  t.same(lines(sum(2, true)).lines, [`prometheus,code=200,method=post,${TAGS} http_requests_total=1027i ${TS}`]);
  t.same(lines(sum(2, true), 'prometheus-v1').lines, [`http_requests_total,code=200,method=post,${TAGS} counter=1027i ${TS}`]);
  for (const [temp, mono] of [[1, true], [2, false], [1, false]] as const) {
    t.same(lines(sum(temp, mono), 'prometheus-v1').lines, [`http_requests_total,code=200,method=post,${TAGS} gauge=1027i ${TS}`]);
  }
});

t.test('v2 histogram (otel2influx TestWriteMetric_v2_histogram)', async (t) => {
  const doc = scope([{ name: 'http_request_duration_seconds', histogram: { aggregationTemporality: 2, dataPoints: [{
    attributes: [{ key: 'code', value: { intValue: 200 } }, { key: 'method', value: { stringValue: 'post' } }],
    startTimeUnixNano: START, timeUnixNano: TS, count: '144320', sum: 53423, min: 0, max: 100,
    bucketCounts: ['24054', 9390, 66948, 28997, 4599, 10332], explicitBounds: [0.05, 0.1, 0.2, 0.5, 1],
  }] } }]);
  const tags = `code=200,method=post,${TAGS}`;
  t.same(lines(doc).lines, [
    `prometheus,${tags} http_request_duration_seconds_count=144320,http_request_duration_seconds_sum=53423,http_request_duration_seconds_min=0,http_request_duration_seconds_max=100,start_time_unix_nano=${START}i ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=0.05,method=post')} http_request_duration_seconds_bucket=24054 ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=0.1,method=post')} http_request_duration_seconds_bucket=33444 ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=0.2,method=post')} http_request_duration_seconds_bucket=100392 ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=0.5,method=post')} http_request_duration_seconds_bucket=129389 ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=1,method=post')} http_request_duration_seconds_bucket=133988 ${TS}`,
    `prometheus,${tags.replace('method=post', 'le=+Inf,method=post')} http_request_duration_seconds_bucket=144320 ${TS}`,
  ]);
  t.same(lines(doc, 'prometheus-v1').lines, [
    `http_request_duration_seconds,${tags} count=144320,sum=53423,min=0,max=100,0.05=24054,0.1=33444,0.2=100392,0.5=129389,1=133988,+Inf=144320,start_time_unix_nano=${START}i ${TS}`,
  ]);
});

t.test('v2 summary (otel2influx TestWriteMetric_v2_summary)', async (t) => {
  const doc = scope([{ name: 'rpc_duration_seconds', summary: { dataPoints: [{
    attributes: [{ key: 'code', value: { intValue: 200 } }], timeUnixNano: TS, count: 2693, sum: 17560473,
    quantileValues: [{ quantile: 0.01, value: 3102 }, { quantile: 0.5, value: 4773 }, { quantile: 0.99, value: 76656 }],
  }] } }]);
  const tags = `code=200,${TAGS}`;
  t.same(lines(doc).lines, [
    `prometheus,${tags} rpc_duration_seconds_count=2693,rpc_duration_seconds_sum=17560473 ${TS}`,
    `prometheus,${tags},quantile=0.01 rpc_duration_seconds=3102 ${TS}`,
    `prometheus,${tags},quantile=0.5 rpc_duration_seconds=4773 ${TS}`,
    `prometheus,${tags},quantile=0.99 rpc_duration_seconds=76656 ${TS}`,
  ]);
  t.same(lines(doc, 'prometheus-v1').lines, [`rpc_duration_seconds,${tags} count=2693,sum=17560473,0.01=3102,0.5=4773,0.99=76656 ${TS}`]);
});

t.test('exponential histogram: cumulative le buckets from the most negative', async (t) => {
  // scale 0: base 2; positive offset 1 → buckets (2,4], (4,8]; negative offset 0 → [-2,-1) ; zero bucket 1.
  const doc = scope([{ name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{
    timeUnixNano: TS, count: 7, sum: 10, scale: 0, zeroCount: 1, zeroThreshold: 0,
    positive: { offset: 1, bucketCounts: [2, 3] }, negative: { offset: 0, bucketCounts: [1] },
  }] } }]);
  t.same(lines(doc).lines, [
    `prometheus,${TAGS} e_count=7,e_sum=10 ${TS}`,
    `prometheus,le=-1,${TAGS} e_bucket=1 ${TS}`,
    `prometheus,le=0,${TAGS} e_bucket=2 ${TS}`,
    `prometheus,le=4,${TAGS} e_bucket=4 ${TS}`,
    `prometheus,le=8,${TAGS} e_bucket=7 ${TS}`,
    `prometheus,le=+Inf,${TAGS} e_bucket=7 ${TS}`,
  ]);
  const b = cumulativeBuckets({ attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n, flags: 0, count: 3, sum: 0, min: undefined, max: undefined, scale: 20, zeroCount: 0, zeroThreshold: 0, positive: { offset: 1895148, bucketCounts: [1] }, negative: { offset: 0, bucketCounts: [] }, exemplars: [] });
  t.ok(b.bounds[0] > 3.5 && b.bounds[0] < 3.50001, `scale 20 bound ${b.bounds[0]}`);
});

t.test('attributes: later wins, types spelled as AsString, empty values dropped', async (t) => {
  const doc = { resourceMetrics: [{ resource: { attributes: [{ key: 'k', value: { stringValue: 'resource' } }, { key: 'b', value: { boolValue: true } }, { key: 'd', value: { doubleValue: 0.5 } }, { key: 'e', value: { stringValue: '' } }] },
    scopeMetrics: [{ scope: { attributes: [{ key: 'k', value: { stringValue: 'scope' } }] }, metrics: [{ name: 'g', gauge: { dataPoints: [
      { timeUnixNano: TS, asDouble: 1 },
      { timeUnixNano: TS, asDouble: 2, attributes: [{ key: 'k', value: { stringValue: 'point' } }, { key: 'x', value: { bytesValue: 'AAE=' } }] },
    ] } }] }] }] };
  t.same(lines(doc).lines, [`prometheus,b=true,d=0.5,k=scope g=1 ${TS}`, `prometheus,b=true,d=0.5,k=point,x=AAE\\= g=2 ${TS}`]);
});

t.test('refused and dropped data points', async (t) => {
  const doc = scope([
    { name: 'g', gauge: { dataPoints: [
      { timeUnixNano: TS, asDouble: 'Infinity' },
      { asDouble: 1 },
      { timeUnixNano: TS, asDouble: 1, attributes: [{ key: 'm', value: { kvlistValue: { values: [] } } }] },
      { timeUnixNano: TS },
      { timeUnixNano: TS, asDouble: 5, flags: 1 },
      { timeUnixNano: TS, asDouble: 6 },
    ] } },
    { name: 'h', histogram: { dataPoints: [{ timeUnixNano: TS, count: 1, bucketCounts: [1, 0, 0], explicitBounds: [1] }] } },
  ]);
  const r = lines(doc);
  t.same(r.lines, [`prometheus,${TAGS} g=6 ${TS}`]);
  t.equal(r.rejected, 4);
  t.match(r.errors.join('\n'), /Infinity[\s\S]*no timestamp[\s\S]*"m" is a map[\s\S]*3 bucket counts for 1 explicit bounds/);
});

t.test("Go's 'f' spelling of bounds", async (t) => {
  t.equal(formatFloatF(1e21), '1000000000000000000000');
  t.equal(formatFloatF(1e-7), '0.0000001');
  t.equal(formatFloatF(1.5e-7), '0.00000015');
  t.equal(formatFloatF(-2.5e22), '-25000000000000000000000');
  t.equal(formatFloatF(0.25), '0.25');
  t.equal(formatFloatF(Infinity), '+Inf');
});
