// The OTLP metrics request as kinflux reads it (opentelemetry-proto v1.x, metrics.proto and common.proto):
// only what the otel2influx schemas use. The JSON and the protobuf decoders both produce this shape.

/** An attribute value that no tag can hold (OTLP arrays and maps): the point carrying it is refused. */
export interface Unmappable {
  readonly unmappable: 'array' | 'map';
}
/** A tag value (AnyValue as pcommon's AsString spells it) or a value no tag can hold. */
export type AttrValue = string | Unmappable;
/** Key/value pairs in input order (a later key wins, as in pcommon maps). */
export type Attributes = Array<readonly [string, AttrValue]>;

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

export interface NumberPoint extends BasePoint {
  readonly value: NumberValue;
  readonly exemplars: Exemplar[];
}

export interface HistogramPoint extends BasePoint {
  readonly count: number;
  readonly sum: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly bucketCounts: number[];
  readonly explicitBounds: number[];
  readonly exemplars: Exemplar[];
}

export interface Buckets {
  readonly offset: number;
  readonly bucketCounts: number[];
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
  readonly exemplars: Exemplar[];
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
