// Prometheus remote_write requests (1.0 `prometheus.WriteRequest`, 2.0 `io.prometheus.write.v2.Request`)
// to points, by Telegraf's `prometheusremotewrite` mapping (plugins/parsers/prometheusremotewrite):
// - metric_version 2 (default): measurement `prometheus_remote_write`, field = the metric name, tags = the other labels;
// - metric_version 1: measurement = the metric name, field `value`;
// - NaN samples are skipped (stale markers among them: counted apart); a timestamp of 0 or less takes the
//   previous one of the series, or the receive time; a series without `__name__` is refused;
// - native histograms: v2 writes `<name>_sum`, `<name>_count` and one point per bucket (cumulative count,
//   tag `<name>_le`); v1 one point with count, sum, schema, zero_*, counter_reset_hint, cumulative counts
//   per upper bound, spans and buckets as fields.
// Exemplars and metadata are counted and dropped. Labels are read as byte ranges of the request and copied
// into the lines (PointBuilder): no string per label.
import { ProtoReader, ProtobufError, WIRE_I64, WIRE_LEN, WIRE_VARINT, isUtf8 } from '../../decode/protobuf.js';
import { PointBuilder } from '../point-builder.js';
import { BatchWriter } from '../out.js';
import type { PointBatch } from '../types.js';
import { goFormatG } from '../go-float.js';
import type { SeriesKeyCache } from './series-keys.js';
import { F64List } from './f64-list.js';
import { Byte } from '../grammar.js';

export type MetricVersion = 1 | 2;

export interface RemoteWriteOptions {
  readonly metricVersion: MetricVersion;
  /** Receive time in ns: the timestamp of samples without one (Telegraf: time.Now()). */
  readonly receivedAtNs: bigint;
  /** Most points (samples and histogram points) per request; past it the decode stops with tooManyPoints. */
  readonly maxPoints: number;
  /** Most bytes of line protocol the request may expand to; past it the decode stops with tooLarge. */
  readonly maxOutputBytes: number;
  /** Series keys of earlier requests (1.0): a series met before is copied, not read and spelled again. */
  readonly seriesKeys?: SeriesKeyCache;
}

/** A series (or one of its samples) that gave no point, in the terms of a remote_write 400 body. */
export interface SeriesError {
  /** 0-based index of the series in the request. */
  readonly series: number;
  /** The series' labels, as `{a="b",…}` (cut at 256 bytes). */
  readonly labels: string;
  readonly reason: string;
}

export interface RemoteWriteResult {
  readonly points: PointBatch;
  /** Samples and histograms written as points (the 2.0 written-count headers). */
  readonly samples: number;
  readonly histograms: number;
  /** Dropped as Telegraf drops them: stale markers, other NaN samples; exemplars and metadata entries. */
  readonly staleMarkers: number;
  readonly nanSamples: number;
  readonly exemplars: number;
  readonly metadata: number;
  /** The first errors (MAX_ERRORS) and how many samples or series were refused in all. */
  readonly errors: SeriesError[];
  readonly refused: number;
  /** The request would expand past maxPoints / maxOutputBytes (413). */
  readonly tooManyPoints: boolean;
  readonly tooLarge: boolean;
}

export const MAX_ERRORS = 10;
/** Most bytes of output allocated before decoding (more is grown into as points come): a batch as Prometheus sends
 * it needs far less, and a hostile body must not reserve many MiB it never fills. */
const PRESIZE_CAP = 4 << 20;
/** Most labels in one series: more is refused (Prometheus' own default limit is none; real series have < 100). */
export const MAX_LABELS = 1024;
/** The bits of Prometheus' stale marker NaN (value.StaleNaN). */
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;
const NAME = Buffer.from('__name__');
const V2_MEASUREMENT = Buffer.from('prometheus_remote_write');

function isName(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 8; i++) if (b[at + i] !== NAME[i]) return false;
  return true;
}

/** Thrown for a request that is not a valid message of the schema (400, nothing kept). */
export class RemoteWriteError extends Error {
  override name = 'RemoteWriteError';
}

/** Per-request scratch, reused across the series of one request. */
class Scratch {
  /** Label i: name [ls[4i], ls[4i+1]), value [ls[4i+2], ls[4i+3]) in buf. */
  ls = new Uint32Array(64);
  n = 0;
  nameAt = -1;
  /** Histogram bucket counts and bounds (reused). */
  counts = new Float64Array(256);
  bounds = new Float64Array(256);
  /** A bucket bound's text (ASCII). */
  text = new Uint8Array(64);
  /** Bucket k's last bound and its text, for the first LE_MEMO buckets: a request's histograms mostly share their bounds. */
  leBound = new Float64Array(LE_MEMO);
  leText: Array<Uint8Array | undefined> = [];
}

/** Buckets whose bound text is kept per index (bounded: a few hundred KiB at most). */
const LE_MEMO = 4096;

