// An exponential histogram's buckets as cumulative `le` buckets, so that it follows the same schema as an
// explicit-bound histogram (otel2influx has no mapping of its own for them: it refuses the whole request).
import { MAX_BUCKETS, type ExpHistogramPoint } from './model.js';

/** Upper bounds and cumulative counts, in increasing order of bound, ending before +Inf. */
export interface CumulativeBuckets {
  readonly bounds: number[];
  readonly counts: number[];
}

/**
 * Bucket index i of scale s holds values in (base^i, base^(i+1)] with base = 2^(2^-s) (positive side);
 * on the negative side it holds [-base^(i+1), -base^i). Going up from the most negative bucket, each
 * negative bucket ends at -base^i, the zero bucket (|v| <= zero_threshold) at zero_threshold, and each
 * positive bucket at base^(i+1). Bounds that over- or underflow a double are merged into their neighbours.
 */
export function cumulativeBuckets(p: ExpHistogramPoint): CumulativeBuckets {
  const bounds: number[] = [];
  const counts: number[] = [];
  const scale = Math.pow(2, -p.scale);
  const boundAt = (i: number): number => Math.pow(2, i * scale);
  let total = 0;
  const push = (bound: number, n: number): void => {
    total += n;
    if (!Number.isFinite(bound)) return; // belongs to +Inf (or below every finite bound: counted on)
    const last = bounds.length - 1;
    if (last >= 0 && bounds[last] >= bound) {
      counts[last] = total; // the same double twice (precision): one bucket
      return;
    }
    bounds.push(bound);
    counts.push(total);
  };
  const neg = p.negative;
  for (let k = neg.bucketCounts.length - 1; k >= 0; k--) push(-boundAt(neg.offset + k), neg.bucketCounts[k]);
  if (p.zeroCount > 0) push(p.zeroThreshold, p.zeroCount);
  const pos = p.positive;
  for (let k = 0; k < pos.bucketCounts.length; k++) push(boundAt(pos.offset + k + 1), pos.bucketCounts[k]);
  return { bounds, counts };
}

/**
 * cumulativeBuckets() for a request's data points: the bounds (and which cumulative bucket each bucket count ends
 * in) depend only on the scale, the offsets, the lengths, the zero threshold and whether the zero bucket counts, which the data points
 * of one histogram mostly share; kept from the last data point, so each bound's power is computed once, not per
 * data point. The same bounds and counts as cumulativeBuckets(), then +Inf and the count.
 */
export class ExpBounds {
  private scale = NaN;
  private negOffset = 0;
  private negLen = -1;
  private posOffset = 0;
  private posLen = -1;
  private zero = false;
  private zeroThreshold = 0;
  /** The last bounds, +Inf last; per bucket count (negative ones from the last, zero, positive) its slot, -1: +Inf. */
  private bounds: number[] = [];
  private slots = new Int32Array(0);
  private readonly counts: number[] = [];
  private readonly powers = new Powers();
  /** Per bound: the index of its power in the positive window (>= 0), in the negative one (-2 - index), or -1. */
  private from = new Int32Array(0);
  private negW: Window | undefined;
  private posW: Window | undefined;

  /** Bounds (kept: not to be changed) and cumulative counts (overwritten by the next call), both ending at +Inf. */
  of(p: ExpHistogramPoint): CumulativeBuckets {
    const neg = p.negative, pos = p.positive, zero = p.zeroCount > 0;
    if (!(p.scale === this.scale && neg.offset === this.negOffset && neg.bucketCounts.length === this.negLen && pos.offset === this.posOffset &&
      pos.bucketCounts.length === this.posLen && zero === this.zero && (!zero || Object.is(p.zeroThreshold, this.zeroThreshold)))) this.learn(p);
    const slots = this.slots, counts = this.counts;
    counts.length = this.bounds.length;
    let total = 0, k = 0;
    // In cumulativeBuckets()'s order; a later bucket count of the same slot (merged bounds) overwrites the earlier.
    for (let i = neg.bucketCounts.length - 1; i >= 0; i--) { total += neg.bucketCounts[i]; const s = slots[k++]; if (s >= 0) counts[s] = total; }
    if (zero) { total += p.zeroCount; const s = slots[k++]; if (s >= 0) counts[s] = total; }
    for (let i = 0; i < pos.bucketCounts.length; i++) { total += pos.bucketCounts[i]; const s = slots[k++]; if (s >= 0) counts[s] = total; }
    counts[counts.length - 1] = p.count;
    return { bounds: this.bounds, counts };
  }

  /**
   * String(bounds[j]) of the last of() (the digits go-float.ts writeFloatF spells), kept with the power it came
   * from: the next data point of the scale reuses it where its offsets overlap.
   */
  shortest(j: number): string {
    const f = this.from[j];
    const x = this.bounds[j];
    if (f === -1) return String(x);
    const w = (f >= 0 ? this.posW : this.negW) as Window;
    const i = f >= 0 ? f : -2 - f;
    let t = w.s[i];
    if (t === undefined) w.s[i] = t = String(x);
    return t;
  }

