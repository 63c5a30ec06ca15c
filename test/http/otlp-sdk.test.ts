// The OpenTelemetry JS SDK (@opentelemetry/sdk-metrics) exports counters, gauges, histograms and an exponential
// histogram to the real kinflux with its OTLP/HTTP exporters, JSON and protobuf; every data point is read back
// from kinesis-local with its value, timestamp and tags, by the otel2influx "prometheus-v2" schema. Also: the
// SDK's retry on kinflux's 503 (PutRecords failing behind the fault proxy until the delivery deadline).
import t from 'tap';
import { AggregationTemporality, AggregationType, DataPointType, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient, waitFor } from '../helpers/kinflux.js';
import { startFaultProxy } from '../kit/fault-proxy.js';
import { decodeLine } from '../../src/parse/index.js';
import type { Point } from '../../src/parse/types.js';
import { formatFloatF } from '../../src/parse/go-float.js';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

type Exporter = JsonExporter | ProtoExporter;
const EXPORTERS: Array<[string, (url: string) => Exporter]> = [
  ['json', (url) => new JsonExporter({ url, timeoutMillis: 60_000 })],
  ['protobuf', (url) => new ProtoExporter({ url, timeoutMillis: 60_000 })],
];

/** Records one of each instrument kind, returns what the SDK collected (the data points exported). */
async function collect(tag: string): Promise<ResourceMetrics> {
  const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const mp = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': `svc-${tag}`, 'host.id': 7 }),
    readers: [reader],
    views: [{ instrumentName: 'latency_exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const m = mp.getMeter('kinflux-test', '1.2.3');
  const c = m.createCounter('requests_total');
  c.add(5, { method: 'get', code: 200 });
  c.add(2, { method: 'post', code: 500 });
  m.createCounter('items_total', { valueType: ValueType.INT }).add(7, { kind: 'a b,c=d' });
  m.createGauge('temperature').record(21.5, { room: 'lab', on: true });
  m.createUpDownCounter('queue_depth').add(-3);
  const h = m.createHistogram('latency');
  for (const v of [3, 12, 12, 70, 20000]) h.record(v, { route: '/x' });
  const e = m.createHistogram('latency_exp');
  for (const v of [0.5, 3.5, 3.5, 100, -2]) e.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  t.same(errors, []);
  await mp.shutdown();
  return resourceMetrics;
}

const ns = (hr: [number, number]): bigint => BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1]);
const attrs = (a: Record<string, unknown>): Array<[string, string]> => Object.entries(a).map(([k, v]) => [k, String(v)]);

/** The points prometheus-v2 writes for what the SDK collected, computed here from the schema's rules. */
function expected(rm: ResourceMetrics): Point[] {
  const out: Point[] = [];
  for (const sm of rm.scopeMetrics) {
    const base = [...attrs(rm.resource.attributes), ['otel.library.name', sm.scope.name], ['otel.library.version', sm.scope.version ?? '']] as Array<[string, string]>;
    for (const md of sm.metrics) {
      const name = md.descriptor.name;
      for (const dp of md.dataPoints) {
        const tags = new Map([...base, ...attrs(dp.attributes)]);
        const ts = ns(dp.endTime);
        const start = { type: 'integer', value: ns(dp.startTime) } as const;
        const point = (extra: Array<[string, string]>, fields: Point['fields']): Point => ({
          measurement: 'prometheus',
          tags: [...new Map([...tags, ...extra])].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))),
          fields,
          timestamp: ts,
        });
        if (md.dataPointType === DataPointType.SUM || md.dataPointType === DataPointType.GAUGE) {
          const v = dp.value as number;
          const field = md.descriptor.valueType === ValueType.INT ? { type: 'integer', value: BigInt(v) } as const : { type: 'float', value: v } as const;
          out.push(point([], [[name, field], ['start_time_unix_nano', start]]));
          continue;
        }
        const hv = dp.value as { count: number; sum?: number; min?: number; max?: number };
        const f = (value: number) => ({ type: 'float', value }) as const;
        const fields: Array<[string, Point['fields'][number][1]]> = [[`${name}_count`, f(hv.count)]];
        if (hv.sum !== undefined) fields.push([`${name}_sum`, f(hv.sum)]);
        if (hv.min !== undefined) fields.push([`${name}_min`, f(hv.min)]);
        if (hv.max !== undefined) fields.push([`${name}_max`, f(hv.max)]);
        fields.push(['start_time_unix_nano', start]);
        out.push(point([], fields));
        let total = 0;
        if (md.dataPointType === DataPointType.HISTOGRAM) {
          const b = (dp.value as { buckets: { boundaries: number[]; counts: number[] } }).buckets;
          b.counts.forEach((n, i) => {
            total += n;
            out.push(point([['le', i < b.boundaries.length ? formatFloatF(b.boundaries[i]) : '+Inf']], [[`${name}_bucket`, f(total)]]));
          });
        } else {
          // Exponential: cumulative from the most negative bucket; bounds base^(index+1), base = 2^(2^-scale).
          const v = dp.value as { scale: number; zeroCount: number; positive: { offset: number; bucketCounts: number[] }; negative: { offset: number; bucketCounts: number[] } };
          const bound = (i: number) => Math.pow(2, i * Math.pow(2, -v.scale));
          for (let k = v.negative.bucketCounts.length - 1; k >= 0; k--) {
            total += v.negative.bucketCounts[k];
            out.push(point([['le', formatFloatF(-bound(v.negative.offset + k))]], [[`${name}_bucket`, f(total)]]));
          }
          if (v.zeroCount > 0) {
            total += v.zeroCount;
            out.push(point([['le', '0']], [[`${name}_bucket`, f(total)]]));
          }
          v.positive.bucketCounts.forEach((n, k) => {
            total += n;
            out.push(point([['le', formatFloatF(bound(v.positive.offset + k + 1))]], [[`${name}_bucket`, f(total)]]));
          });
          out.push(point([['le', '+Inf']], [[`${name}_bucket`, f(hv.count)]]));
        }
      }
    }
  }
  return out;
}