/** Go's %g of bucket k's bound x (metric_version 2's `_le` tag), kept per index while it repeats. */
function leText(k: number, x: number, s: Scratch): Uint8Array {
  if (k >= LE_MEMO) return s.text.subarray(0, ascii(goFormatG(x), s));
  const kept = s.leText[k];
  if (kept !== undefined && Object.is(s.leBound[k], x)) return kept;
  const t = Buffer.from(goFormatG(x), 'latin1');
  s.leBound[k] = x;
  s.leText[k] = t;
  return t;
}

/** The ASCII string t into s.text; its length. */
function ascii(t: string, s: Scratch): number {
  if (t.length > s.text.length) s.text = new Uint8Array(2 * t.length);
  const d = s.text;
  for (let i = 0; i < t.length; i++) d[i] = t.charCodeAt(i);
  return t.length;
}

class Decoder {
  readonly b: PointBuilder;
  samples = 0;
  histograms = 0;
  stale = 0;
  nan = 0;
  exemplars = 0;
  metadata = 0;
  errors: SeriesError[] = [];
  refused = 0;
  tooManyPoints = false;
  tooLarge = false;
  readonly s = new Scratch();
  /** The current series' timestamp state (Telegraf's `t`): 0 = none yet, use the receive time. */
  lastMs = 0;
  series = 0;
  /** The builder's kept series is metric_version 2's measurement alone. */
  measurementKept = false;
  /** The current series' labels are buf[labelsAt, labelsEnd) when they are all there, before its other fields. */
  labelsAt = 0;
  labelsEnd = 0;
  /** The current series' slot in o.seriesKeys (-1: none); its labels are then read only when needed. */
  hit = -1;
  labelsLoaded = true;
  /** The current series is kept in o.seriesKeys after its first point (its labels hash: keepHash). */
  keep = false;
  keepHash = 0;
  /** This request's lookups, and how many of them found a series or kept one: a cache that does not pay is not asked. */
  lookups = 0;
  useful = 0;
  /** Series this request repeats (or whose labels are too long to keep). */
  repeats = 0;
  /** What readSeries() found: samples and histograms, where the first is, where the last label ends, where the first other field starts (-1: none). */
  nSamples = 0;
  nHistograms = 0;
  dataAt = 0;
  lastLabelEnd = 0;
  other = -1;
  private lr: ProtoReader | undefined;
  private li: ProtoReader | undefined;

  /** `linesPerByte`: about how many bytes of lines a byte of this schema maps to (2.0's symbol refs map to more). */
  constructor(readonly buf: Uint8Array, readonly o: RemoteWriteOptions, linesPerByte: number) {
    // Sized for what senders send (1.0: a line is about as long as its series in the protobuf, ≥ 64 bytes) so the
    // output is not grown and copied; capped (untouched pages cost nothing) and grown past that.
    const n = buf.length;
    const bytes = Math.min(Math.ceil(n * linesPerByte) + 1024, PRESIZE_CAP);
    this.b = new PointBuilder(new BatchWriter(bytes, Math.min((bytes >> 6) + 16, PRESIZE_CAP >> 6)));
  }

  stopped(): boolean {
    return this.tooManyPoints || this.tooLarge;
  }

