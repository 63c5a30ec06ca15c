// A histogram bucket's `le=<bound>` (a summary's `quantile=<q>`) tag as line bytes, kept per value: a request's
// histograms mostly share their bounds (an SDK's explicit bounds, an exponential histogram's scale and offsets),
// and Go's 'f' spelling of each, per bucket line, was most of a bucket line's cost. Bounded per request.
import { formatFloatF } from '../go-float.js';

/** Most values and bytes kept per request; past them a tag is spelled each time (as it was before). */
const MAX_KEPT = 8192;
const MAX_BYTES = 1 << 20;

export class BoundTags {
  private readonly kept = new Map<number, Buffer>();
  private bytes = 0;

  /** @param key the tag key (ASCII). */
  constructor(readonly key: string) {}

  /** The tags of the last histogram's buckets, in order: the next one mostly has the same bounds. */
  private readonly lastX: number[] = [];
  private readonly lastTag: Buffer[] = [];

  /** get(x) for the j-th bucket of a histogram (at most MAX_BUCKETS + 2 of them, the schema's bound). */
  at(j: number, x: number): Buffer {
    if (j < this.lastX.length && this.lastX[j] === x && x !== 0) return this.lastTag[j];
    const b = this.get(x);
    if (j <= this.lastX.length) {
      this.lastX[j] = x;
      this.lastTag[j] = b;
    }
    return b;
  }

  /** Bytes of the key, then the value spelled by formatFloatF (ASCII: no byte to escape): `key=value`. */
  get(x: number): Buffer {
    // A Map holds -0 and 0 as one key, and formatFloatF spells them apart.
    const keep = x !== 0;
    if (keep) {
      const b = this.kept.get(x);
      if (b !== undefined) return b;
    }
    const b = Buffer.from(`${this.key}=${formatFloatF(x)}`, 'latin1');
    if (keep && this.kept.size < MAX_KEPT && this.bytes + b.length <= MAX_BYTES) {
      this.kept.set(x, b);
      this.bytes += b.length;
    }
    return b;
  }
}