const show = (p: Point): string => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

function exportOnce(exporter: Exporter, rm: ResourceMetrics): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(rm, resolve));
}

const k = await startKinesisLocal({ streams: { otlp: 1, retry: 1 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());

t.test('SDK exports read back with values, timestamps and tags', async (t) => {
  const kf = await startKinflux(emulatorEnv(k.endpoint, 'otlp'));
  t.teardown(() => kf.stop());
  const want: Point[] = [];
  for (const [enc, make] of EXPORTERS) {
    const rm = await collect(enc);
    const exporter = make(`${kf.url}/v1/metrics`);
    const result = await exportOnce(exporter, rm);
    t.equal(result.code, 0, `${enc} export succeeded ${result.error?.message ?? ''}`);
    await exporter.shutdown();
    want.push(...expected(rm));
  }
  const lines = await readLines(client, 'otlp');
  const got = lines.map((l) => show(decodeLine(Buffer.from(l + '\n'), 0, Buffer.byteLength(l) + 1)));
  t.equal(got.length, want.length, 'one point per data point and bucket');
  t.same([...got].sort(), want.map(show).sort(), 'every point as the schema writes it');
  // Both encodings carried every instrument.
  for (const enc of EXPORTERS.map(([e]) => e)) t.ok(lines.some((l) => l.includes(`service.name=svc-${enc}`) && l.includes('latency_exp_bucket')), `${enc}: exponential histogram`);
});

async function count503(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/kinflux_http_requests_total\{route="\/v1\/metrics",code="503"\} (\d+)/.exec(text)?.[1] ?? 0);
}

t.test("the SDK's retry on 503", async (t) => {
  const proxy = await startFaultProxy(k.endpoint);
  t.teardown(() => proxy.close());
  const kf = await startKinflux(emulatorEnv(proxy.endpoint, 'retry', { KINFLUX_DELIVERY_TIMEOUT_MS: '1000', KINFLUX_CLIENT_TIMEOUT_MS: '1000' }));
  t.teardown(() => kf.stop());
  for (const [enc, make] of EXPORTERS) {
    proxy.set({ failRequestShare: 1, failStatus: 500 });
    const rm = await collect(`retry-${enc}`);
    const exporter = make(`${kf.url}/v1/metrics`);
    const before = await count503(kf.url);
    const done = exportOnce(exporter, rm);
    // Once kinflux has answered 503, PutRecords works again: the SDK's retry must then store the points.
    await waitFor(async () => (await count503(kf.url)) > before, 60_000, 50);
    proxy.set({ failRequestShare: 0 });
    const result = await done;
    t.equal(result.code, 0, `${enc}: export succeeded after the retry ${result.error?.message ?? ''}`);
    await exporter.shutdown();
    const lines = await readLines(client, 'retry');
    t.ok(lines.some((l) => l.includes(`service.name=svc-retry-${enc}`)), `${enc}: points stored`);
  }
});