  refuse(reason: string): void {
    this.refused++;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ series: this.series, labels: this.labelText(), reason });
  }

  labelText(): string {
    if (!this.labelsLoaded) this.loadLabels();
    const { ls, n } = this.s;
    let out = '{';
    for (let j = 0; j < n && out.length < 256; j++) {
      out += `${j > 0 ? ',' : ''}${Buffer.from(this.buf.buffer, this.buf.byteOffset + ls[4 * j], ls[4 * j + 1] - ls[4 * j]).toString()}=${JSON.stringify(Buffer.from(this.buf.buffer, this.buf.byteOffset + ls[4 * j + 2], ls[4 * j + 3] - ls[4 * j + 2]).toString())}`;
    }
    return out.length > 256 ? `${out.slice(0, 256)}...` : `${out}}`;
  }

  /** Reads the labels of a series met before (all in buf[labelsAt, labelsEnd), known valid), for a slow-path point or an error text. */
  loadLabels(): void {
    this.labelsLoaded = true;
    readSeries(this.buf, this.lr ??= new ProtoReader(this.buf), this.li ??= new ProtoReader(this.buf), this, this.labelsAt, this.labelsEnd);
  }

  /** Adds label [ns,ne)=[vs,ve) of the current series (`utf8`: both known to be UTF-8); '' or why the series is refused. */
  label(ns: number, ne: number, vs: number, ve: number, utf8: boolean): string {
    const s = this.s;
    if (s.n >= MAX_LABELS) return `more than ${MAX_LABELS} labels`;
    if (4 * s.n + 4 > s.ls.length) { const g = new Uint32Array(s.ls.length * 2); g.set(s.ls); s.ls = g; }
    const b = this.buf;
    if (!utf8 && (!isUtf8(b, ns, ne) || !isUtf8(b, vs, ve))) return 'label name or value is not valid UTF-8';
    if (ne - ns === 8 && isName(b, ns)) s.nameAt = s.n;
    const ls = s.ls;
    const k = 4 * s.n;
    ls[k] = ns; ls[k + 1] = ne; ls[k + 2] = vs; ls[k + 3] = ve;
    s.n++;
    return '';
  }

  /** Begins a point of the current series: measurement and tags. */
  private head(): void {
    const { b, s, buf } = this;
    const ls = s.ls;
    const nameAt = s.nameAt;
    if (this.o.metricVersion === 2) {
      // The one measurement of metric_version 2, checked once and kept (a histogram keeps its series instead).
      if (!this.measurementKept) { b.begin().measurementBytes(V2_MEASUREMENT, 0, V2_MEASUREMENT.length).keepSeries(); this.measurementKept = true; }
      b.beginKept();
    } else b.begin().measurementBytes(buf, ls[4 * nameAt + 2], ls[4 * nameAt + 3]);
    for (let j = 0; j < s.n; j++) if (j !== nameAt) b.tagBytes(buf, ls[4 * j], ls[4 * j + 1], buf, ls[4 * j + 2], ls[4 * j + 3]);
  }

  /** Ends a point at ms (> 0) or the series' current time; counts it or records its refusal. */
  private finish(ms: number): boolean {
    if (ms > 0) this.lastMs = ms;
    const why = this.lastMs > 0 ? this.b.endMs(this.lastMs) : this.b.end(this.o.receivedAtNs);
    if (why !== '') { this.refuse(why); return false; }
    if (this.b.count > this.o.maxPoints) this.tooManyPoints = true;
    if (this.b.out.pos > this.o.maxOutputBytes) this.tooLarge = true;
    return true;
  }

  /** Checks the series' labels before its points: '' or why it is refused. */
  seriesReady(): string {
    const s = this.s;
    if (s.nameAt < 0) return 'metric name "__name__" not found in the labels';
    const ls = s.ls;
    if (ls[4 * s.nameAt + 3] === ls[4 * s.nameAt + 2]) return 'metric name "__name__" is empty';
    return '';
  }

  sample(value: number, bitsHi: number, bitsLo: number, ms: number): void {
    if (value !== value) {
      if (bitsHi === STALE_HI && bitsLo === STALE_LO) this.stale++;
      else this.nan++;
      // Telegraf skips the sample, but its timestamp still moves the series' time on.
      if (ms > 0) this.lastMs = ms;
      return;
    }
    if (this.hit >= 0 && Number.isFinite(value)) { this.cachedSample(value, ms); return; }
    if (!this.labelsLoaded) this.loadLabels();
    this.head();
    const s = this.s;
    const ls = s.ls;
    if (this.o.metricVersion === 2) this.b.floatFieldBytes(this.buf, ls[4 * s.nameAt + 2], ls[4 * s.nameAt + 3], value);
    else this.b.floatField('value', value);
    if (this.finish(ms)) {
      this.samples++;
      if (this.keep) this.remember();
    }
  }

  /** A sample of a series met before: its series key copied from the cache, then the same field and timestamp. */
  private cachedSample(value: number, ms: number): void {
    const c = this.o.seriesKeys as SeriesKeyCache;
    const slot = this.hit;
    const b = this.b;
    const n = c.keyLength(slot);
    const out = b.beginSeries(n).out;
    const at = out.pos;
    c.copyKey(slot, out.view, at);
    b.seriesWritten(at + c.seriesLength(slot), c.measurementLength(slot)).fieldKeyWritten(at + n).floatValue(value);
    this.measurementKept = false; // begin() forgot the builder's kept series
    if (this.finish(ms)) this.samples++;
  }

  /** Keeps the series of the point just written in the cache: its line up to the value. */
  private remember(): void {
    this.keep = false;
    this.useful++;
    const out = this.b.out;
    const i = out.count - 1;
    const start = out.starts[i];
    const d = out.data;
    // The line ends ` <timestamp>\n`; the value before has neither a space nor an '=': the field key's '=' is the last one.
    let p = out.starts[i + 1] - 2;
    while (d[p] !== Byte.SPACE) p--;
    while (d[p] !== Byte.EQUALS) p--;
    (this.o.seriesKeys as SeriesKeyCache).insert(this.keepHash, this.labelsAt, this.labelsEnd, out.view, start, p + 1, out.seriesLengths[i], out.measurementLengths[i]);
  }

  /** A native histogram, already decoded into h. */
  histogram(h: Histogram): void {
    const s = this.s;
    const buf = this.buf;
    const ls = s.ls;
    const name = Buffer.from(buf.buffer, buf.byteOffset + ls[4 * s.nameAt + 2], ls[4 * s.nameAt + 3] - ls[4 * s.nameAt + 2]).toString();
    const nb = bucketBounds(h, s);
    if (typeof nb === 'string') { this.refuse(nb); return; }
    const ms = h.timestamp;
    let ok = true;
    if (this.o.metricVersion === 2) {
      // One series for all its points: its labels are checked and escaped once, not once per bucket.
      const b = this.b;
      const ns = ls[4 * s.nameAt + 2], ne = ls[4 * s.nameAt + 3];
      this.head(); b.keepSeries(); b.floatField(`${name}_sum`, h.sum); ok = this.finish(ms) && ok;
      this.measurementKept = false;
      b.beginKept(); b.floatField(`${name}_count`, h.count); ok = this.finish(ms) && ok;
      let cum = 0;
      const le = Buffer.from(`${name}_le`);
      for (let k = 0; k < nb && !this.stopped(); k++) {
        cum += s.counts[k];
        const t = leText(k, s.bounds[k], s);
        b.beginKept().tagBytes(le, 0, le.length, t, 0, t.length).floatFieldBytes(buf, ns, ne, cum);
        ok = this.finish(ms) && ok;
      }
    } else {
      this.head();
      const b = this.b;
      b.uintField('counter_reset_hint', h.resetHint).intField('schema', h.schema).floatField('zero_threshold', h.zeroThreshold)
        .floatField('zero_count', h.zeroCount).floatField('count', h.count).floatField('sum', h.sum);
      // A refused point keeps its first reason, and a bound repeated (a million one-byte buckets past +Inf) is
      // refused once written: neither writes its buckets, when nothing skipped could be refused sooner.
      const repeated = b.refused ? '' : repeatedBound(h, s, nb);
      if (repeated !== '') b.repeatedFieldKey(repeated);
      else if (!b.refused) {
        let cum = 0;
        for (let k = 0; k < nb; k++) { cum += s.counts[k]; b.floatField(goFormatG(s.bounds[k]), cum); }
        const spans = (sp: number[], side: string): void => {
          for (let i = 0; i < sp.length; i += 2) { b.intField(`${side}_span_${i / 2}_offset`, sp[i]); b.uintField(`${side}_span_${i / 2}_length`, sp[i + 1]); }
        };
        spans(h.posSpans, 'positive');
        spans(h.negSpans, 'negative');
        for (let i = 0; i < h.pos.n; i++) b.floatField(`positive_bucket_${i}`, h.pos.a[i]);
        for (let i = 0; i < h.neg.n; i++) b.floatField(`negative_bucket_${i}`, h.neg.a[i]);
      }
      ok = this.finish(ms);
    }
    if (ok) this.histograms++;
  }

  result(): RemoteWriteResult {
    return {
      points: this.b.batch(), samples: this.samples, histograms: this.histograms, staleMarkers: this.stale, nanSamples: this.nan,
      exemplars: this.exemplars, metadata: this.metadata, errors: this.errors, refused: this.refused,
      tooManyPoints: this.tooManyPoints, tooLarge: this.tooLarge,
    };
  }
}

