// OTLP/JSON → ExportRequest. The proto3 JSON mapping with OTLP's deviations (specification.md, "JSON Protobuf
// Encoding"): lowerCamelCase keys, enums as integers, 64-bit integers as decimal strings or numbers, trace and
// span ids in hex, unknown fields ignored. Bounded before anything is built: invalid UTF-8, nesting deeper than
// any OTLP message, too many data points, attributes or buckets get a 400 naming the cause.
import { isUtf8 } from 'node:buffer';
import {
  ARRAY_VALUE, MAP_VALUE, MAX_ATTRIBUTES, MAX_BUCKETS, OtlpDecodeError, TextArena,
  type Attributes, type Buckets, type DecodeLimits, type Exemplar, type ExportRequest, type ExpHistogramPoint,
  type HistogramPoint, type Metric, type NumberPoint, type NumberValue, type ResourceMetrics, type ScopeMetrics, type SummaryPoint,
} from './model.js';

/**
 * Deepest nesting of objects and arrays accepted. An ExportMetricsServiceRequest's own structure is 10 deep
 * (request → resourceMetrics → scopeMetrics → metrics → histogram → dataPoints → exemplars → attributes →
 * value); AnyValue arrays and maps nest further, but no tag can hold them, so a few levels are plenty.
 */
export const MAX_JSON_DEPTH = 32;

type Obj = Record<string, unknown>;

/** Decodes an OTLP/JSON body; throws OtlpDecodeError (400) for anything that is not one. */
export function decodeJsonRequest(body: Buffer, limits: DecodeLimits): ExportRequest {
  if (!isUtf8(body)) throw new OtlpDecodeError('the body is not valid UTF-8 (OTLP/JSON is UTF-8 JSON)');
  checkDepth(body);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`the body is not JSON: ${(err as Error).message}`);
  }
  const d = new JsonDecoder(limits, new TextArena(new Uint8Array(0), Math.min(body.length, 1 << 20)));
  return d.request(doc);
}

