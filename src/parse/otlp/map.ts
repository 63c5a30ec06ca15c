// ExportRequest → points, by InfluxData's otel2influx schemas (influxdb-observability, the mapping Telegraf's
// inputs.opentelemetry writes): "prometheus-v2" (measurement `prometheus`, one field per metric name) or
// "prometheus-v1" (measurement = metric name, fields gauge/counter/count/sum/…). Pure: the points go into a
// PointBuilder; every data point that cannot be mapped is counted with its reason and written nowhere.
import type { PointBuilder } from '../point-builder.js';
import { ByteRun } from '../out.js';
import { ExpBounds } from './exp-buckets.js';
import { BucketLines } from './bucket-lines.js';
import { BoundTags } from './bound-tags.js';
import { SeriesWriter, TagSpeller, spellMeasurement, type SortedTags } from './series.js';
import { SeriesCache, type CachedSeries } from './series-cache.js';
import { KeyTable } from './key-table.js';
import { cmpBytes, plain } from '../spell.js';
import { K_FIELD_KEY, MAX_I64, MIN_I64, isTimeKey } from '../grammar.js';
import {
  ARRAY_VALUE, CUMULATIVE, MAX_BUCKETS, type Attributes, type TextArena, type Exemplar, type ExportRequest, type ExpHistogramPoint, type HistogramPoint,
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

const START_FIELD = Buffer.from('start_time_unix_nano');
const NO_RECORDED_VALUE = 1;

/** A tag as UTF-8 ranges: key bytes kb[ks..ke), value bytes vb[vs..ve); vs ARRAY_VALUE or MAP_VALUE: a value no tag holds. */
type Tag = readonly [kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number];
type Tags = Tag[];
const TRACE_ID = Buffer.from('trace_id');
const LE_ONLY = Buffer.from('le=');
const SPAN_ID = Buffer.from('span_id');

/** Maps every data point of req into b. */
export function mapRequest(req: ExportRequest, schema: OtlpSchema, b: PointBuilder, limits: MapLimits): MapResult {
  const m = new Mapper(schema, b, limits, req.text);
  b.out.expectLines = expectedLines(req, schema, limits.maxPoints);
  try {
    for (const rm of req.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        // Resource attributes, then the scope's name, version and attributes (a later key wins, as in otel2influx).
        const attrs = m.tags(rm.resource);
        if (sm.scope.name) attrs.push(m.stringTag('otel.library.name', sm.scope.name));
        if (sm.scope.version) attrs.push(m.stringTag('otel.library.version', sm.scope.version));
        attrs.push(...m.tags(sm.scope.attributes));
        const base = m.dedupe(attrs);
        const sorted = base.why ? undefined : m.sortedTags(base.tags);
        for (const metric of sm.metrics) m.metric(metric, base, sorted);
      }
    }
  } catch (err) {
    if (!(err instanceof LimitReached)) throw err;
  }
  return { dataPoints: m.dataPoints, rejected: m.rejected, errors: m.errors, skipped: m.skipped, tooMany: m.tooMany };
}

class LimitReached extends Error {}

/**
 * About how many lines the request maps to (a size hint for the batch: histograms' bucket lines make a few bytes of
 * body many lines), at most maxPoints and one histogram's more (where the mapping stops).
 */
function expectedLines(req: ExportRequest, schema: OtlpSchema, maxPoints: number): number {
  let n = 0;
  for (const rm of req.resourceMetrics) for (const sm of rm.scopeMetrics) for (const metric of sm.metrics) {
    if (schema === 'prometheus-v1' || metric.kind === 'gauge' || metric.kind === 'sum' || metric.kind === 'empty') n += metric.points.length;
    else if (metric.kind === 'histogram') for (const p of metric.points) n += 2 + p.bucketCounts.length;
    else if (metric.kind === 'exponentialHistogram') for (const p of metric.points) n += 3 + p.positive.bucketCounts.length + p.negative.bucketCounts.length;
    else for (const p of metric.points) n += 1 + p.quantiles.length;
    if (n > maxPoints) return maxPoints + 2 * MAX_BUCKETS + 3;
  }
  return n;
}

