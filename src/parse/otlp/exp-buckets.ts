// An exponential histogram's buckets as cumulative `le` buckets, so that it follows the same schema as an
// explicit-bound histogram (otel2influx has no mapping of its own for them: it refuses the whole request).
import type { ExpHistogramPoint } from './model.js';

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
    // cumulativeBuckets()'s push(), recording slots instead of counts.
    const push = (bound: number): void => {
      if (!Number.isFinite(bound)) { slots[k++] = -1; return; }
      const last = bounds.length - 1;
      if (last >= 0 && bounds[last] >= bound) { slots[k++] = last; return; }
      slots[k++] = bounds.length;
      bounds.push(bound);
    };
    for (let i = neg.bucketCounts.length - 1; i >= 0; i--) push(-Math.pow(2, (neg.offset + i) * base));
    if (zero) push(p.zeroThreshold);
    for (let i = 0; i < pos.bucketCounts.length; i++) push(Math.pow(2, (pos.offset + i + 1) * base));
    bounds.push(Infinity);
    this.bounds = bounds;
    this.slots = slots;
  }
}