/** A native histogram as the protobuf carries it (counts made absolute, as ToFloatHistogram does). */
interface Histogram {
  count: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  resetHint: number;
  timestamp: number;
  /** offset, length pairs. */
  negSpans: number[];
  posSpans: number[];
  neg: F64List;
  pos: F64List;
  custom: F64List;
}

/**
 * The buckets in Prometheus' AllBucketIterator order (negative from the lowest, the zero bucket when it
 * holds observations, positive ascending) into s.counts/s.bounds (upper bounds); their number, or why
 * the histogram is refused.
 */
function bucketBounds(h: Histogram, s: Scratch): number | string {
  if (h.schema !== -53 && (h.schema < -4 || h.schema > 8)) return `native histogram schema ${h.schema} is not supported (-4 to 8, or -53)`;
  const need = h.neg.n + h.pos.n + 1;
  if (need > s.counts.length) { s.counts = new Float64Array(need); s.bounds = new Float64Array(need); }
  const nn = h.neg.n;
  // Bucket indexes: the first span's offset is the first index, each later one the gap after the previous span.
  // Written in place (negative buckets from the highest index down), not collected first: a hostile
  // histogram has a million one-byte buckets.
  if (spanned(h.negSpans, nn) !== nn) return 'native histogram has more buckets than its spans cover';
  if (spanned(h.posSpans, h.pos.n) !== h.pos.n) return 'native histogram has more buckets than its spans cover';
  let j = 0;
  let next = 0;
  for (let i = 0; i < h.negSpans.length && j < nn; i += 2) {
    next += h.negSpans[i];
    for (let m = 0; m < h.negSpans[i + 1] && j < nn; m++, j++) { s.counts[nn - 1 - j] = h.neg.a[j]; s.bounds[nn - 1 - j] = -bound(next++ - 1, h.schema, h.custom); }
  }
  let k = nn;
  if (h.zeroCount > 0) { s.counts[k] = h.zeroCount; s.bounds[k++] = h.zeroThreshold; }
  next = 0;
  j = 0;
  for (let i = 0; i < h.posSpans.length && j < h.pos.n; i += 2) {
    next += h.posSpans[i];
    for (let m = 0; m < h.posSpans[i + 1] && j < h.pos.n; m++, j++) { s.counts[k] = h.pos.a[j]; s.bounds[k++] = bound(next++, h.schema, h.custom); }
  }
  return k;
}

