// ExportRequest → points, by InfluxData's otel2influx schemas (influxdb-observability, the mapping Telegraf's
// inputs.opentelemetry writes): "prometheus-v2" (measurement `prometheus`, one field per metric name) or
// "prometheus-v1" (measurement = metric name, fields gauge/counter/count/sum/…). Pure: the points go into a
// PointBuilder; every data point that cannot be mapped is counted with its reason and written nowhere.
import type { PointBuilder } from '../parse/point-builder.js';
import { cumulativeBuckets } from './exp-buckets.js';
import { formatFloatF } from './float-text.js';
import {
  CUMULATIVE, type AttrValue, type Attributes, type Exemplar, type ExportRequest, type ExpHistogramPoint, type HistogramPoint,
  type Metric, type NumberPoint, type SummaryPoint,
} from './model.js';

export type OtlpSchema = 'prometheus-v2' | 'prometheus-v1';
export const OTLP_SCHEMAS: readonly OtlpSchema[] = ['prometheus-v2', 'prometheus-v1'];

export interface MapLimits {
  /** Most points (lines) the request may map to; past it the mapping stops with `tooMany`. */
  readonly maxPoints: number;
  /** Most bytes of canonical lines the request may map to; past it the mapping stops with `tooMany`. */
  readonly maxBytes: number;
}

export interface MapResult {
  /** Data points in the request. */
  readonly dataPoints: number;
  /** Data points refused (none of their lines written). */
  readonly rejected: number;
  /** The first few refusals, each naming the metric and the reason. */
  readonly errors: string[];
  /** Data points dropped by the schema without being refused: no value, or flagged "no recorded value". */
  readonly skipped: number;
  /** The mapping stopped at a limit: the request must be refused (413), the batch is partial. */
  readonly tooMany: 'points' | 'bytes' | undefined;
}

/** At most this many refusals are quoted in partial_success.error_message. */
export const MAX_QUOTED = 5;

const START_FIELD = 'start_time_unix_nano';
const NO_RECORDED_VALUE = 1;

type Tags = Array<readonly [string, string]>;

/** Maps every data point of req into b. */
export function mapRequest(req: ExportRequest, schema: OtlpSchema, b: PointBuilder, limits: MapLimits): MapResult {
  const m = new Mapper(schema, b, limits);
  try {
    for (const rm of req.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        // Resource attributes, then the scope's name, version and attributes (a later key wins, as in otel2influx).
        const base: Attributes = [...rm.resource];
        if (sm.scope.name) base.push(['otel.library.name', sm.scope.name]);
        if (sm.scope.version) base.push(['otel.library.version', sm.scope.version]);
        base.push(...sm.scope.attributes);
        for (const metric of sm.metrics) m.metric(metric, base);
      }
    }
  } catch (err) {
    if (!(err instanceof LimitReached)) throw err;
  }
  return { dataPoints: m.dataPoints, rejected: m.rejected, errors: m.errors, skipped: m.skipped, tooMany: m.tooMany };
}

class LimitReached extends Error {}

class Mapper {
  dataPoints = 0;
  rejected = 0;
  skipped = 0;
  errors: string[] = [];
  tooMany: 'points' | 'bytes' | undefined;
  /** Why the current data point is refused ('' while it maps). */
  private why = '';
  private tags: Tags = [];

  constructor(private readonly schema: OtlpSchema, private readonly b: PointBuilder, private readonly limits: MapLimits) {}