class Mapper {
  dataPoints = 0;
  rejected = 0;
  skipped = 0;
  errors: string[] = [];
  tooMany: 'points' | 'bytes' | undefined;
  /** Why the current data point is refused ('' while it maps). */
  private why = '';
  /** The scope's tags (resource and scope attributes) and the data point's own, which win over them. */
  private base: Tags = [];
  private own: Tags = [];
  private ownKeys: KeyTable | undefined;
  /** The request's text (TextArena): below `split` the body, above it `more`. */
  private readonly body: Uint8Array;
  private readonly more: Buffer;
  private readonly split: number;
  /** UTF-8 of the strings written so far (names and attribute values repeat from point to point). */
  private readonly utf8 = new Map<string, Buffer>();
  /**
   * The series path (series.ts): the scope's tags spelled and sorted once, the metric's measurement spelled,
   * and whether the current data point's own attributes took it; else PointBuilder's general path.
   */
  private readonly speller = new TagSpeller();
  private readonly series = new SeriesWriter();
  private sorted: SortedTags | undefined;
  private spelledMeasurement: Buffer | undefined;
  private readonly measurements = new Map<string, Buffer | null>();
  private fast = false;
  /** `le=<bound>` and `quantile=<q>` tags kept per value (bound-tags.ts). */
  private readonly le = new BoundTags('le');
  private readonly quantile = new BoundTags('quantile');
  /** Exponential histograms' bounds, and bucket lines' beginnings on the series path, kept while they repeat. */
  private readonly expBounds = new ExpBounds();
  private readonly bucketLines = new BucketLines();
  private lastKey = '';
  private lastKeyBytes: Buffer = Buffer.alloc(0);
  /** lastKeyBytes when it is a plain field key (PointBuilder.plainFloatField), else undefined. */
  private lastKeyPlain: Buffer | undefined;
  /** lastKeyPlain is not `start_time_unix_nano` (a point of it is refused for the repeated key). */
  private lastKeyTail = false;
  /**
   * The bytes a number data point ends with, `,start_time_unix_nano=<start>i <time>\n`, as the last one wrote them,
   * and its start and time: the next of the same two takes them whole (PointBuilder.endWithTail).
   */
  private tail: ByteRun | undefined;
  private tailStart = 0n;
  private tailTime = 0n;
  /** Number data points' series keys by their attributes (series-cache.ts): this point's, or whether to keep it. */
  private readonly cache = new SeriesCache();
  private hit: CachedSeries | undefined;
  private keep = false;
  /** The last start_time_unix_nano and its int64 reading (a request's points mostly share it). */
  private lastStart = 0n;
  private lastStartSigned = 0n;

  constructor(private readonly schema: OtlpSchema, private readonly b: PointBuilder, private readonly limits: MapLimits, text: TextArena) {
    this.body = text.body;
    this.more = text.more;
    this.split = text.body.length;
  }

  /** Attributes as tags (ranges resolved to the body or `more`). */
  tags(attrs: Attributes): Tags {
    const out: Tags = [];
    for (let i = 0; i < attrs.length; i += 4) {
      const ks = attrs[i], vs = attrs[i + 2];
      const kb = ks < this.split ? this.body : this.more, ko = ks < this.split ? 0 : this.split;
      const vb = vs < this.split ? this.body : this.more, vo = vs < 0 || vs < this.split ? 0 : this.split;
      out.push([kb, ks - ko, attrs[i + 1] - ko, vb, vs < 0 ? vs : vs - vo, vs < 0 ? vs : attrs[i + 3] - vo]);
    }
    return out;
  }

  stringTag(k: string, v: string): Tag {
    const kb = this.bytes(k), vb = this.bytes(v);
    return [kb, 0, kb.length, vb, 0, vb.length];
  }