/**
 * metric_version 1's bucket fields are keyed by their bounds' text: the byte-wise smallest bound text that
 * repeats (what the duplicate check would name), or '' when none repeats or a bucket, span or count field
 * would be refused first (then the fields are written and checked as ever). Text equality is SameValue on
 * the bounds (goFormatG is one-to-one but for NaN, and tells -0 from 0); sorted when not ascending already.
 */
function repeatedBound(h: Histogram, s: Scratch, nb: number): string {
  let cum = 0;
  for (let k = 0; k < nb; k++) { cum += s.counts[k]; if (!Number.isFinite(cum)) return ''; }
  for (const sp of [h.posSpans, h.negSpans]) for (let i = 0; i < sp.length; i += 2) if (!Number.isSafeInteger(sp[i])) return '';
  for (const l of [h.pos, h.neg]) for (let i = 0; i < l.n; i++) if (!Number.isFinite(l.a[i])) return '';
  let a: Float64Array = s.bounds.subarray(0, nb);
  // Ascending as a typed-array sort orders them (-0 before 0, NaN last): repeats are then neighbours.
  for (let k = 1; k < nb; k++) {
    const x = a[k - 1], y = a[k];
    if (!(x < y || (x === y && !(Object.is(x, 0) && Object.is(y, -0))))) { a = Float64Array.from(a).sort(); break; }
  }
  let min = '';
  for (let k = 1; k < nb; k++) {
    if (!Object.is(a[k], a[k - 1]) || (k > 1 && Object.is(a[k - 1], a[k - 2]))) continue;
    const t = goFormatG(a[k]);
    if (min === '' || t < min) min = t;
  }
  return min;
}

/** How many of n buckets the spans (offset, length pairs) cover, at most n. */
function spanned(spans: number[], n: number): number {
  let c = 0;
  for (let i = 1; i < spans.length && c < n; i += 2) c += Math.min(spans[i], n - c);
  return c;
}

/** Upper bound of bucket idx (Prometheus getBound; custom buckets: custom_values, then +Inf). */
function bound(idx: number, schema: number, custom: F64List): number {
  if (schema === -53) return idx >= 0 && idx < custom.n ? custom.a[idx] : Infinity;
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    if (exp > 1024) return Infinity; // as 2 ** exp, without the power: a hostile histogram has a million of them
    if (exp === 1024) return Number.MAX_VALUE;
    return 2 ** exp;
  }
  const per = 2 ** schema;
  if (idx >= 1025 * per) return Infinity; // exp > 1025 below: as the powers give, without them
  const fracIdx = ((idx % per) + per) % per;
  const frac = 2 ** (fracIdx / per) / 2;
  const exp = Math.floor(idx / per) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

function readHistogram(r: ProtoReader): Histogram {
  const h: Histogram = { count: 0, sum: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, resetHint: 0, timestamp: 0, negSpans: [], posSpans: [], neg: new F64List(), pos: new F64List(), custom: new F64List() };
  let negDeltas = false;
  let posDeltas = false;
  while (r.more()) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | WIRE_VARINT: h.count = r.int64(); break;
      case (2 << 3) | WIRE_I64: h.count = r.double(); break;
      case (3 << 3) | WIRE_I64: h.sum = r.double(); break;
      case (4 << 3) | WIRE_VARINT: h.schema = r.sint64(); break;
      case (5 << 3) | WIRE_I64: h.zeroThreshold = r.double(); break;
      case (6 << 3) | WIRE_VARINT: h.zeroCount = r.int64(); break;
      case (7 << 3) | WIRE_I64: h.zeroCount = r.double(); break;
      case (8 << 3) | WIRE_LEN: spans(r, h.negSpans); break;
      case (11 << 3) | WIRE_LEN: spans(r, h.posSpans); break;
      case (9 << 3) | WIRE_LEN: case (9 << 3) | WIRE_VARINT: negDeltas = true; repeated(r, t, h.neg, sint64); break;
      case (12 << 3) | WIRE_LEN: case (12 << 3) | WIRE_VARINT: posDeltas = true; repeated(r, t, h.pos, sint64); break;
      case (10 << 3) | WIRE_LEN: case (10 << 3) | WIRE_I64: repeated(r, t, h.neg, double); break;
      case (13 << 3) | WIRE_LEN: case (13 << 3) | WIRE_I64: repeated(r, t, h.pos, double); break;
      case (16 << 3) | WIRE_LEN: case (16 << 3) | WIRE_I64: repeated(r, t, h.custom, double); break;
      case (14 << 3) | WIRE_VARINT: h.resetHint = r.uint32(); break;
      case (15 << 3) | WIRE_VARINT: h.timestamp = r.int64(); break;
      default: r.skip(t & 7);
    }
  }
  // Integer histograms carry deltas: absolute counts are their running sums.
  if (negDeltas) h.neg.accumulate();
  if (posDeltas) h.pos.accumulate();
  return h;
}