  metric(metric: Metric, base: Attributes): void {
    for (const p of metric.points) {
      this.dataPoints++;
      const pos = this.b.out.pos;
      const count = this.b.out.count;
      this.why = '';
      if (p.flags & NO_RECORDED_VALUE) {
        this.skipped++;
        continue;
      }
      if (p.timeUnixNano === 0n) this.why = 'the data point has no timestamp (time_unix_nano is 0)';
      else this.tags = this.merge(base, p.attributes);
      if (!this.why) {
        switch (metric.kind) {
          case 'gauge': this.number(metric.name, p as NumberPoint, 'gauge'); break;
          case 'sum': this.number(metric.name, p as NumberPoint, metric.monotonic && metric.temporality === CUMULATIVE ? 'counter' : 'gauge'); break;
          case 'histogram': this.histogram(metric.name, p as HistogramPoint); break;
          case 'exponentialHistogram': this.expHistogram(metric.name, p as ExpHistogramPoint); break;
          case 'summary': this.summary(metric.name, p as SummaryPoint); break;
          case 'empty': break;
        }
      }
      if (this.why) {
        // None of the data point's lines stay: the bucket lines of a refused histogram would mislead.
        this.rollback(pos, count);
        this.rejected++;
        if (this.errors.length < MAX_QUOTED) this.errors.push(`metric ${JSON.stringify(metric.name)}: ${this.why}`);
      }
      if (this.b.out.count > this.limits.maxPoints) this.stop('points');
      if (this.b.out.pos > this.limits.maxBytes) this.stop('bytes');
    }
  }

  private stop(what: 'points' | 'bytes'): never {
    this.tooMany = what;
    throw new LimitReached();
  }

  private rollback(pos: number, count: number): void {
    const out = this.b.out;
    out.pos = pos;
    out.count = count;
    out.starts[count] = pos;
  }

  /** Resource + scope + point attributes, a later key winning; refuses the point for a value no tag holds. */
  private merge(base: Attributes, own: Attributes): Tags {
    const all = own.length === 0 ? base : base.concat(own);
    const tags: Tags = [];
    let seen: Map<string, number> | undefined;
    for (const [k, v] of all) {
      if (k === '') continue;
      if (typeof v !== 'string') {
        this.why = unmappable(k, v);
        return tags;
      }
      // Few attributes: a scan; many: a map (a request of many attributes costs linear time).
      if (seen === undefined && tags.length >= 16) seen = new Map(tags.map(([key], i) => [key, i]));
      const at = seen ? seen.get(k) ?? -1 : tags.findIndex(([key]) => key === k);
      if (at >= 0) tags[at] = [k, v];
      else {
        seen?.set(k, tags.length);
        tags.push([k, v]);
      }
    }
    return tags;
  }

  /** Begins a point with the data point's tags (plus one more, such as `le`). */
  private begin(measurement: string, extra?: readonly [string, string]): PointBuilder {
    const b = this.b.begin().measurement(measurement);
    for (const [k, v] of this.tags) if (extra === undefined || k !== extra[0]) b.tag(k, v);
    if (extra) b.tag(extra[0], extra[1]);
    return b;
  }

  private end(p: { readonly timeUnixNano: bigint }): void {
    const why = this.b.end(p.timeUnixNano);
    if (why && !this.why) this.why = why;
  }

  private start(p: { readonly startTimeUnixNano: bigint }): void {
    if (p.startTimeUnixNano !== 0n) this.b.intField(START_FIELD, BigInt.asIntN(64, p.startTimeUnixNano));
  }

  private number(name: string, p: NumberPoint, v1Field: 'gauge' | 'counter'): void {
    if (p.value === undefined) {
      // The oneof is unset: otel2influx skips the data point.
      this.skipped++;
      return;
    }
    const b = this.begin(this.schema === 'prometheus-v2' ? 'prometheus' : name);
    const key = this.schema === 'prometheus-v2' ? name : v1Field;
    if (typeof p.value === 'bigint') b.intField(key, p.value);
    else b.floatField(key, p.value);
    this.start(p);
    this.end(p);
    if (!this.why) this.exemplars(name, p.exemplars);
  }

  private histogram(name: string, p: HistogramPoint): void {
    const n = p.bucketCounts.length;
    const nb = p.explicitBounds.length;
    if (n > 0 && n !== nb && n !== nb + 1) {
      this.why = `${n} bucket counts for ${nb} explicit bounds (there must be one more count than bounds)`;
      return;
    }
    const bounds: number[] = [];
    const counts: number[] = [];
    let total = 0;
    for (let j = 0; j < n; j++) {
      total += p.bucketCounts[j];
      bounds.push(j < nb ? p.explicitBounds[j] : Infinity);
      counts.push(total);
    }
    this.buckets(name, p, bounds, counts);
    if (!this.why) this.exemplars(name, p.exemplars);
  }