  /** The scope's tags spelled and sorted, or undefined when one needs the general path. */
  sortedTags(tags: Tags): SortedTags | undefined {
    const sp = this.speller.reset();
    for (const [kb, ks, ke, vb, vs, ve] of tags) sp.add(kb, ks, ke, vb, vs, ve);
    return sp.sorted();
  }

  metric(metric: Metric, base: { tags: Tags; why: string }, sorted?: SortedTags): void {
    this.base = base.tags;
    this.sorted = sorted;
    if (sorted) {
      // Spelled once per name: v2's measurement is always `prometheus`.
      const name = this.schema === 'prometheus-v2' ? 'prometheus' : metric.name;
      let m = this.measurements.get(name);
      if (m === undefined) this.measurements.set(name, (m = spellMeasurement(this.bytes(name)) ?? null));
      this.spelledMeasurement = m ?? undefined;
    } else this.spelledMeasurement = undefined;
    const numbers = metric.kind === 'gauge' || metric.kind === 'sum';
    for (let index = 0; index < metric.points.length; index++) {
      const p = metric.points[index];
      this.dataPoints++;
      const pos = this.b.out.pos;
      const count = this.b.out.count;
      this.why = '';
      this.fast = false;
      this.hit = undefined;
      this.keep = false;
      if (p.flags & NO_RECORDED_VALUE) {
        this.skipped++;
        continue;
      }
      if (p.timeUnixNano === 0n) this.why = 'the data point has no timestamp (time_unix_nano is 0)';
      else if (base.why) this.why = base.why;
      else if (numbers && (this.hit = this.cachedSeries(p.attributes, index)) !== undefined) this.fast = true;
      else if ((this.fast = this.fastOwn(p.attributes))) this.keep = numbers;
      else this.setOwn(p.attributes);
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
      this.checkLimits();
    }
  }