function spans(r: ProtoReader, out: number[]): void {
  r.len();
  const sub = new ProtoReader(r.buf, r.s, r.e);
  let offset = 0;
  let length = 0;
  while (sub.more()) {
    const t = sub.tag();
    if (t === ((1 << 3) | WIRE_VARINT)) offset = sub.sint64();
    else if (t === ((2 << 3) | WIRE_VARINT)) length = sub.uint32();
    else sub.skip(t & 7);
  }
  out.push(offset, length);
}

/** A repeated scalar into out, packed (one length-delimited run) or not (one value). */
function repeated(r: ProtoReader, t: number, out: F64List, signed: boolean): void {
  if ((t & 7) !== WIRE_LEN) { out.push(signed ? r.sint64() : r.double()); return; }
  r.len();
  const sub = new ProtoReader(r.buf, r.s, r.e);
  // A varint ends at each byte below 0x80; a double takes 8 bytes.
  let k = 0;
  if (signed) for (let i = r.s; i < r.e; i++) k += r.buf[i] >>> 7 ^ 1;
  else k = (r.e - r.s) >>> 3;
  out.reserve(k);
  if (signed) while (sub.more()) out.push(sub.sint64());
  else while (sub.more()) out.push(sub.double());
}

const sint64 = true;
const double = false;

/** Reads a Sample (both versions: value=1 double, timestamp=2 int64) into the decoder. */
function readSample(r: ProtoReader, d: Decoder): void {
  let value = 0;
  let hi = 0;
  let lo = 0;
  let ms = 0;
  while (r.more()) {
    const t = r.tag();
    if (t === ((1 << 3) | WIRE_I64)) { value = r.doubleBits(); hi = r.hiPart; lo = r.lo; }
    else if (t === ((2 << 3) | WIRE_VARINT)) ms = r.int64();
    else r.skip(t & 7);
  }
  d.sample(value, hi, lo, ms);
}

/** A series' samples (field 2), then its native histograms (field `histogramField`), once its labels passed. */
function readSeriesData(buf: Uint8Array, ts: ProtoReader, from: number, item: ProtoReader, d: Decoder, histogramField: number, samples: boolean, histograms: boolean): void {
  ts.pos = from;
  while (samples && ts.more() && !d.stopped()) {
    const f = ts.tag();
    if (f === ((2 << 3) | WIRE_LEN)) { ts.len(); item.pos = ts.s; item.end = ts.e; readSample(item, d); }
    else ts.skip(f & 7);
  }
  ts.pos = from;
  while (histograms && ts.more() && !d.stopped()) {
    const f = ts.tag();
    if (f === ((histogramField << 3) | WIRE_LEN)) { ts.len(); d.histogram(readHistogram(new ProtoReader(buf, ts.s, ts.e))); }
    else ts.skip(f & 7);
  }
  d.series++;
}

function isAscii(b: Uint8Array, s: number, e: number): boolean {
  let or = 0;
  for (let i = s; i < e; i++) or |= b[i];
  return or < 0x80;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ProtobufError) throw new RemoteWriteError(err.message);
    throw err;
  }
}

const LABEL = (1 << 3) | WIRE_LEN;
const SAMPLE = (2 << 3) | WIRE_LEN;
const EXEMPLAR = (3 << 3) | WIRE_LEN;
const HISTOGRAM = (4 << 3) | WIRE_LEN;

/**
 * The end of the run of Label fields (tag 0x0a, length under 2^28) that starts b[s, e): where a series' labels
 * end when, as Prometheus writes them, they come first. Only a guess at the fields: the decode checks it.
 */
function labelRun(b: Uint8Array, s: number, e: number): number {
  let p = s;
  while (p < e && b[p] === 0x0a) {
    let q = p + 1;
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (q >= e || shift > 21) return p;
      const c = b[q++];
      len += (c & 0x7f) << shift;
      if (c < 0x80) break;
    }
    if (q + len > e) return p;
    p = q + len;
  }
  return p;
}

/**
 * Reads the fields of a TimeSeries buf[s, e): its labels (field 1, wherever they are) into d, and counts samples (2),
 * exemplars (3) and histograms (4) into d; '' or why the series is refused.
 */