  private learn(p: ExpHistogramPoint): void {
    const neg = p.negative, pos = p.positive, zero = p.zeroCount > 0;
    this.scale = p.scale;
    this.negOffset = neg.offset;
    this.negLen = neg.bucketCounts.length;
    this.posOffset = pos.offset;
    this.posLen = pos.bucketCounts.length;
    this.zero = zero;
    this.zeroThreshold = p.zeroThreshold;
    const bounds: number[] = [];
    const slots = new Int32Array(this.negLen + this.posLen + (zero ? 1 : 0));
    const base = Math.pow(2, -p.scale);
    let k = 0;
    // cumulativeBuckets()'s push(), recording slots instead of counts, inline (a bucket a line: no call per bucket).
    let last = -Infinity;
    const from = this.from.length >= this.negLen + this.posLen + 2 ? this.from : new Int32Array(this.negLen + this.posLen + 2);
    const nw = this.negW = this.powers.of(2 * p.scale, base, neg.offset, this.negLen);
    const nv = nw.v;
    for (let i = neg.bucketCounts.length - 1; i >= 0; i--) {
      const bound = -nv[i];
      if (!Number.isFinite(bound)) slots[k++] = -1;
      else if (bounds.length > 0 && last >= bound) slots[k++] = bounds.length - 1;
      else { slots[k++] = bounds.length; from[bounds.length] = -2 - i; bounds.push(bound); last = bound; }
    }
    if (zero) {
      const bound = p.zeroThreshold;
      if (!Number.isFinite(bound)) slots[k++] = -1;
      else if (bounds.length > 0 && last >= bound) slots[k++] = bounds.length - 1;
      else { slots[k++] = bounds.length; from[bounds.length] = -1; bounds.push(bound); last = bound; }
    }
    const pw = this.posW = this.powers.of(2 * p.scale + 1, base, pos.offset + 1, this.posLen);
    const pv = pw.v;
    for (let i = 0; i < pos.bucketCounts.length; i++) {
      const bound = pv[i];
      if (!Number.isFinite(bound)) slots[k++] = -1;
      else if (bounds.length > 0 && last >= bound) slots[k++] = bounds.length - 1;
      else { slots[k++] = bounds.length; from[bounds.length] = i; bounds.push(bound); last = bound; }
    }
    from[bounds.length] = -1;
    this.from = from;
    bounds.push(Infinity);
    this.bounds = bounds;
    this.slots = slots;
  }
}

/** Most scales (times two sides) whose last powers are kept: at most 16 × 4,096 powers and spellings a request. */
const MAX_WINDOWS = 16;

/** A run of powers from lo (n of them) and their spellings once asked (String(v), String(-v) on the negative side). */
interface Window {
  lo: number;
  n: number;
  v: Float64Array;
  s: (string | undefined)[];
  /** The arrays the next run is written to. */
  next: Float64Array;
  nextS: (string | undefined)[];
}

/**
 * Math.pow(2, k·base) for a run of k, per scale and side: the last run's values and spellings, reused where the
 * next run overlaps it (data points of one scale whose offsets drift share most bounds, at shifted indices).
 */
class Powers {
  private readonly windows = new Map<number, Window>();

  /** Math.pow(2, (lo + i) * base) at v[i] for i < n (n ≤ MAX_BUCKETS: the decoders' bound), valid until the next call with this key. */
  of(key: number, base: number, lo: number, n: number): Window {
    let w = this.windows.get(key);
    if (w === undefined) {
      if (this.windows.size >= MAX_WINDOWS) this.windows.clear();
      w = { lo: 0, n: 0, v: new Float64Array(0), s: [], next: new Float64Array(0), nextS: [] };
      this.windows.set(key, w);
    }
    if (lo === w.lo && n <= w.n) return w;
    if (n > w.next.length) w.next = new Float64Array(Math.min(MAX_BUCKETS, Math.max(2 * w.next.length, n, 16)));
    // outS is empty (let go below): written in index order from 0, it stays a fast array (a length set at once may not).
    const out = w.next, v = w.v, outS = w.nextS, s = w.s;
    const a = Math.max(lo, w.lo), b = Math.min(lo + n, w.lo + w.n);
    if (a < b) {
      for (let i = 0; i < a - lo; i++) { out[i] = Math.pow(2, (lo + i) * base); outS[i] = undefined; }
      out.set(v.subarray(a - w.lo, b - w.lo), a - lo);
      for (let i = a - lo, o = lo - w.lo; i < b - lo; i++) outS[i] = s[i + o];
      for (let i = b - lo; i < n; i++) { out[i] = Math.pow(2, (lo + i) * base); outS[i] = undefined; }
    } else for (let i = 0; i < n; i++) { out[i] = Math.pow(2, (lo + i) * base); outS[i] = undefined; }
    s.length = 0; // the spellings no longer in the run are let go
    w.next = v;
    w.nextS = s;
    w.v = out;
    w.s = outS;
    w.lo = lo;
    w.n = n;
    return w;
  }
}