/** Refuses nesting deeper than MAX_JSON_DEPTH in one linear pass (strings skipped), before JSON.parse builds it. */
function checkDepth(b: Buffer): void {
  let depth = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 34) {
      // Skip the string: a backslash escapes the next byte.
      for (i++; i < b.length && b[i] !== 34; i++) if (b[i] === 92) i++;
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) throw new OtlpDecodeError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels: no ExportMetricsServiceRequest is`);
    } else if (c === 125 || c === 93) depth--;
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class JsonDecoder {
  private points = 0;
  constructor(private readonly limits: DecodeLimits, private readonly text: TextArena) {}

  request(doc: unknown): ExportRequest {
    const o = this.obj(doc, 'the request');
    return { resourceMetrics: this.list(o.resourceMetrics, 'resourceMetrics', (v, at) => this.resourceMetrics(v, at)), text: this.text };
  }

  private resourceMetrics(v: unknown, at: string): ResourceMetrics {
    const o = this.obj(v, at);
    const resource = o.resource == null ? undefined : this.obj(o.resource, `${at}.resource`);
    return {
      resource: resource ? this.attributes(resource.attributes, `${at}.resource.attributes`) : [],
      scopeMetrics: this.list(o.scopeMetrics, `${at}.scopeMetrics`, (x, a) => this.scopeMetrics(x, a)),
    };
  }

  private scopeMetrics(v: unknown, at: string): ScopeMetrics {
    const o = this.obj(v, at);
    const s = o.scope == null ? {} : this.obj(o.scope, `${at}.scope`);
    return {
      scope: { name: this.str(s.name, `${at}.scope.name`), version: this.str(s.version, `${at}.scope.version`), attributes: this.attributes(s.attributes, `${at}.scope.attributes`) },
      metrics: this.list(o.metrics, `${at}.metrics`, (x, a) => this.metric(x, a)),
    };
  }

  private metric(v: unknown, at: string): Metric {
    const o = this.obj(v, at);
    const name = this.str(o.name, `${at}.name`);
    if (o.gauge != null) {
      const g = this.obj(o.gauge, `${at}.gauge`);
      return { name, kind: 'gauge', points: this.list(g.dataPoints, `${at}.gauge.dataPoints`, (x, a) => this.numberPoint(x, a)) };
    }
    if (o.sum != null) {
      const s = this.obj(o.sum, `${at}.sum`);
      return {
        name, kind: 'sum',
        monotonic: this.bool(s.isMonotonic, `${at}.sum.isMonotonic`),
        temporality: this.enumValue(s.aggregationTemporality, `${at}.sum.aggregationTemporality`),
        points: this.list(s.dataPoints, `${at}.sum.dataPoints`, (x, a) => this.numberPoint(x, a)),
      };
    }
    if (o.histogram != null) {
      const h = this.obj(o.histogram, `${at}.histogram`);
      return { name, kind: 'histogram', points: this.list(h.dataPoints, `${at}.histogram.dataPoints`, (x, a) => this.histogramPoint(x, a)) };
    }
    if (o.exponentialHistogram != null) {
      const h = this.obj(o.exponentialHistogram, `${at}.exponentialHistogram`);
      return { name, kind: 'exponentialHistogram', points: this.list(h.dataPoints, `${at}.exponentialHistogram.dataPoints`, (x, a) => this.expPoint(x, a)) };
    }
    if (o.summary != null) {
      const s = this.obj(o.summary, `${at}.summary`);
      return { name, kind: 'summary', points: this.list(s.dataPoints, `${at}.summary.dataPoints`, (x, a) => this.summaryPoint(x, a)) };
    }
    return { name, kind: 'empty', points: [] };
  }

  private countPoint(at: string): void {
    if (++this.points > this.limits.maxDataPoints) {
      throw new OtlpDecodeError(`more than ${this.limits.maxDataPoints} data points in one request (at ${at}): send smaller batches`, 413);
    }
  }

  private base(o: Obj, at: string): { attributes: Attributes; startTimeUnixNano: bigint; timeUnixNano: bigint; flags: number } {
    this.countPoint(at);
    return {
      attributes: this.attributes(o.attributes, `${at}.attributes`),
      startTimeUnixNano: this.u64(o.startTimeUnixNano, `${at}.startTimeUnixNano`),
      timeUnixNano: this.u64(o.timeUnixNano, `${at}.timeUnixNano`),
      flags: this.u32(o.flags, `${at}.flags`),
    };
  }

  private numberPoint(v: unknown, at: string): NumberPoint {
    const o = this.obj(v, at);
    return { ...this.base(o, at), value: this.numberValue(o, at), exemplars: this.exemplars(o.exemplars, `${at}.exemplars`) };
  }

  private numberValue(o: Obj, at: string): NumberValue {
    if (o.asDouble != null) return this.double(o.asDouble, `${at}.asDouble`);
    if (o.asInt != null) return this.i64(o.asInt, `${at}.asInt`);
    return undefined;
  }

  /** The count, sum, min and max that histograms and exponential histograms share. */
  private counts(o: Obj, at: string): Pick<HistogramPoint, 'count' | 'sum' | 'min' | 'max'> {
    return {
      count: this.u64num(o.count, `${at}.count`),
      sum: this.optDouble(o.sum, `${at}.sum`),
      min: this.optDouble(o.min, `${at}.min`),
      max: this.optDouble(o.max, `${at}.max`),
    };
  }

  private histogramPoint(v: unknown, at: string): HistogramPoint {
    const o = this.obj(v, at);
    return {
      ...this.base(o, at),
      ...this.counts(o, at),
      bucketCounts: this.buckets(o.bucketCounts, `${at}.bucketCounts`, (x, a) => this.u64num(x, a)),
      explicitBounds: this.buckets(o.explicitBounds, `${at}.explicitBounds`, (x, a) => this.double(x, a)),
      exemplars: this.exemplars(o.exemplars, `${at}.exemplars`),
    };
  }

  private expPoint(v: unknown, at: string): ExpHistogramPoint {
    const o = this.obj(v, at);
    return {
      ...this.base(o, at),
      ...this.counts(o, at),
      scale: this.i32(o.scale, `${at}.scale`),
      zeroCount: this.u64num(o.zeroCount, `${at}.zeroCount`),
      zeroThreshold: o.zeroThreshold == null ? 0 : this.double(o.zeroThreshold, `${at}.zeroThreshold`),
      positive: this.expBuckets(o.positive, `${at}.positive`),
      negative: this.expBuckets(o.negative, `${at}.negative`),
      exemplars: this.exemplars(o.exemplars, `${at}.exemplars`),
    };
  }

  private expBuckets(v: unknown, at: string): Buckets {
    if (v == null) return { offset: 0, bucketCounts: [] };
    const o = this.obj(v, at);
    return { offset: this.i32(o.offset, `${at}.offset`), bucketCounts: this.buckets(o.bucketCounts, `${at}.bucketCounts`, (x, a) => this.u64num(x, a)) };
  }

  private summaryPoint(v: unknown, at: string): SummaryPoint {
    const o = this.obj(v, at);
    return {
      ...this.base(o, at),
      count: this.u64num(o.count, `${at}.count`),
      sum: o.sum == null ? 0 : this.double(o.sum, `${at}.sum`),
      quantiles: this.buckets(o.quantileValues, `${at}.quantileValues`, (x, a) => {
        const q = this.obj(x, a);
        return [q.quantile == null ? 0 : this.double(q.quantile, `${a}.quantile`), q.value == null ? 0 : this.double(q.value, `${a}.value`)] as const;
      }),
    };
  }

  private exemplars(v: unknown, at: string): Exemplar[] {
    return this.list(v, at, (x, a) => {
      const o = this.obj(x, a);
      return {
        attributes: this.attributes(o.filteredAttributes, `${a}.filteredAttributes`),
        timeUnixNano: this.u64(o.timeUnixNano, `${a}.timeUnixNano`),
        value: this.numberValue(o, a),
        traceId: this.hex(o.traceId, `${a}.traceId`),
        spanId: this.hex(o.spanId, `${a}.spanId`),
      };
    });
  }

  private attributes(v: unknown, at: string): Attributes {
    if (v == null) return [];
    if (!Array.isArray(v)) throw this.bad(at, 'a list of {key, value}');
    if (v.length > MAX_ATTRIBUTES) throw new OtlpDecodeError(`${at}: more than ${MAX_ATTRIBUTES} attributes`);
    const out: Attributes = [];
    const text = this.text;
    for (let i = 0; i < v.length; i++) {
      const kv = isObj(v[i]) ? v[i] as Obj : this.obj(v[i], `${at}[${i}]`);
      const ks = text.end;
      text.put(typeof kv.key === 'string' ? kv.key : this.str(kv.key, `${at}[${i}].key`));
      const ke = text.end;
      const vs = this.anyValue(kv.value, at, i);
      out.push(ks, ke, vs, vs < 0 ? vs : text.end);
    }
    return out;
  }

  /** AnyValue as a tag value put in the text, spelled as pcommon's Value.AsString does: its start, or ARRAY_VALUE or MAP_VALUE. */
  private anyValue(v: unknown, list: string, i: number): number {
    const text = this.text;
    const start = text.end;
    if (v == null) return start;
    const at = (): string => `${list}[${i}].value`;
    const o = isObj(v) ? v : this.obj(v, at());
    if (o.stringValue != null) text.put(typeof o.stringValue === 'string' ? o.stringValue : this.str(o.stringValue, `${at()}.stringValue`));
    else if (o.boolValue != null) text.put(String(this.bool(o.boolValue, `${at()}.boolValue`)));
    else if (o.intValue != null) text.put(String(this.i64(o.intValue, `${at()}.intValue`)));
    else if (o.doubleValue != null) text.put(String(this.double(o.doubleValue, `${at()}.doubleValue`)));
    else if (o.bytesValue != null) text.put(this.str(o.bytesValue, `${at()}.bytesValue`));
    else if (o.arrayValue != null) return ARRAY_VALUE;
    else if (o.kvlistValue != null) return MAP_VALUE;
    return start;
  }

  private list<T>(v: unknown, at: string, each: (x: unknown, at: string) => T): T[] {
    if (v == null) return [];
    if (!Array.isArray(v)) throw this.bad(at, 'a list');
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) out.push(each(v[i], `${at}[${i}]`));
    return out;
  }

  private buckets<T>(v: unknown, at: string, each: (x: unknown, at: string) => T): T[] {
    if (Array.isArray(v) && v.length > MAX_BUCKETS) throw new OtlpDecodeError(`${at}: more than ${MAX_BUCKETS} buckets`);
    return this.list(v, at, each);
  }

  private obj(v: unknown, at: string): Obj {
    if (!isObj(v)) throw this.bad(at, 'an object');
    return v;
  }

  private str(v: unknown, at: string): string {
    if (v == null) return '';
    if (typeof v !== 'string') throw this.bad(at, 'a string');
    return v;
  }

  private bool(v: unknown, at: string): boolean {
    if (v == null) return false;
    if (typeof v !== 'boolean') throw this.bad(at, 'true or false');
    return v;
  }

  /** An enum: integers only in OTLP/JSON. */
  private enumValue(v: unknown, at: string): number {
    if (v == null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.bad(at, 'an integer (OTLP/JSON writes enums as integers)');
    return v;
  }

  private u32(v: unknown, at: string): number {
    if (v == null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw this.bad(at, 'an unsigned 32-bit integer');
    return v;
  }

  private i32(v: unknown, at: string): number {
    if (v == null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw this.bad(at, 'a 32-bit integer');
    return v;
  }

  /** int64: a decimal string or a number. */
  private i64(v: unknown, at: string): bigint {
    const b = this.integer(v, at);
    if (b < -(2n ** 63n) || b >= 2n ** 63n) throw this.bad(at, 'a 64-bit integer');
    return b;
  }

  /** fixed64/uint64 (timestamps): a decimal string or a number. */
  private u64(v: unknown, at: string): bigint {
    if (v == null) return 0n;
    const b = this.integer(v, at);
    if (b < 0n || b >= 2n ** 64n) throw this.bad(at, 'an unsigned 64-bit integer');
    return b;
  }

  /** A uint64 count as a number (the schemas write counts as floats). */
  private u64num(v: unknown, at: string): number {
    if (v == null) return 0;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    return Number(this.u64(v, at));
  }

  private integer(v: unknown, at: string): bigint {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw this.bad(at, 'an integer');
      return BigInt(v);
    }
    if (typeof v === 'string' && /^-?[0-9]{1,20}$/.test(v)) return BigInt(v);
    throw this.bad(at, 'an integer, as a decimal string or a number');
  }

  /** A double: a number, or "NaN", "Infinity", "-Infinity" or a numeric string as proto3 JSON allows. */
  private double(v: unknown, at: string): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (/^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(v) && v.length <= 400) return Number(v);
    }
    throw this.bad(at, 'a number');
  }

  private optDouble(v: unknown, at: string): number | undefined {
    return v == null ? undefined : this.double(v, at);
  }

  /** trace and span ids: hex in OTLP/JSON (not base64), case-insensitive; '' when absent. */
  private hex(v: unknown, at: string): string {
    if (v == null || v === '') return '';
    if (typeof v !== 'string' || v.length > 64 || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) throw this.bad(at, 'a hex string (OTLP/JSON writes trace and span ids in hex)');
    return v.toLowerCase();
  }

  private bad(at: string, what: string): OtlpDecodeError {
    return new OtlpDecodeError(`${at}: expected ${what}`);
  }
}