  /**
   * Stops the mapping once the lines written pass a limit. Called between data points and after each line of a
   * histogram's or summary's loop: one data point of 8,192 buckets under a 64 KiB attribute is ~535 MB of lines
   * from a 216-byte gzip body.
   */
  private checkLimits(): void {
    if (this.b.out.count > this.limits.maxPoints) this.stop('points');
    if (this.b.out.pos > this.limits.maxBytes) this.stop('bytes');
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

  /** Attributes as tags, a later key winning, with the reason a value no tag holds refuses the points. */
  dedupe(attrs: Tags): { tags: Tags; why: string; seen?: KeyTable } {
    const tags: Tags = [];
    let seen: KeyTable | undefined;
    for (let a = 0; a < attrs.length; a++) {
      const t = attrs[a];
      const kb = t[0], ks = t[1], ke = t[2];
      if (ke === ks) continue;
      if (t[4] < 0) return { tags, why: unmappable(t) };
      // Few attributes: a scan; many: a hash table (a request of many attributes costs linear time).
      if (seen === undefined && tags.length >= 16) seen = KeyTable.of(tags, tags.length, undefined, attrs.length);
      let at = -1;
      if (seen) at = seen.find(kb, ks, ke);
      else for (let i = 0; i < tags.length; i++) if (sameKey(tags[i], kb, ks, ke)) { at = i; break; }
      if (at >= 0) tags[at] = t;
      else {
        tags.push(t);
        seen?.add(tags.length - 1);
      }
    }
    return { tags, why: '', seen };
  }

  /** A number data point's series key as an earlier one of the same attributes had it (series-cache.ts). */
  private cachedSeries(attrs: Attributes, index: number): CachedSeries | undefined {
    if (this.spelledMeasurement === undefined || this.sorted === undefined) return undefined;
    return this.cache.find(this.sorted, this.spelledMeasurement, attrs, this.body, this.more, this.split, index);
  }

  /** The data point's attributes on the series path: true when they all took it. */
  private fastOwn(attrs: Attributes): boolean {
    if (this.spelledMeasurement === undefined) return false;
    const w = this.series;
    w.reset();
    const split = this.split, body = this.body, more = this.more;
    for (let i = 0; i < attrs.length; i += 4) {
      const ks = attrs[i], vs = attrs[i + 2];
      if (vs < 0) return false;
      const ok = ks < split
        ? (vs < split ? w.add(body, ks, attrs[i + 1], body, vs, attrs[i + 3]) : w.add(body, ks, attrs[i + 1], more, vs - split, attrs[i + 3] - split))
        : (vs < split ? w.add(more, ks - split, attrs[i + 1] - split, body, vs, attrs[i + 3]) : w.add(more, ks - split, attrs[i + 1] - split, more, vs - split, attrs[i + 3] - split));
      if (!ok) return false;
    }
    return true;
  }

  /** The data point's own attributes, for the general path. */
  private setOwn(attrs: Attributes): void {
    this.ownKeys = undefined;
    const d = this.dedupe(this.tags(attrs));
    if (d.why) this.why = d.why;
    this.own = d.tags;
    if (d.tags.length > 8) this.ownKeys = d.seen ?? KeyTable.of(d.tags);
  }

  private ownHas(t: Tag): boolean {
    if (this.ownKeys) return this.ownKeys.find(t[0], t[1], t[2]) >= 0;
    const own = this.own;
    for (let i = 0; i < own.length; i++) if (sameKey(own[i], t[0], t[1], t[2])) return true;
    return false;
  }

  private bytes(s: string): Buffer {
    let b = this.utf8.get(s);
    if (b === undefined) {
      b = Buffer.from(s, 'utf8');
      this.utf8.set(s, b);
    }
    return b;
  }

  /** A float field, its key's UTF-8 cached. */
  private float(key: string, v: number): void {
    const kb = this.bytes(key);
    this.b.floatFieldBytes(kb, 0, kb.length, v);
  }

  private tagOf(t: Tag): void {
    this.b.tagBytes(t[0], t[1], t[2], t[3], t[4], t[5]);
  }

  /**
   * Begins a point with the data point's tags, plus one more when `extra` is given (BoundTags: `le=<bound>` or
   * `quantile=<q>`, ASCII, its key `keyLen` bytes), which wins over an attribute of its key.
   */
  private begin(measurement: string, extra?: Buffer, keyLen = 0): PointBuilder {
    if (this.hit !== undefined && !extra && this.spelledMeasurement) {
      const key = this.hit.key;
      const out = this.b.beginSeries(key.length).seriesId(this.hit.id).out;
      out.data.set(key, out.pos);
      return this.b.seriesWritten(out.pos + key.length, this.spelledMeasurement.length);
    }
    if (this.fast && this.sorted && this.spelledMeasurement) {
      // The series path: `le` and `quantile` values (Go's 'f' spelling of a float) hold no byte to escape.
      const xl = extra ? extra.length : 0;
      const m = this.spelledMeasurement;
      const out = this.b.beginSeries(this.series.seriesRoom(m, this.sorted, xl)).out;
      const end = this.series.write(out.data, out.pos, m, this.sorted, extra, xl, keyLen);
      if (this.keep && !extra) this.b.seriesId(this.cache.store(out.data, out.pos, end));
      this.keep = false;
      return this.b.seriesWritten(end, m.length);
    }
    const mb = this.bytes(measurement);
    this.b.begin().measurementBytes(mb, 0, mb.length);
    for (const t of this.base) if (!(extra && sameKey(t, extra, 0, keyLen)) && !this.ownHas(t)) this.tagOf(t);
    for (const t of this.own) if (!(extra && sameKey(t, extra, 0, keyLen))) this.tagOf(t);
    if (extra) this.b.tagBytes(extra, 0, keyLen, extra, keyLen + 1, extra.length);
    return this.b;
  }

  /** The bytes before and after the extra tag's value in this data point's series keys (splitSeries()). */
  private splitBefore: Uint8Array = new Uint8Array(0);
  private splitAfter: Uint8Array = new Uint8Array(0);
  private splitScratch = Buffer.allocUnsafe(1024);

  /**
   * Merges the series key once with `extra` = `key=` (keyLen bytes of key) and keeps what comes before its value
   * and after it: beginSplit() then writes any value between them, the same bytes begin() would write.
   */
  private splitSeries(extra: Buffer, keyLen: number): void {
    const m = this.spelledMeasurement as Buffer, sorted = this.sorted as SortedTags;
    const room = this.series.seriesRoom(m, sorted, extra.length);
    if (room > this.splitScratch.length) this.splitScratch = Buffer.allocUnsafe(2 * room);
    const d = this.splitScratch;
    const end = this.series.write(d, 0, m, sorted, extra, extra.length, keyLen);
    const valueAt = this.series.extraAt + 1 + extra.length;
    this.splitBefore = Uint8Array.prototype.slice.call(d, 0, valueAt);
    this.splitAfter = Uint8Array.prototype.slice.call(d, valueAt, end);
  }

  /** Begins a point with splitSeries()'s key around tag[valueAt..) (a BoundTags tag). */
  private beginSplit(tag: Buffer, valueAt: number): PointBuilder {
    const before = this.splitBefore, after = this.splitAfter;
    const out = this.b.beginSeries(before.length + tag.length - valueAt + after.length).out;
    const d = out.data;
    let p = out.pos;
    if (before.length > 64) { d.set(before, p); p += before.length; } else for (let k = 0; k < before.length; k++) d[p++] = before[k];
    for (let k = valueAt; k < tag.length; k++) d[p++] = tag[k];
    if (after.length > 64) { d.set(after, p); p += after.length; } else for (let k = 0; k < after.length; k++) d[p++] = after[k];
    return this.b.seriesWritten(p, (this.spelledMeasurement as Buffer).length);
  }

  /**
   * Begins bucket j's line with its beginning (series key, space, field key and '='), kept (a copy) or written
   * (BucketLines.write), then the count c (finite).
   */
  private bucketLine(lines: BucketLines, j: number, x: number, c: number, exp: ExpBounds | undefined): void {
    const b = this.b;
    const head = lines.get(j, x);
    let at: number, end: number;
    if (head !== undefined) {
      const out = b.beginSeries(head.length).out;
      const d = out.data;
      at = out.pos;
      end = at + head.length;
      if (head.length > 64) d.set(head, at); else for (let k = 0; k < head.length; k++) d[at + k] = head[k];
    } else {
      const out = b.beginSeries(lines.room).out;
      at = out.pos;
      end = lines.write(out.data, at, j, x, exp === undefined ? undefined : exp.shortest(j));
    }
    b.seriesWritten(lines.seriesEnd(end), (this.spelledMeasurement as Buffer).length).fieldKeyWritten(end).floatValue(c);
  }

  private timeRunAt = -1n;
  private timeRunBytes: ByteRun | undefined;

  /** ` <t>\n` as a ByteRun (PointBuilder.endWithTail), kept while the time repeats. */
  private timeRun(t: bigint): ByteRun {
    if (t !== this.timeRunAt || this.timeRunBytes === undefined) {
      this.timeRunAt = t;
      this.timeRunBytes = new ByteRun(Buffer.from(` ${t}\n`, 'latin1'));
    }
    return this.timeRunBytes;
  }

  private end(p: { readonly timeUnixNano: bigint }): void {
    const why = this.b.end(p.timeUnixNano);
    if (why && !this.why) this.why = why;
  }

  private start(p: { readonly startTimeUnixNano: bigint }): void {
    const t = p.startTimeUnixNano;
    if (t === 0n) return;
    if (t !== this.lastStart) {
      this.lastStart = t;
      this.lastStartSigned = BigInt.asIntN(64, t);
    }
    this.b.plainIntField(START_FIELD, this.lastStartSigned);
  }

  private number(name: string, p: NumberPoint, v1Field: 'gauge' | 'counter'): void {
    if (p.value === undefined) {
      // The oneof is unset: otel2influx skips the data point.
      this.skipped++;
      return;
    }
    const b = this.begin(this.schema === 'prometheus-v2' ? 'prometheus' : name);
    const key = this.schema === 'prometheus-v2' ? name : v1Field;
    // The same metric's points come one after another: its key's UTF-8, and whether it is plain, kept at hand.
    if (key !== this.lastKey) {
      this.lastKey = key;
      const kb = (this.lastKeyBytes = this.bytes(key));
      this.lastKeyPlain = kb.length > 0 && !isTimeKey(kb, 0, kb.length) && plain(kb, 0, kb.length, K_FIELD_KEY) ? kb : undefined;
      this.lastKeyTail = this.lastKeyPlain !== undefined && !START_FIELD.equals(kb);
    }
    const v = p.value;
    const kp = this.lastKeyPlain;
    // A value the field refuses takes the general way, for its refusal's text.
    let plainValue = false;
    if (typeof v === 'bigint') {
      if (kp && v >= MIN_I64 && v <= MAX_I64) { b.plainIntField(kp, v); plainValue = true; }
      else b.intField(key, v);
    } else if (kp && Number.isFinite(v)) { b.plainFloatField(kp, v); plainValue = true; }
    else b.floatFieldBytes(this.lastKeyBytes, 0, this.lastKeyBytes.length, v);
    const t = p.startTimeUnixNano;
    const tailed = plainValue && this.lastKeyTail && t !== 0n;
    if (tailed && this.tail !== undefined && t === this.tailStart && p.timeUnixNano === this.tailTime) {
      const why = b.endWithTail(this.tail);
      if (why && !this.why) this.why = why;
    } else {
      const from = b.out.pos;
      this.start(p);
      this.end(p);
      if (tailed && !this.why) this.keepTail(from, t, p.timeUnixNano);
    }
    if (!this.why) this.exemplars(name, p.exemplars);
  }

  /** Keeps out.data[from..pos) as the tail of a point of this start and time (written by start() and end()). */
  private keepTail(from: number, start: bigint, time: bigint): void {
    const out = this.b.out;
    this.tail = new ByteRun(out.data.subarray(from, out.pos));
    this.tailStart = start;
    this.tailTime = time;
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
    const { bounds, counts } = this.expBounds.of(p);
    this.buckets(name, p, bounds, counts, this.expBounds);
    if (!this.why) this.exemplars(name, p.exemplars);
  }

  /**
   * A histogram's lines: count, sum, min, max and the cumulative buckets, by the schema. exp: the ExpBounds the
   * bounds come from (String() of each kept with its power).
   */
  private buckets(name: string, p: HistogramPoint | ExpHistogramPoint, bounds: readonly number[], counts: readonly number[], exp?: ExpBounds): void {
    if (this.schema === 'prometheus-v2') {
      this.begin('prometheus');
      this.float(`${name}_count`, p.count);
      if (p.sum !== undefined) this.float(`${name}_sum`, p.sum);
      if (p.min !== undefined) this.float(`${name}_min`, p.min);
      if (p.max !== undefined) this.float(`${name}_max`, p.max);
      this.start(p);
      this.end(p);
      const key = this.bytes(`${name}_bucket`);
      const kp = key.length > 0 && !isTimeKey(key, 0, key.length) && plain(key, 0, key.length, K_FIELD_KEY);
      // On the series path each bucket's key is the same bytes around its `le` value: merged once.
      const split = this.fast && this.sorted !== undefined && this.spelledMeasurement !== undefined && !this.why;
      if (split) this.splitSeries(LE_ONLY, 2);
      // Each line's beginning up to its count kept per bucket (bucket-lines.ts): the same bytes as below.
      const lines = split && kp ? this.bucketLines.start(this.splitBefore, this.splitAfter, key) : undefined;
      for (let j = 0; j < bounds.length && !this.why; j++) {
        const c = counts[j];
        if (lines !== undefined && Number.isFinite(c)) {
          this.bucketLine(lines, j, bounds[j], c, exp);
          // The count line took this time: in range, and no field key in ` <time>\n`.
          const why = this.b.endWithTail(this.timeRun(p.timeUnixNano));
          if (why && !this.why) this.why = why;
          if (!this.why) this.checkLimits();
          continue;
        }
        const le = this.le.at(j, bounds[j]);
        if (split) this.beginSplit(le, 3);
        else this.begin('prometheus', le, 2);
        if (kp && Number.isFinite(c)) this.b.plainFloatField(key, c);
        else this.b.floatFieldBytes(key, 0, key.length, c);
        this.end(p);
        if (!this.why) this.checkLimits();
      }
      return;
    }
    this.begin(name);
    this.float('count', p.count);
    if (p.sum !== undefined) this.float('sum', p.sum);
    if (p.min !== undefined) this.float('min', p.min);
    if (p.max !== undefined) this.float('max', p.max);
    for (let j = 0; j < bounds.length; j++) {
      const le = this.le.get(bounds[j]); // `le=<bound>`: the field key is the bound
      this.b.floatFieldBytes(le, 3, le.length, counts[j]);
    }
    this.start(p);
    this.end(p);
  }

  private summary(name: string, p: SummaryPoint): void {
    if (this.schema === 'prometheus-v2') {
      this.begin('prometheus');
      this.float(`${name}_count`, p.count);
      this.float(`${name}_sum`, p.sum);
      this.start(p);
      this.end(p);
      for (let j = 0; j < p.quantiles.length && !this.why; j++) {
        const [q, v] = p.quantiles[j];
        this.begin('prometheus', this.quantile.get(q), 8);
        this.float(name, v);
        this.end(p);
        if (!this.why) this.checkLimits();
      }
      return;
    }
    this.begin(name);
    this.float('count', p.count);
    this.float('sum', p.sum);
    for (const [q, v] of p.quantiles) {
      const qt = this.quantile.get(q); // `quantile=<q>`: the field key is q
      this.b.floatFieldBytes(qt, 9, qt.length, v);
    }
    this.start(p);
    this.end(p);
  }

  /**
   * Exemplars with a trace and span id, as otel2influx writes them in both schemas: measurement
   * `<metric>_exemplar`, tags = the exemplar's filtered attributes plus trace_id and span_id, field gauge.
   * One without a timestamp is dropped (otel2influx would write it at the epoch), and so is one that cannot be
   * written (a repeated key, a value no tag holds).
   */
  private exemplars(name: string, list: readonly Exemplar[]): void {
    for (const e of list) {
      if (e.value === undefined || !e.traceId || !e.spanId || e.timeUnixNano === 0n) continue;
      // An exemplar that cannot be written is dropped alone: it is not a data point.
      const tags = this.tags(e.attributes);
      if (tags.some((t) => t[4] < 0)) continue;
      const b = this.b.begin().measurement(`${name}_exemplar`);
      for (const t of tags) if (!sameKey(t, TRACE_ID, 0, TRACE_ID.length) && !sameKey(t, SPAN_ID, 0, SPAN_ID.length)) this.tagOf(t);
      b.tag('trace_id', e.traceId).tag('span_id', e.spanId);
      if (typeof e.value === 'bigint') b.intField('gauge', e.value);
      else this.float('gauge', e.value);
      b.end(e.timeUnixNano);
    }
  }
}

function unmappable(t: Tag): string {
  const key = Buffer.from(t[0].buffer, t[0].byteOffset + t[1], t[2] - t[1]).toString('utf8');
  return `attribute ${JSON.stringify(key)} is ${t[4] === ARRAY_VALUE ? 'an array' : 'a map'}: no tag can hold it (send it as a string)`;
}

function sameKey(t: Tag, b: Uint8Array, s: number, e: number): boolean {
  return t[2] - t[1] === e - s && cmpBytes(t[0], t[1], t[2], b, s, e) === 0;
}
