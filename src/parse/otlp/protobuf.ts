// OTLP protobuf → ExportRequest, on the shared wire reader (src/decode/protobuf.ts). Field numbers are those
// of opentelemetry-proto v1.x (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto,
// common/v1/common.proto, resource/v1/resource.proto); unknown fields are skipped. Nesting is the schema's
// own, fixed in this code: AnyValue arrays and maps are recognised, never descended (no tag can hold them).
// Every string must be UTF-8 (400 otherwise); repeated scalars are read packed or unpacked.
import { ProtoReader, ProtobufError, WIRE_I64, WIRE_LEN, WIRE_VARINT, isUtf8 } from '../../decode/protobuf.js';
import {
  ARRAY_VALUE, MAP_VALUE, MAX_ATTRIBUTES, NO_EXEMPLARS, MAX_BUCKETS, OtlpDecodeError, TextArena,
  type Attributes, type Buckets, type DecodeLimits, type Exemplar, type ExportRequest, type ExpHistogramPoint,
  type HistogramPoint, type Metric, type NumberPoint, type NumberValue, type ResourceMetrics, type Scope, type ScopeMetrics, type SummaryPoint,
} from './model.js';
import { AttributeRuns } from './attribute-runs.js';

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
  /** enter()'s stack: the outer message's end, where it resumes, its name. */
  private depth = 0;
  private readonly ends = new Float64Array(16);
  private readonly afters = new Float64Array(16);
  private readonly names: string[] = [];

  private readonly text: TextArena;
  private readonly runs: AttributeRuns;

  constructor(private readonly buf: Buffer, private readonly limits: DecodeLimits) {
    this.r = new ProtoReader(buf);
    this.text = new TextArena(buf);
    this.runs = new AttributeRuns(buf);
  }

  request(): ExportRequest {
    const r = this.r;
    const resourceMetrics: ResourceMetrics[] = [];
    while (r.more()) {
      const tag = r.tag();
      if (tag >>> 3 === 1) { this.enter(tag, 'ResourceMetrics'); resourceMetrics.push(this.resourceMetrics()); this.leave(); }
      else r.skip(tag & 7);
    }
    return { resourceMetrics, text: this.text };
  }

  /**
   * Enters the length-delimited sub-message of `tag`: reads are bounded to its bytes until leave(). A stack, not
   * a closure per message: the schema fixes the depth.
   */
  private enter(tag: number, name: string): void {
    const r = this.r;
    this.wire(tag, WIRE_LEN);
    r.len();
    const d = this.depth++;
    this.ends[d] = r.end;
    this.afters[d] = r.e;
    this.names[d] = this.where;
    this.where = name;
    r.pos = r.s;
    r.end = r.e;
  }

  private leave(): void {
    const d = --this.depth;
    const r = this.r;
    r.end = this.ends[d];
    r.pos = this.afters[d];
    this.where = this.names[d];
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
        case 1: { this.enter(tag, 'Resource'); resource = this.resource(); this.leave(); } break;
        case 2: { this.enter(tag, 'ScopeMetrics'); scopeMetrics.push(this.scopeMetrics()); this.leave(); } break;
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
        case 1: { this.enter(tag, 'InstrumentationScope'); scope = this.scope(); this.leave(); } break;
        case 2: { this.enter(tag, 'Metric'); metrics.push(this.metric()); this.leave(); } break;
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
        case 5: { this.enter(tag, 'Gauge'); metric = this.numberMetric('gauge'); this.leave(); } break;
        case 7: { this.enter(tag, 'Sum'); metric = this.numberMetric('sum'); this.leave(); } break;
        case 9: { this.enter(tag, 'Histogram'); metric = this.histogram(); this.leave(); } break;
        case 10: { this.enter(tag, 'ExponentialHistogram'); metric = this.expHistogram(); this.leave(); } break;
        case 11: { this.enter(tag, 'Summary'); metric = this.summary(); this.leave(); } break;
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
        case 1: { this.enter(tag, 'NumberDataPoint'); points.push(this.numberPoint(points.length)); this.leave(); } break;
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
      if (tag >>> 3 === 1) { this.enter(tag, name); points.push(read()); this.leave(); }
      else r.skip(tag & 7);
    }
    return points;
  }

  private countPoint(): void {
    if (++this.points > this.limits.maxDataPoints) {
      throw new OtlpDecodeError(`more than ${this.limits.maxDataPoints} data points in one request: send smaller batches`, 413);
    }
  }

  /** The data point at `index` of its metric. */
  private numberPoint(index: number): NumberPoint {
    this.countPoint();
    const r = this.r;
    let attributes: Attributes | undefined;
    // The list is the one of an earlier point of the same attribute bytes (attribute-runs.ts), not this point's own.
    let shared = false;
    // The point's attribute fields as one run body[runStart..runEnd) (runStart -1: not one run, or shared).
    let runStart = -1;
    let runEnd = -1;
    let exemplars: Exemplar[] | undefined;
    let start = 0n;
    let time = 0n;
    let value: NumberValue;
    let flags = 0;
    while (r.more()) {
      const at = r.pos;
      const tag = r.tag();
      switch (tag >>> 3) {
        case 7:
          if (attributes === undefined) {
            const list = this.runs.match(index, at, r.end);
            if (list !== undefined) { attributes = list; shared = true; r.pos = this.runs.end; break; }
            attributes = [];
            runStart = at;
          } else {
            if (shared) { attributes = attributes.slice(); shared = false; }
            if (at !== runEnd) runStart = -1;
          }
          this.keyValue(tag, attributes);
          runEnd = r.pos;
          break;
        case 2: start = this.fixed64(tag, 0); break;
        case 3: time = this.fixed64(tag, 1); break;
        case 4: this.wire(tag, WIRE_I64); value = r.double(); break;
        case 6: value = this.sfixed64(tag); break;
        case 5: { this.enter(tag, 'Exemplar'); (exemplars ??= []).push(this.exemplar()); this.leave(); } break;
        case 8: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        default: r.skip(tag & 7);
      }
    }
    if (attributes === undefined) attributes = [];
    else if (runStart >= 0) this.runs.record(index, runStart, runEnd, attributes);
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, value, exemplars: exemplars ?? NO_EXEMPLARS };
  }

  private histogramPoint(): HistogramPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    let exemplars: Exemplar[] | undefined;
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
        case 2: start = this.fixed64(tag, 0); break;
        case 3: time = this.fixed64(tag, 1); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6: this.repeated64(tag, bucketCounts, () => r.fixed64Number()); break;
        case 7: this.repeated64(tag, explicitBounds, () => r.double()); break;
        case 8: { this.enter(tag, 'Exemplar'); (exemplars ??= []).push(this.exemplar()); this.leave(); } break;
        case 10: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        case 11: min = this.double(tag); break;
        case 12: max = this.double(tag); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, min, max, bucketCounts, explicitBounds, exemplars: exemplars ?? NO_EXEMPLARS };
  }

  private expPoint(): ExpHistogramPoint {
    this.countPoint();
    const r = this.r;
    const attributes: Attributes = [];
    let exemplars: Exemplar[] | undefined;
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
        case 2: start = this.fixed64(tag, 0); break;
        case 3: time = this.fixed64(tag, 1); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6: this.wire(tag, WIRE_VARINT); scale = zigzag32(r.uint32()); break;
        case 7: this.wire(tag, WIRE_I64); zeroCount = r.fixed64Number(); break;
        case 8: { this.enter(tag, 'Buckets'); positive = this.expBuckets(); this.leave(); } break;
        case 9: { this.enter(tag, 'Buckets'); negative = this.expBuckets(); this.leave(); } break;
        case 10: this.wire(tag, WIRE_VARINT); flags = r.uint32(); break;
        case 11: { this.enter(tag, 'Exemplar'); (exemplars ??= []).push(this.exemplar()); this.leave(); } break;
        case 12: min = this.double(tag); break;
        case 13: max = this.double(tag); break;
        case 14: zeroThreshold = this.double(tag); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, min, max, scale, zeroCount, zeroThreshold, positive, negative, exemplars: exemplars ?? NO_EXEMPLARS };
  }

  private expBuckets(): Buckets {
    const r = this.r;
    let offset = 0;
    let bucketCounts: number[] = [];
    // The first packed run in a Float64Array (one typed array, not 8 M boxed numbers: a hostile request's counts are no garbage to scavenge).
    let packed: Float64Array | undefined;
    while (r.more()) {
      const tag = r.tag();
      switch (tag >>> 3) {
        case 1: this.wire(tag, WIRE_VARINT); offset = zigzag32(r.uint32()); break;
        case 2:
          if (packed !== undefined) { bucketCounts = Array.from(packed); packed = undefined; }
          packed = this.repeatedVarint(tag, bucketCounts);
          break;
        default: r.skip(tag & 7);
      }
    }
    return { offset, bucketCounts: packed ?? bucketCounts };
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
        case 2: start = this.fixed64(tag, 0); break;
        case 3: time = this.fixed64(tag, 1); break;
        case 4: this.wire(tag, WIRE_I64); count = r.fixed64Number(); break;
        case 5: sum = this.double(tag); break;
        case 6:
          if (quantiles.length >= MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} quantiles`);
          { this.enter(tag, 'ValueAtQuantile'); quantiles.push(this.quantile()); this.leave(); }
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
        case 2: time = this.fixed64(tag, 1); break;
        case 3: this.wire(tag, WIRE_I64); value = r.double(); break;
        case 6: value = this.sfixed64(tag); break;
        case 4: this.wire(tag, WIRE_LEN); r.len(); spanId = this.buf.toString('hex', r.s, r.e); break;
        case 5: this.wire(tag, WIRE_LEN); r.len(); traceId = this.buf.toString('hex', r.s, r.e); break;
        default: r.skip(tag & 7);
      }
    }
    return { attributes, timeUnixNano: time, value, traceId, spanId };
  }

  /** A KeyValue appended to `out` as ranges of the text (at most MAX_ATTRIBUTES per list). */
  private keyValue(tag: number, out: Attributes): void {
    if (out.length >= 4 * MAX_ATTRIBUTES) throw new OtlpDecodeError(`${this.where}: more than ${MAX_ATTRIBUTES} attributes`);
    if ((tag & 7) === WIRE_LEN && this.plainKeyValue(out)) return;
    this.enter(tag, 'KeyValue');
    const r = this.r;
    let ks = 0;
    let ke = 0;
    this.vs = this.ve = 0;
    while (r.more()) {
      const t = r.tag();
      switch (t >>> 3) {
        case 1: this.utf8(t); ks = r.s; ke = r.e; break;
        case 2: this.enter(t, 'AnyValue'); this.anyValue(); this.leave(); break;
        default: r.skip(t & 7);
      }
    }
    out.push(ks, ke, this.vs, this.ve);
    this.leave();
  }

  /**
   * The usual KeyValue read at once: lengths under 128, the key (field 1) then the value (field 2) holding one
   * string or a non-negative integer under 2^28, nothing else. Anything else returns false having read nothing
   * (keyValue() reads it field by field, and refuses what it refuses); both give the same ranges.
   */
  private plainKeyValue(out: Attributes): boolean {
    const r = this.r;
    const b = this.buf;
    const p = r.pos;
    if (p + 5 > r.end) return false;
    const n = b[p];
    const kvEnd = p + 1 + n;
    if (n >= 0x80 || kvEnd > r.end || b[p + 1] !== 0x0a) return false; // key: field 1, length-delimited
    const kl = b[p + 2];
    const ks = p + 3, ke = ks + kl;
    if (kl >= 0x80 || ke + 4 > kvEnd || b[ke] !== 0x12) return false; // value: field 2, length-delimited
    const al = b[ke + 1];
    const as = ke + 2, ae = as + al;
    if (al >= 0x80 || ae !== kvEnd || al < 2 || !isUtf8(b, ks, ke)) return false;
    const vt = b[as];
    if (vt === 0x0a) { // string_value
      const vl = b[as + 1];
      const vs = as + 2;
      if (vl >= 0x80 || vs + vl !== ae || !isUtf8(b, vs, ae)) return false;
      out.push(ks, ke, vs, ae);
    } else if (vt === 0x18) { // int_value
      let v = 0;
      let q = as + 1;
      for (let shift = 0; ; shift += 7) {
        if (q >= ae || shift > 21) return false;
        const c = b[q++];
        v |= (c & 0x7f) << shift;
        if (c < 0x80) break;
      }
      if (q !== ae) return false;
      const vs = this.text.end;
      this.text.putInt(v);
      out.push(ks, ke, vs, this.text.end);
    } else return false;
    r.pos = kvEnd;
    return true;
  }

  /** The range anyValue() read. */
  private vs = 0;
  private ve = 0;

  /**
   * AnyValue as a tag value's range, spelled as pcommon's Value.AsString does (a later field wins); arrays and
   * maps are not descended.
   */
  private anyValue(): void {
    const r = this.r;
    const text = this.text;
    while (r.more()) {
      const tag = r.tag();
      const at = text.end;
      switch (tag >>> 3) {
        case 1: this.utf8(tag); this.vs = r.s; this.ve = r.e; continue;
        case 2: this.wire(tag, WIRE_VARINT); text.put(r.bool() ? 'true' : 'false'); break;
        case 3: {
          this.wire(tag, WIRE_VARINT);
          const lo = r.int64Parts();
          const hi = r.hiPart;
          // Most integers fit a double exactly: no bigint for them.
          if (hi < 0x200000) text.putInt(hi * 4294967296 + lo);
          else if (hi === 0xffffffff && lo !== 0) text.putInt(lo - 4294967296);
          else text.put(String(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))));
          break;
        }
        case 4: text.put(String(this.double(tag))); break;
        case 5: this.wire(tag, WIRE_LEN); r.len(); this.vs = this.ve = ARRAY_VALUE; continue;
        case 6: this.wire(tag, WIRE_LEN); r.len(); this.vs = this.ve = MAP_VALUE; continue;
        case 7: this.wire(tag, WIRE_LEN); r.len(); text.putBase64(this.buf, r.s, r.e); break;
        default: r.skip(tag & 7); continue;
      }
      this.vs = at;
      this.ve = text.end;
    }
  }

  /** A UTF-8 string field: its range in r.s/r.e (400 when it is not UTF-8). */
  private utf8(tag: number): void {
    const r = this.r;
    this.wire(tag, WIRE_LEN);
    r.len();
    if (!isUtf8(this.buf, r.s, r.e)) throw new OtlpDecodeError(`${this.where} field ${tag >>> 3}: a string that is not valid UTF-8`);
  }

  private string(tag: number): string {
    this.utf8(tag);
    return this.buf.toString('utf8', this.r.s, this.r.e);
  }

  /**
   * A fixed64 timestamp as a bigint; `slot` 0 for start times, 1 for the others: a request's data points mostly
   * share them, so the last bigint of a slot is reused when the bits are the same (no bigint per data point).
   */
  private fixed64(tag: number, slot: 0 | 1): bigint {
    this.wire(tag, WIRE_I64);
    const r = this.r;
    r.fixed64();
    const lo = r.lo, hi = r.hiPart;
    if (lo === this.tsLo[slot] && hi === this.tsHi[slot]) return this.ts[slot];
    this.tsLo[slot] = lo;
    this.tsHi[slot] = hi;
    return (this.ts[slot] = (BigInt(hi) << 32n) | BigInt(lo));
  }

  private readonly tsLo = [0, 0];
  private readonly tsHi = [0, 0];
  private readonly ts = [0n, 0n];

  private sfixed64(tag: number): bigint {
    this.wire(tag, WIRE_I64);
    return this.r.sfixed64Big();
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

  /**
   * A repeated uint64 field (exponential bucket counts): packed varints or one per tag, pushed onto out; or, for a
   * packed run while out is empty, returned as a Float64Array of the same values (the same errors, in the same order:
   * a run of at most MAX_BUCKETS whole varints).
   */
  private repeatedVarint(tag: number, out: number[]): Float64Array | undefined {
    const r = this.r;
    const one = (): void => {
      if (out.length >= MAX_BUCKETS) throw new OtlpDecodeError(`${this.where}: more than ${MAX_BUCKETS} buckets`);
      const lo = r.int64Parts();
      out.push(r.hiPart * 4294967296 + lo);
    };
    if ((tag & 7) === WIRE_VARINT) { one(); return undefined; }
    this.wire(tag, WIRE_LEN);
    r.len();
    const end = r.end;
    const after = r.e;
    let whole: Float64Array | undefined;
    if (out.length === 0) {
      // Varints in the run: bytes without the continuation bit; whole when the last byte has none either.
      const b = r.buf;
      let n = 0;
      for (let p = r.s; p < r.e; p++) if (b[p] < 0x80) n++;
      if (n < MAX_BUCKETS || (n === MAX_BUCKETS && b[r.e - 1] < 0x80)) whole = new Float64Array(n);
    }
    r.pos = r.s;
    r.end = r.e;
    if (whole !== undefined) {
      // One-byte counts read inline; a longer (or truncated, or overlong) varint by int64Parts, as one() reads it.
      const b = r.buf;
      for (let k = 0; r.more(); k++) {
        const c = b[r.pos];
        if (c < 0x80) { whole[k] = c; r.pos++; } else { const lo = r.int64Parts(); whole[k] = r.hiPart * 4294967296 + lo; }
      }
    } else while (r.more()) one();
    r.end = end;
    r.pos = after;
    return whole;
  }
}

/** sint32: zigzag-decoded. */
function zigzag32(v: number): number {
  return (v >>> 1) ^ -(v & 1);
}
