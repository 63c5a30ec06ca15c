// OTLP protobuf → ExportRequest, on the shared wire reader (src/decode/protobuf.ts). Field numbers are those
// of opentelemetry-proto v1.x (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto,
// common/v1/common.proto, resource/v1/resource.proto); unknown fields are skipped. Nesting is the schema's
// own, fixed in this code: AnyValue arrays and maps are recognised, never descended (no tag can hold them).
// Every string must be UTF-8 (400 otherwise); repeated scalars are read packed or unpacked.
import { ProtoReader, ProtobufError, WIRE_I64, WIRE_LEN, WIRE_VARINT, isUtf8 } from '../../decode/protobuf.js';
import {
  MAX_ATTRIBUTES, MAX_BUCKETS, OtlpDecodeError,
  type AttrValue, type Attributes, type Buckets, type DecodeLimits, type Exemplar, type ExportRequest, type ExpHistogramPoint,
  type HistogramPoint, type Metric, type NumberPoint, type NumberValue, type ResourceMetrics, type Scope, type ScopeMetrics, type SummaryPoint,
} from './model.js';

/** Decodes an OTLP protobuf body; throws OtlpDecodeError (400, or 413 past the data point limit). */
export function decodeProtobufRequest(body: Buffer, limits: DecodeLimits): ExportRequest {
  const d = new Decoder(body, limits);
  try {
    return d.request();
  } catch (err) {
    if (err instanceof ProtobufError) throw new OtlpDecodeError(`${err.message} (in ${d.where})`);
    throw err;
  }
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];

class Decoder {
  private readonly r: ProtoReader;
  private points = 0;
  /** The message being read, for error texts. */
  where = 'ExportMetricsServiceRequest';

  constructor(private readonly buf: Buffer, private readonly limits: DecodeLimits) {
    this.r = new ProtoReader(buf);
  }

