// A growable list of doubles in one Float64Array: a native histogram's bucket counts, which a hostile request
// makes a million long, without a JS array's element boxing and growth copies.

const EMPTY = new Float64Array(0);

export class F64List {
  a: Float64Array = EMPTY;
  n = 0;

  push(x: number): void {
    if (this.n === this.a.length) this.reserve(Math.max(16, this.n));
    this.a[this.n++] = x;
  }

  /** Room for k more values (a packed run's count is known before it is read): one allocation, not log2(k). */
  reserve(k: number): void {
    if (this.n + k <= this.a.length) return;
    const g = new Float64Array(Math.max(this.n + k, 2 * this.n));
    g.set(this.a.subarray(0, this.n));
    this.a = g;
  }

  /** Running sums in place: integer histograms carry deltas. */
  accumulate(): void {
    const a = this.a;
    for (let i = 1; i < this.n; i++) a[i] += a[i - 1];
  }
}