  private expHistogram(name: string, p: ExpHistogramPoint): void {
    const { bounds, counts } = cumulativeBuckets(p);
    bounds.push(Infinity);
    counts.push(p.count);
    this.buckets(name, p, bounds, counts);
    if (!this.why) this.exemplars(name, p.exemplars);
  }

  /** A histogram's lines: count, sum, min, max and the cumulative buckets, by the schema. */
  private buckets(name: string, p: HistogramPoint | ExpHistogramPoint, bounds: number[], counts: number[]): void {
    if (this.schema === 'prometheus-v2') {
      const b = this.begin('prometheus');
      b.floatField(`${name}_count`, p.count);
      if (p.sum !== undefined) b.floatField(`${name}_sum`, p.sum);
      if (p.min !== undefined) b.floatField(`${name}_min`, p.min);
      if (p.max !== undefined) b.floatField(`${name}_max`, p.max);
      this.start(p);
      this.end(p);
      for (let j = 0; j < bounds.length && !this.why; j++) {
        this.begin('prometheus', ['le', formatFloatF(bounds[j])]).floatField(`${name}_bucket`, counts[j]);
        this.end(p);
      }
      return;
    }
    const b = this.begin(name);
    b.floatField('count', p.count);
    if (p.sum !== undefined) b.floatField('sum', p.sum);
    if (p.min !== undefined) b.floatField('min', p.min);
    if (p.max !== undefined) b.floatField('max', p.max);
    for (let j = 0; j < bounds.length; j++) b.floatField(formatFloatF(bounds[j]), counts[j]);
    this.start(p);
    this.end(p);
  }

  private summary(name: string, p: SummaryPoint): void {
    if (this.schema === 'prometheus-v2') {
      const b = this.begin('prometheus');
      b.floatField(`${name}_count`, p.count);
      b.floatField(`${name}_sum`, p.sum);
      this.start(p);
      this.end(p);
      for (let j = 0; j < p.quantiles.length && !this.why; j++) {
        const [q, v] = p.quantiles[j];
        this.begin('prometheus', ['quantile', formatFloatF(q)]).floatField(name, v);
        this.end(p);
      }
      return;
    }
    const b = this.begin(name);
    b.floatField('count', p.count);
    b.floatField('sum', p.sum);
    for (const [q, v] of p.quantiles) b.floatField(formatFloatF(q), v);
    this.start(p);
    this.end(p);
  }

  /**
   * Exemplars with a trace and span id, as otel2influx writes them in both schemas: measurement
   * `<metric>_exemplar`, tags = the exemplar's filtered attributes plus trace_id and span_id, field gauge.
   * One without a timestamp is dropped (otel2influx would write it at the epoch), and so is one that cannot be
   * written (a repeated key, a value no tag holds).
   */
  private exemplars(name: string, list: Exemplar[]): void {
    for (const e of list) {
      if (e.value === undefined || !e.traceId || !e.spanId || e.timeUnixNano === 0n) continue;
      // An exemplar that cannot be written is dropped alone: it is not a data point.
      if (e.attributes.some(([, v]) => typeof v !== 'string')) continue;
      const b = this.b.begin().measurement(`${name}_exemplar`);
      for (const [k, v] of e.attributes) if (k !== 'trace_id' && k !== 'span_id') b.tag(k, v as string);
      b.tag('trace_id', e.traceId).tag('span_id', e.spanId);
      if (typeof e.value === 'bigint') b.intField('gauge', e.value);
      else b.floatField('gauge', e.value);
      b.end(e.timeUnixNano);
    }
  }
}

function unmappable(key: string, v: Exclude<AttrValue, string>): string {
  return `attribute ${JSON.stringify(key)} is ${v.unmappable === 'array' ? 'an array' : 'a map'}: no tag can hold it (send it as a string)`;
}
