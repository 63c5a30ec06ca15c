// A histogram's bucket lines on the series path begin with the same bytes but for the `le` value: the series key
// before it and after it, a space and `<metric>_bucket=`. Each bucket's whole beginning is kept per bucket index
// while a request's data points share the series key, the field key and the bound (an exponential histogram's
// bounds are 2^(±i·2^-scale), up to ~330 digits in Go's 'f' spelling): a bucket line is then one copy, its count
// and the timestamp, instead of three byte loops and the field key. Bounded per request.
// A head is built only for a bound the last data point had at the same index: data points whose bounds differ
// from one to the next (alternating offsets) write their lines the general way, with no head allocated per line.

/** Most bytes kept per request; past them no head is built, and bucket lines are written the general way. */
const MAX_BYTES = 8 << 20;

export class BucketLines {
  private before: Uint8Array = new Uint8Array(0);
  private after: Uint8Array = new Uint8Array(0);
  private key: Uint8Array = new Uint8Array(0);
  /** Per bucket index: its bound and the line's beginning (`before value after =key=`), undefined: none kept. */
  private readonly xs: number[] = [];
  private readonly heads: (Buffer | undefined)[] = [];
  private bytes = 0;
  /** A head did not fit in MAX_BYTES: none is built until the next start() that drops them. */
  private full = false;
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
      this.full = false;
      this.fieldLen = key.length + 2;
    }
    return this;
  }

  /**
   * The kept head of bucket j when its bound is x (SameValue: -0 and 0 are spelled apart); null when the last data
   * point had x there too but no head was built yet (the caller builds it with make); undefined otherwise, and x is
   * noted for bucket j (the line is then written the general way).
   */
  get(j: number, x: number): Buffer | null | undefined {
    if (j < this.xs.length && Object.is(this.xs[j], x)) {
      const h = this.heads[j];
      return h !== undefined ? h : this.full ? undefined : null;
    }
    if (j <= this.xs.length) {
      const old = j < this.heads.length ? this.heads[j] : undefined;
      if (old !== undefined) this.bytes -= old.length;
      this.xs[j] = x;
      this.heads[j] = undefined;
    }
    return undefined;
  }

  /** The head of bucket j of bound x (get gave null), whose `le` tag is tag (`le=<value>`, the value from valueAt); kept when room is left. */
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
    } else this.full = true;
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
