// The OTLP metrics request as kinflux reads it (opentelemetry-proto v1.x, metrics.proto and common.proto):
// only what the otel2influx schemas use. The JSON and the protobuf decoders both produce this shape.

/**
 * Attributes in input order (a later key wins, as in pcommon maps), as UTF-8 byte ranges of the request's `text`
 * (TextArena): four numbers per attribute, key start and end, value start and end. A value no tag can hold (an
 * OTLP array or map: the point carrying it is refused) starts at ARRAY_VALUE or MAP_VALUE. Ranges, not strings: a
 * request's thousands of attributes cost no string and no object each.
 */
export type Attributes = number[];
export const ARRAY_VALUE = -1;
export const MAP_VALUE = -2;

/**
 * The attributes' text: offsets below body.length are bytes of the request body (protobuf strings, read where they
 * are), the others bytes of `more` (values spelled by the decoder: integers, booleans, doubles, base64; every
 * string of a JSON request), at offset - body.length.
 */
export class TextArena {
  more: Buffer;
  private used = 0;

  constructor(readonly body: Uint8Array, size = 1024) {
    this.more = Buffer.allocUnsafe(size);
  }

  /** Where the next text starts (an offset as the ranges use). */
  get end(): number {
    return this.body.length + this.used;
  }

  /** Appends s as UTF-8 (as pcommon spells it; a lone surrogate becomes U+FFFD). */
  put(s: string): void {
    this.room(3 * s.length);
    // Short ASCII (most names and values) by a loop: cheaper than a native write.
    if (s.length <= 64) {
      const d = this.more;
      let p = this.used;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        d[p++] = c;
      }
      if (i === s.length) { this.used = p; return; }
    }
    this.used += this.more.write(s, this.used, 'utf8');
  }

  /** Appends a safe integer as String(v) spells it, digit by digit (no string per attribute). */
  putInt(v: number): void {
    this.room(17); // -9007199254740991
    const d = this.more;
    let p = this.used;
    if (v < 0) { d[p++] = 45; v = -v; }
    let n = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
    const end = p + n;
    for (let k = end - 1; k >= p; k--) { const q = Math.floor(v / 10); d[k] = 48 + v - 10 * q; v = q; }
    this.used = end;
  }

  /** Appends b[s..e) as base64 (an OTLP bytes value as pcommon's AsString spells it). */
  putBase64(b: Uint8Array, s: number, e: number): void {
    this.room(4 * Math.ceil((e - s) / 3));
    this.used += this.more.write(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('base64'), this.used, 'latin1');
  }

  private room(n: number): void {
    if (this.used + n <= this.more.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.more.length, this.used + n));
    this.more.copy(next, 0, 0, this.used);
    this.more = next;
  }
}

/** A number value: double, int64 (bigint), or absent (the oneof unset: the point carries nothing). */
export type NumberValue = number | bigint | undefined;

interface BasePoint {
  readonly attributes: Attributes;
  /** Nanoseconds since the epoch; 0n when absent. */
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  /** DataPointFlags: bit 0 is FLAG_NO_RECORDED_VALUE (a staleness marker). */
  readonly flags: number;
}

export interface Exemplar {
  readonly attributes: Attributes;
  readonly timeUnixNano: bigint;
  readonly value: NumberValue;
  /** Lower-case hex, '' when absent. */
  readonly traceId: string;
  readonly spanId: string;
}

/** The exemplars of the many data points that have none (one frozen list, not one each). */
export const NO_EXEMPLARS: readonly Exemplar[] = Object.freeze([]);

export interface NumberPoint extends BasePoint {
  readonly value: NumberValue;
  readonly exemplars: readonly Exemplar[];
}

export interface HistogramPoint extends BasePoint {
  readonly count: number;
  readonly sum: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly bucketCounts: number[];
  readonly explicitBounds: number[];
  readonly exemplars: readonly Exemplar[];
}

export interface Buckets {
  readonly offset: number;
  /** A Float64Array for a packed protobuf run (the same values). */
  readonly bucketCounts: readonly number[] | Float64Array;
}

export interface ExpHistogramPoint extends BasePoint {
  readonly count: number;
  readonly sum: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: Buckets;
  readonly negative: Buckets;
  readonly exemplars: readonly Exemplar[];
}

export interface SummaryPoint extends BasePoint {
  readonly count: number;
  readonly sum: number;
  /** [quantile, value] pairs. */
  readonly quantiles: Array<readonly [number, number]>;
}

/** AggregationTemporality: 2 is CUMULATIVE. */
export const CUMULATIVE = 2;

export type Metric =
  | { readonly name: string; readonly kind: 'gauge'; readonly points: NumberPoint[] }
  | { readonly name: string; readonly kind: 'sum'; readonly monotonic: boolean; readonly temporality: number; readonly points: NumberPoint[] }
  | { readonly name: string; readonly kind: 'histogram'; readonly points: HistogramPoint[] }
  | { readonly name: string; readonly kind: 'exponentialHistogram'; readonly points: ExpHistogramPoint[] }
  | { readonly name: string; readonly kind: 'summary'; readonly points: SummaryPoint[] }
  | { readonly name: string; readonly kind: 'empty'; readonly points: readonly never[] };

export interface Scope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
}

export interface ScopeMetrics {
  readonly scope: Scope;
  readonly metrics: Metric[];
}

export interface ResourceMetrics {
  readonly resource: Attributes;
  readonly scopeMetrics: ScopeMetrics[];
}

export interface ExportRequest {
  readonly resourceMetrics: ResourceMetrics[];
  /** What the attributes' ranges point into. */
  readonly text: TextArena;
}

/** Bounds a request must keep (400 beyond): what an attacker could otherwise multiply. */
export interface DecodeLimits {
  /** Most data points in one request (each histogram point counts once; its bucket lines are bounded by maxPoints in the mapper). */
  readonly maxDataPoints: number;
}

/** A request that is not an ExportMetricsServiceRequest: 400, never retried. */
export class OtlpDecodeError extends Error {
  constructor(message: string, readonly status: 400 | 413 = 400) {
    super(message);
  }
}

/** Most attributes in one list (resource, scope, point, exemplar); a longer list refuses the request. */
export const MAX_ATTRIBUTES = 1024;
/** Most buckets in one histogram data point (explicit bounds, or one side of an exponential histogram). */
export const MAX_BUCKETS = 4096;
