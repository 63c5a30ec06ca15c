// A set of line numbers as a bitmap: one bit per line of the body, so marking every line of a hostile
// body bad costs body-lines / 8 bytes and no object per line.

export class LineSet {
  /** Number of lines in the set. */
  size = 0;

  constructor(private bits: Uint8Array = new Uint8Array(0)) {
    for (const byte of bits) for (let v = byte; v !== 0; v &= v - 1) this.size++;
  }

  add(line: number): void {
    const i = line >>> 3;
    if (i >= this.bits.length) {
      const next = new Uint8Array(Math.max(64, i + 1, this.bits.length * 2));
      next.set(this.bits);
      this.bits = next;
    }
    const m = 1 << (line & 7);
    if ((this.bits[i] & m) === 0) { this.bits[i] |= m; this.size++; }
  }

  has(line: number): boolean {
    const i = line >>> 3;
    return i < this.bits.length && (this.bits[i] & (1 << (line & 7))) !== 0;
  }

  /** The bitmap, to hand the set to another thread. */
  bytes(): Uint8Array {
    return this.bits;
  }
}
