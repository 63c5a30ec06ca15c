// A histogram's bucket lines on the series path begin with the same bytes but for the `le` value: the series key
// before it and after it, a space and `<metric>_bucket=`. Each bucket's whole beginning is kept per bucket index
// while a request's data points share the series key, the field key and the bound (an exponential histogram's
// bounds are 2^(±i·2^-scale), up to ~330 digits in Go's 'f' spelling): a bucket line is then one copy, its count
// and the timestamp, instead of three byte loops and the field key. Bounded per request.

/** Most bytes kept per request; past them a head is still built per line (make), but no longer kept. */
const MAX_BYTES = 8 << 20;

export class BucketLines {
  private before: Uint8Array = new Uint8Array(0);
  private after: Uint8Array = new Uint8Array(0);
  private key: Uint8Array = new Uint8Array(0);
  /** Per bucket index: its bound and the line's beginning (`before value after =key=`), undefined: none kept. */
  private readonly xs: number[] = [];
  private readonly heads: (Buffer | undefined)[] = [];
  private bytes = 0;
  /** Bytes of a head after its series key: a space, the field key and '='. */
  private fieldLen = 0;

  /**
   * Begins a data point whose bucket lines' series keys are before + `le` value + after, field key `key` (plain):
   * the heads kept so far stay when all three are the bytes the last data point had.
   */
  start(before: Uint8Array, after: Uint8Array, key: Uint8Array): this {
    if (!same(before, this.before) || !same(after, this.after) || !same(key, this.key)) {
      this.before = before;
      this.after = after;
      this.key = key;
      this.xs.length = 0;
      this.heads.length = 0;
      this.bytes = 0;
      this.fieldLen = key.length + 2;
    }
    return this;
  }

  /** The kept head of bucket j when its bound is x (SameValue: -0 and 0 are spelled apart), else undefined. */
  get(j: number, x: number): Buffer | undefined {
    return j < this.xs.length && Object.is(this.xs[j], x) ? this.heads[j] : undefined;
  }

  /** The head of bucket j of bound x, whose `le` tag is tag (`le=<value>`, the value from valueAt); kept when room is left. */
  make(j: number, x: number, tag: Buffer, valueAt: number): Buffer {
    const b = this.before, a = this.after, k = this.key;
    const h = Buffer.allocUnsafe(b.length + tag.length - valueAt + a.length + this.fieldLen);
    let p = 0;
    h.set(b, p); p += b.length;
    p += tag.copy(h, p, valueAt);
    h.set(a, p); p += a.length;
    h[p++] = 0x20;
    h.set(k, p); p += k.length;
    h[p] = 0x3d;
    const old = j < this.heads.length ? this.heads[j] : undefined;
    const bytes = this.bytes - (old === undefined ? 0 : old.length) + h.length;
    if (j <= this.xs.length && bytes <= MAX_BYTES) {
      this.xs[j] = x;
      this.heads[j] = h;
      this.bytes = bytes;
    }
    return h;
  }

  /** Bytes of head h's series key. */
  seriesLength(h: Buffer): number {
    return h.length - this.fieldLen;
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