function readSeries(buf: Uint8Array, ts: ProtoReader, item: ProtoReader, d: Decoder, s: number, e: number): string {
  ts.pos = s; ts.end = e;
  let bad = '';
  let nSamples = 0;
  let nHistograms = 0;
  let dataAt = s;
  let lastLabelEnd = s;
  let other = -1;
  while (ts.more()) {
    const at = ts.pos;
    const f = ts.tag();
    if (f === LABEL) {
      ts.len();
      const ls = ts.s, le = ts.e;
      let ns = 0, ne = 0, vs = 0, ve = 0;
      // As Prometheus writes a Label (name = 1, value = 2, each under 128 bytes): read in place.
      const v = ls + 2 + buf[ls + 1];
      if (buf[ls] === 0x0a && buf[ls + 1] < 0x80 && v + 2 <= le && buf[v] === 0x12 && buf[v + 1] < 0x80 && v + 2 + buf[v + 1] === le) {
        ns = ls + 2; ne = v; vs = v + 2; ve = le;
      } else {
        item.pos = ls; item.end = le;
        while (item.more()) {
          const g = item.tag();
          if (g === ((1 << 3) | WIRE_LEN)) { item.len(); ns = item.s; ne = item.e; }
          else if (g === ((2 << 3) | WIRE_LEN)) { item.len(); vs = item.s; ve = item.e; }
          else item.skip(g & 7);
        }
      }
      // A Label message of ASCII bytes only holds ASCII strings: one check for both.
      if (!bad) bad = d.label(ns, ne, vs, ve, isAscii(buf, ls, le));
      lastLabelEnd = ts.pos;
      continue;
    }
    if (other < 0) other = at;
    if (f === EXEMPLAR) { ts.len(); d.exemplars++; }
    else {
      if (f === SAMPLE || f === HISTOGRAM) {
        if (nSamples + nHistograms === 0) dataAt = at;
        if (f === SAMPLE) nSamples++; else nHistograms++;
      }
      ts.skip(f & 7);
    }
  }
  d.nSamples = nSamples; d.nHistograms = nHistograms; d.dataAt = dataAt; d.lastLabelEnd = lastLabelEnd; d.other = other;
  return bad;
}

/**
 * The fields after the labels buf[s, labelsEnd) of a TimeSeries met before (ts.end: its end), counted into d as
 * readSeries() counts them; false when the series must be read the general way (a label after them, histograms).
 */
function readCachedSeries(ts: ProtoReader, d: Decoder, s: number, labelsEnd: number): boolean {
  ts.pos = labelsEnd;
  let nSamples = 0;
  let exemplars = 0;
  let dataAt = s;
  while (ts.more()) {
    const at = ts.pos;
    const f = ts.tag();
    if (f === LABEL || f === HISTOGRAM) return false;
    if (f === EXEMPLAR) { ts.len(); exemplars++; continue; }
    if (f === SAMPLE && nSamples++ === 0) dataAt = at;
    ts.skip(f & 7);
  }
  d.exemplars += exemplars;
  d.nSamples = nSamples; d.nHistograms = 0; d.dataAt = dataAt;
  d.labelsAt = s; d.labelsEnd = labelsEnd; d.labelsLoaded = false;
  return true;
}

/** remote_write 1.0: `prometheus.WriteRequest{repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3}`. */
export function decodeWriteRequestV1(buf: Uint8Array, o: RemoteWriteOptions): RemoteWriteResult {
  const d = new Decoder(buf, o, 1.25);
  const cache = o.seriesKeys;
  cache?.use(buf, o.metricVersion);
  try {
    decodeV1Series(buf, d, cache);
  } finally {
    cache?.done();
  }
  return d.result();
}

function decodeV1Series(buf: Uint8Array, d: Decoder, cache: SeriesKeyCache | undefined): void {
  wrap(() => {
    const r = new ProtoReader(buf);
    const ts = new ProtoReader(buf);
    const item = new ProtoReader(buf);
    while (r.more() && !d.stopped()) {
      const t = r.tag();
      if (t === ((1 << 3) | WIRE_LEN)) {
        r.len();
        d.s.n = 0; d.s.nameAt = -1; d.lastMs = 0;
        d.hit = -1; d.keep = false; d.labelsLoaded = true;
        // Labels first, as Prometheus writes them: a series met before (the same label bytes) is not read again.
        // After 64 lookups the cache is asked only while a quarter of them pay (series copied or kept), and until 64
        // series came twice: a request of refused, NaN-only or repeated series pays for about 64 hashes, not one per series.
        let labelsEnd = r.s;
        let miss = false;
        if (cache !== undefined && (d.lookups < 64 || 4 * d.useful >= d.lookups) && d.repeats < 64) {
          labelsEnd = labelRun(buf, r.s, r.e);
          if (labelsEnd > r.s) {
            d.lookups++;
            const slot = cache.lookup(r.s, labelsEnd);
            if (slot >= 0) { d.hit = slot; d.useful++; } else if (slot === -1) miss = true; else d.repeats++;
          }
        }
        ts.end = r.e;
        if (d.hit >= 0 && !readCachedSeries(ts, d, r.s, labelsEnd)) d.hit = -1;
        if (d.hit < 0) {
          const bad = readSeries(buf, ts, item, d, r.s, r.e) || d.seriesReady();
          if (bad) { if (d.nSamples + d.nHistograms > 0) d.refuse(bad); d.series++; continue; }
          // Kept in the cache when its labels all come first.
          if (miss && d.lastLabelEnd === labelsEnd && (d.other < 0 || d.other >= labelsEnd)) {
            d.keep = true; d.keepHash = (cache as SeriesKeyCache).hash; d.labelsAt = r.s; d.labelsEnd = labelsEnd;
          }
        }
        readSeriesData(buf, ts, d.dataAt, item, d, 4, d.nSamples > 0, d.nHistograms > 0);
      } else if (t === ((3 << 3) | WIRE_LEN)) { r.len(); d.metadata++; }
      else r.skip(t & 7);
    }
  });
}