  request(): ExportRequest {
    const r = this.r;
    const resourceMetrics: ResourceMetrics[] = [];
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) resourceMetrics.push(this.sub(tag, 'ResourceMetrics', () => this.resourceMetrics()));
      else r.skip(tag & 7);
    }
    return { resourceMetrics };
  }

  /** Reads the length-delimited sub-message of `tag` with `read`, bounded to its bytes. */
  private sub<T>(tag: number, name: string, read: () => T): T {
    const r = this.r;
    this.wire(tag, WIRE_LEN);
    r.len();
    const end = r.end;
    const after = r.e;
    const where = this.where;
    this.where = name;
    r.pos = r.s;
    r.end = r.e;
    const v = read();
    r.end = end;
    r.pos = after;
    this.where = where;
    return v;
  }

  private wire(tag: number, want: number): void {
    if ((tag & 7) !== want) {
      throw new OtlpDecodeError(`${this.where} field ${tag >>> 3} has wire type ${WIRE_NAMES[tag & 7] ?? tag & 7}, not ${WIRE_NAMES[want]}`);
    }
  }

  private resourceMetrics(): ResourceMetrics {
    const r = this.r;
    let resource: Attributes = [];
    const scopeMetrics: ScopeMetrics[] = [];
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: resource = this.sub(tag, 'Resource', () => this.resource()); break;
        case 2: scopeMetrics.push(this.sub(tag, 'ScopeMetrics', () => this.scopeMetrics())); break;
        default: r.skip(tag & 7);
      }
    }
    return { resource, scopeMetrics };
  }

  private resource(): Attributes {
    const r = this.r;
    const attributes: Attributes = [];
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) this.keyValue(tag, attributes);
      else r.skip(tag & 7);
    }
    return attributes;
  }

  private scopeMetrics(): ScopeMetrics {
    const r = this.r;
    let scope: Scope = { name: '', version: '', attributes: [] };
    const metrics: Metric[] = [];
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: scope = this.sub(tag, 'InstrumentationScope', () => this.scope()); break;
        case 2: metrics.push(this.sub(tag, 'Metric', () => this.metric())); break;
        default: r.skip(tag & 7);
      }
    }
    return { scope, metrics };
  }

  private scope(): Scope {
    const r = this.r;
    let name = '';
    let version = '';
    const attributes: Attributes = [];
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: name = this.string(tag); break;
        case 2: version = this.string(tag); break;
        case 3: this.keyValue(tag, attributes); break;
        default: r.skip(tag & 7);
      }
    }
    return { name, version, attributes };
  }

  private metric(): Metric {
    const r = this.r;
    let name = '';
    let metric: Metric | undefined;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: name = this.string(tag); break;
        case 5: metric = this.sub(tag, 'Gauge', () => this.numberMetric('gauge')); break;
        case 7: metric = this.sub(tag, 'Sum', () => this.numberMetric('sum')); break;
        case 9: metric = this.sub(tag, 'Histogram', () => this.histogram()); break;
        case 10: metric = this.sub(tag, 'ExponentialHistogram', () => this.expHistogram()); break;
        case 11: metric = this.sub(tag, 'Summary', () => this.summary()); break;
        default: r.skip(tag & 7);
      }
    }
    if (metric === undefined) return { name, kind: 'empty', points: [] };
    return { ...metric, name };
  }

  private numberMetric(kind: 'gauge' | 'sum'): Metric {
    const r = this.r;
    const points: NumberPoint[] = [];
    let temporality = 0;
    let monotonic = false;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: points.push(this.sub(tag, 'NumberDataPoint', () => this.numberPoint())); break;
        case 2: if (kind === 'sum') { this.wire(tag, WIRE_VARINT); temporality = r.uint32(); } else r.skip(tag & 7); break;
        case 3: if (kind === 'sum') { this.wire(tag, WIRE_VARINT); monotonic = r.bool(); } else r.skip(tag & 7); break;
        default: r.skip(tag & 7);
      }
    }
    return kind === 'gauge' ? { name: '', kind, points } : { name: '', kind, points, temporality, monotonic };
  }

  private histogram(): Metric {
    return { name: '', kind: 'histogram', points: this.dataPoints('HistogramDataPoint', () => this.histogramPoint()) };
  }

  private expHistogram(): Metric {
    return { name: '', kind: 'exponentialHistogram', points: this.dataPoints('ExponentialHistogramDataPoint', () => this.expPoint()) };
  }

  private summary(): Metric {
    return { name: '', kind: 'summary', points: this.dataPoints('SummaryDataPoint', () => this.summaryPoint()) };
  }

  /** The data points (field 1) of a Histogram, ExponentialHistogram or Summary message; the rest skipped. */
  private dataPoints<P>(name: string, read: () => P): P[] {
    const r = this.r;
    const points: P[] = [];
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) points.push(this.sub(tag, name, read));
      else r.skip(tag & 7);
    }
    return points;
  }

  private countPoint(): void {
    if (++this.points > this.limits.maxDataPoints) {
      throw new OtlpDecodeError(`more than ${this.limits.maxDataPoints} data points in one request: send smaller batches`, 413);
    }
  }

  private numberPoint(): NumberPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    const exemplars: Exemplar[] = [];
    let start = 0n;
    let time = 0n;
    let value: NumberValue;
    let flags = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 7: this.keyValue(tag, attributes); break;
        case 2: start = this.fixed64(tag); break;
        case 3: time = this.fixed64(tag); break;
        case 4: this.wire(tag, WIRE_I64); value = r.double(); break;
        case 6: value = this.sfixed64(tag); break;
        case 5: exemplars.push(this.sub(tag, 'Exemplar', () => this.exemplar())); break;
        case 8: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, value, exemplars };
  }

  private histogramPoint(): HistogramPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    const exemplars: Exemplar[] = [];
    const bucketCounts: number[] = [];
    const explicitBounds: number[] = [];
    let start = 0n;
    let time = 0n;
    let count = 0;
    let sum: number | undefined;
    let min: number | undefined;
    let max: number | undefined;
    let flags = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 9: this.keyValue(tag, attributes); break;
        case 2: start = this.fixed64(tag); break;
        case 3: time = this.fixed64(tag); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6: this.repeated64(tag, bucketCounts, () => r.fixed64Number()); break;
        case 7: this.repeated64(tag, explicitBounds, () => r.double()); break;
        case 8: exemplars.push(this.sub(tag, 'Exemplar', () => this.exemplar())); break;
        case 10: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        case 11: min = this.double(tag); break;
        case 12: max = this.double(tag); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, min, max, bucketCounts, explicitBounds, exemplars };
  }

  private expPoint(): ExpHistogramPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    const exemplars: Exemplar[] = [];
    let start = 0n;
    let time = 0n;
    let count = 0;
    let sum: number | undefined;
    let min: number | undefined;
    let max: number | undefined;
    let flags = 0;
    let scale = 0;
    let zeroCount = 0;
    let zeroThreshold = 0;
    let positive: Buckets = { offset: 0, bucketCounts: [] };
    let negative: Buckets = { offset: 0, bucketCounts: [] };
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: this.keyValue(tag, attributes); break;
        case 2: start = this.fixed64(tag); break;
        case 3: time = this.fixed64(tag); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6: this.wire(tag, WIRE_VARINT); scale = zigzag32(r.uint32()); break;
        case 7: this.wire(tag, WIRE_I64); zeroCount = r.fixed64Number(); break;
        case 8: positive = this.sub(tag, 'Buckets', () => this.expBuckets()); break;
        case 9: negative = this.sub(tag, 'Buckets', () => this.expBuckets()); break;
        case 10: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        case 11: exemplars.push(this.sub(tag, 'Exemplar', () => this.exemplar())); break;
        case 12: min = this.double(tag); break;
        case 13: max = this.double(tag); break;
        case 14: zeroThreshold = this.double(tag); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, min, max, scale, zeroCount, zeroThreshold, positive, negative, exemplars };
  }

  private expBuckets(): Buckets {
    const r = this.r;
    let offset = 0;
    const bucketCounts: number[] = [];
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: this.wire(tag, WIRE_VARINT); offset = zigzag32(r.uint32()); break;
        case 2: this.repeatedVarint(tag, bucketCounts); break;
        default: r.skip(tag & 7);
      }
    }
    return { offset, bucketCounts };
  }

  private summaryPoint(): SummaryPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    const quantiles: Array<readonly [number, number]> = [];
    let start = 0n;
    let time = 0n;
    let count = 0;
    let sum = 0;
    let flags = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 7: this.keyValue(tag, attributes); break;
        case 2: start = this.fixed64(tag); break;
        case 3: time = this.fixed64(tag); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6:
          if (quantiles.length >= MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} quantiles`);
          quantiles.push(this.sub(tag, 'ValueAtQuantile', () => this.quantile()));
          break;
        case 8: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, quantiles };
  }

  private quantile(): readonly [number, number] {
    const r = this.r;
    let q = 0;
    let v = 0;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: q = this.double(tag); break;
        case 2: v = this.double(tag); break;
        default: r.skip(tag & 7);
      }
    }
    return [q, v];
  }

  private exemplar(): Exemplar {
    const r = this.r;
    const attributes: Attributes = [];
    let time = 0n;
    let value: NumberValue;
    let traceId = '';
    let spanId = '';
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 7: this.keyValue(tag, attributes); break;
        case 2: time = this.fixed64(tag); break;
        case 3: this.wire(tag, WIRE_I64); value = r.double(); break;
        case 6: value = this.sfixed64(tag); break;
        case 4: this.wire(tag, WIRE_LEN); r.len(); spanId = this.buf.toString('hex', r.s, r.e); break;
        case 5: this.wire(tag, WIRE_LEN); r.len(); traceId = this.buf.toString('hex', r.s, r.e); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, timeUnixNano: time, value, traceId, spanId };
  }

  /** A KeyValue appended to `out` (at most MAX_ATTRIBUTES per list). */
  private keyValue(tag: number, out: Attributes): void {
    if (out.length >= MAX_ATTRIBUTES) throw new OtlpDecodeError(`${this.where}: more than ${MAX_ATTRIBUTES} attributes`);
    out.push(this.sub(tag, 'KeyValue', () => {
      const r = this.r;
      let key = '';
      let value: AttrValue = '';
      while (r.more()) {
        const t = r.tag();
        switch (t >>> 3) {
          case 1: key = this.string(t); break;
          case 2: value = this.sub(t, 'AnyValue', () => this.anyValue()); break;
          default: r.skip(t & 7);
        }
      }
      return [key, value] as const;
    }));
  }

  /** AnyValue as a tag value, spelled as pcommon's Value.AsString does; arrays and maps are not descended. */
  private anyValue(): AttrValue {
    const r = this.r;
    let v: AttrValue = '';
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: v = this.string(tag); break;
        case 2: this.wire(tag, WIRE_VARINT); v = r.bool() ? 'true' : 'false'; break;
        case 3: { this.wire(tag, WIRE_VARINT); const lo = r.int64Parts(); v = String(BigInt.asIntN(64, (BigInt(r.hiPart) << 32n) | BigInt(lo))); break; }
        case 4: v = String(this.double(tag)); break;
        case 5: this.wire(tag, WIRE_LEN); r.len(); v = { unmappable: 'array' }; break;
        case 6: this.wire(tag, WIRE_LEN); r.len(); v = { unmappable: 'map' }; break;
        case 7: this.wire(tag, WIRE_LEN); r.len(); v = this.buf.toString('base64', r.s, r.e); break;
        default: r.skip(tag & 7);
      }
    }
    return v;
  }

  private string(tag: number): string {
    const r = this.r;
    this.wire(tag, WIRE_LEN);
    r.len();
    if (!isUtf8(this.buf, r.s, r.e)) throw new OtlpDecodeError(`${this.where} field ${tag >>> 3}: a string that is not valid UTF-8`);
    return this.buf.toString('utf8', r.s, r.e);
  }

  private fixed64(tag: number): bigint {
    this.wire(tag, WIRE_I64);
    return this.r.fixed64Big();
  }

  private sfixed64(tag: number): bigint {
    this.wire(tag, WIRE_I64);
    const r = this.r;
    r.fixed64();
    return BigInt.asIntN(64, (BigInt(r.hiPart) << 32n) | BigInt(r.lo));
  }

  private double(tag: number): number {
    this.wire(tag, WIRE_I64);
    return this.r.double();
  }

  /** A repeated fixed64 or double field: packed (one length-delimited run) or one value per tag. */
  private repeated64(tag: number, out: number[], read: () => number): void {
    const r = this.r;
    if ((tag & 7) === WIRE_I64) {
      if (out.length >= MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} buckets`);
      out.push(read());
      return;
    }
    this.wire(tag, WIRE_LEN);
    r.len();
    if ((r.e - r.s) % 8 !== 0) throw new OtlpDecodeError(`${this.where} field ${tag >>> 3}: a packed run of ${r.e - r.s} bytes is not whole 8-byte values`);
    if (out.length + (r.e - r.s) / 8 > MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} buckets`);
    const end = r.end;
    const after = r.e;
    r.pos = r.s;
    r.end = r.e;
    while (r.more()) out.push(read());
    r.end = end;
    r.pos = after;
  }

  /** A repeated uint64 field (exponential bucket counts): packed varints or one per tag. */
  private repeatedVarint(tag: number, out: number[]): void {
    const r = this.r;
    const one = (): void => {
      if (out.length >= MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} buckets`);
      const lo = r.int64Parts();
      out.push(r.hiPart * 4294967296 + lo);
    };
    if ((tag & 7) === WIRE_VARINT) return one();
    this.wire(tag, WIRE_LEN);
    r.len();
    const end = r.end;
    const after = r.e;
    r.pos = r.s;
    r.end = r.e;
    while (r.more()) one();
    r.end = end;
    r.pos = after;
  }
}

/** sint32: zigzag-decoded. */
function zigzag32(v: number): number {
  return (v >>> 1) ^ -(v & 1);
}
