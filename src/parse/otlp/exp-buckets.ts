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