/** remote_write 2.0: `io.prometheus.write.v2.Request{repeated string symbols = 4; repeated TimeSeries timeseries = 5}`. */
export function decodeRequestV2(buf: Uint8Array, o: RemoteWriteOptions): RemoteWriteResult {
  const d = new Decoder(buf, o, 4);
  wrap(() => {
    // Symbols first, wherever they are: [start, end) pairs.
    let sym = new Uint32Array(256);
    let nSym = 0;
    const r = new ProtoReader(buf);
    while (r.more()) {
      const t = r.tag();
      if (t === ((4 << 3) | WIRE_LEN)) {
        r.len();
        if (!isUtf8(buf, r.s, r.e)) throw new RemoteWriteError(`symbol ${nSym} is not valid UTF-8`);
        if (2 * nSym + 2 > sym.length) { const g = new Uint32Array(sym.length * 2); g.set(sym); sym = g; }
        sym[2 * nSym] = r.s; sym[2 * nSym + 1] = r.e; nSym++;
      } else r.skip(t & 7);
    }
    if (nSym > 0 && sym[1] !== sym[0]) throw new RemoteWriteError('symbols[0] must be the empty string (remote_write 2.0)');
    r.pos = 0;
    const ts = new ProtoReader(buf);
    const item = new ProtoReader(buf);
    // One series' labels_refs (at most MAX_LABELS + 1 pairs kept: past that the series is refused anyway).
    const refs = new Uint32Array(2 * MAX_LABELS + 2);
    let nRefs = 0;
    const pushRef = (x: ProtoReader): void => { const v = x.uint32(); if (nRefs < refs.length) refs[nRefs++] = v; };
    while (r.more() && !d.stopped()) {
      const t = r.tag();
      if (t !== ((5 << 3) | WIRE_LEN)) { r.skip(t & 7); continue; }
      r.len();
      d.s.n = 0; d.s.nameAt = -1; d.lastMs = 0;
      ts.pos = r.s; ts.end = r.e;
      nRefs = 0;
      let nSamples = 0;
      let nHistograms = 0;
      let dataAt = r.s;
      while (ts.more()) {
        const at = ts.pos;
        const f = ts.tag();
        // labels_refs, packed (as senders write it) or not; the packed run read with the reused reader.
        if (f === ((1 << 3) | WIRE_LEN)) { ts.len(); item.pos = ts.s; item.end = ts.e; while (item.more()) pushRef(item); }
        else if (f === ((1 << 3) | WIRE_VARINT)) pushRef(ts); else if (f === ((4 << 3) | WIRE_LEN)) { ts.len(); d.exemplars++; }
        else if (f === ((5 << 3) | WIRE_LEN)) { ts.len(); d.metadata++; }
        else {
          if (f === ((2 << 3) | WIRE_LEN) || f === ((3 << 3) | WIRE_LEN)) {
            if (nSamples + nHistograms === 0) dataAt = at;
            if (f === ((2 << 3) | WIRE_LEN)) nSamples++; else nHistograms++;
          }
          ts.skip(f & 7);
        }
      }
      let bad = '';
      if (nRefs % 2 !== 0) bad = 'labels_refs has an odd length';
      for (let j = 0; j < nRefs && !bad; j += 2) {
        const a = refs[j], v = refs[j + 1];
        if (a >= nSym || v >= nSym) bad = `labels_refs points past the ${nSym} symbols`;
        else bad = d.label(sym[2 * a], sym[2 * a + 1], sym[2 * v], sym[2 * v + 1], true); // symbols were checked above
      }
      if (!bad) bad = d.seriesReady();
      if (bad) { if (nSamples + nHistograms > 0) d.refuse(bad); d.series++; continue; }
      readSeriesData(buf, ts, dataAt, item, d, 3, nSamples > 0, nHistograms > 0);
    }
  });
  return d.result();
}
