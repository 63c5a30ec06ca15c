// A histogram's bucket lines on the series path begin with the same bytes but for the `le` value: the series key
// before it and after it, a space and `<metric>_bucket=`. write() writes a line's beginning straight into the batch,
// its bound spelled there (go-float.ts writeFloatF: no string joined, no Buffer made), and keeps a copy per bucket
// index while a request's data points share the series key and the field key: the next data point of the same
// bound at that index (an SDK's explicit bounds, an exponential histogram's scale and offsets) is then one copy,
// its count and the timestamp. The copies live in one store per index, reused: a data point whose bounds differ
// from the last one's (up to ~330 digits each) costs no allocation per bucket. Bounded per request.
import { MAX_FLOAT_F_LENGTH, writeFloatF } from '../go-float.js';
import { cmpBytes } from '../spell.js';

/** Most bytes of stores kept per request; past them a bucket line's beginning is written but not kept. */
const MAX_BYTES = 8 << 20;

export class BucketLines {
  private before: Uint8Array = new Uint8Array(0);
  private after: Uint8Array = new Uint8Array(0);
  private key: Uint8Array = new Uint8Array(0);
  /** Per bucket index: its bound and the line's beginning (`before value after =key=`), undefined: none kept. */
  private readonly xs: number[] = [];
  private readonly heads: (Uint8Array | undefined)[] = [];
  /** Per bucket index: the store its head is a view of (kept across series: only their bytes count). */
  private readonly stores: Buffer[] = [];
  private bytes = 0;
  /**
   * Whether write() keeps copies in this data point: not when the last one's bounds mostly differed from those of
   * the one before it (each copy would be made for nothing); its bounds are recorded all the same, so a repeat
   * turns keeping on again. get() calls and bounds repeated since start().
   */
  private keeping = true;
  private asked = 0;
  private repeated = 0;
  /** Bytes of a head after its series key: a space, the field key and '='. */
  private fieldLen = 0;

  /**
   * Begins a data point whose bucket lines' series keys are before + `le` value + after, field key `key` (plain):
   * the heads kept so far stay when all three are the bytes the last data point had.
   */
  start(before: Uint8Array, after: Uint8Array, key: Uint8Array): this {
    // Copies kept for the last data point's lines were worth it when half its bounds were those of the one before.
    this.keeping = this.asked === 0 || 2 * this.repeated >= this.asked;
    this.asked = 0;
    this.repeated = 0;
    if (!same(before, this.before) || !same(after, this.after) || !same(key, this.key)) {
      this.before = before;
      this.after = after;
      this.key = key;
      this.xs.length = 0;
      this.heads.length = 0;
      this.fieldLen = key.length + 2;
    }
    return this;
  }

  /** The kept head of bucket j when its bound is x (SameValue: -0 and 0 are spelled apart), else undefined. */
  get(j: number, x: number): Uint8Array | undefined {
    this.asked++;
    if (!(j < this.xs.length && Object.is(this.xs[j], x))) return undefined;
    this.repeated++;
    return this.heads[j];
  }

  /** Most bytes write() writes. */
  get room(): number {
    return this.before.length + MAX_FLOAT_F_LENGTH + this.after.length + this.fieldLen;
  }

  /** Writes the head of bucket j of bound x (String(x): shortest, when known) at d[at..] (room ensured), keeps a copy when room is left; its end. */
  write(d: Uint8Array, at: number, j: number, x: number, shortest?: string): number {
    let p = put(d, at, this.before);
    p = writeFloatF(d, p, x, shortest);
    p = put(d, p, this.after);
    d[p++] = 0x20;
    p = put(d, p, this.key);
    d[p++] = 0x3d;
    if (j <= this.xs.length) {
      this.heads[j] = this.keeping ? this.keep(d, at, p, j) : undefined;
      this.xs[j] = x;
    }
    return p;
  }

  /** Where the series key ends in a head (kept or written) that ends at `end`. */
  seriesEnd(end: number): number {
    return end - this.fieldLen;
  }

  /** A copy of d[s..e), the head of bucket j, in its store, or undefined when the stores are full. */
  private keep(d: Uint8Array, s: number, e: number, j: number): Uint8Array | undefined {
    const n = e - s;
    let store = j < this.stores.length ? this.stores[j] : undefined;
    let head = j < this.heads.length ? this.heads[j] : undefined;
    if (store === undefined || store.length < n) {
      const had = store === undefined ? 0 : store.length;
      const cap = n + (n >> 3); // the next bound at j is mostly spelled about as long
      if (this.bytes - had + cap > MAX_BYTES) return undefined;
      // From Buffer's pool: the stores of a data point lie side by side (copies out of them ran slower otherwise).
      store = Buffer.allocUnsafe(cap);
      this.stores[j] = store;
      this.bytes += cap - had;
      head = undefined;
    }
    if (n > 64) store.set(new Uint8Array(d.buffer, d.byteOffset + s, n)); else for (let k = 0; k < n; k++) store[k] = d[s + k];
    // heads[j], when kept, is a view of stores[j] (a new store drops it above): a new view only for a new length.
    return head !== undefined && head.length === n ? head : new Uint8Array(store.buffer, store.byteOffset, n);
  }
}

/** Copies b to d[p..], returns the end: a loop for a few bytes beats a native copy (measured: not past 16). */
function put(d: Uint8Array, p: number, b: Uint8Array): number {
  if (b.length > 16) { d.set(b, p); return p + b.length; }
  for (let k = 0; k < b.length; k++) d[p++] = b[k];
  return p;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && cmpBytes(a, 0, a.length, b, 0, b.length) === 0;
