// Growable output of canonical lines plus the per-point offset columns (the PointBatch).

export class BatchWriter {
  data: Buffer;
  pos = 0;
  count = 0;
  starts: Uint32Array;
  seriesLengths: Uint32Array;
  measurementLengths: Uint32Array;

  /** A run of input bytes already counted in pos but not yet copied (see run()). */
  private runSrc: Buffer | undefined;
  private runFrom = 0;
  private runTo = 0;
  private runAt = 0;

  constructor(bytes: number, points: number) {
    this.data = Buffer.allocUnsafe(Math.max(256, bytes));
    const n = Math.max(16, points);
    this.starts = new Uint32Array(n + 1);
    this.seriesLengths = new Uint32Array(n);
    this.measurementLengths = new Uint32Array(n);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.data.length) return;
    this.flush();
    // Grown by half: a hostile body that expands (t → true, added timestamps) overshoots less.
    const next = Buffer.allocUnsafe(Math.max(this.data.length + (this.data.length >> 1), this.pos + n));
    this.data.copy(next, 0, 0, this.pos);
    this.data = next;
  }

  /** Records a finished point [start, pos). */
  commit(start: number, seriesLen: number, measurementLen: number): void {
    if (this.count + 1 >= this.starts.length) {
      const n = this.starts.length * 2;
      const s = new Uint32Array(n); s.set(this.starts); this.starts = s;
      const a = new Uint32Array(n); a.set(this.seriesLengths); this.seriesLengths = a;
      const m = new Uint32Array(n); m.set(this.measurementLengths); this.measurementLengths = m;
    }
    this.starts[this.count] = start;
    this.seriesLengths[this.count] = seriesLen;
    this.measurementLengths[this.count] = measurementLen;
    this.count++;
    this.starts[this.count] = this.pos;
  }

  /** Drops a partly written point. */
  rollback(start: number): void {
    this.pos = start;
  }

  copy(src: Buffer, s: number, e: number): void {
    const d = this.data;
    let p = this.pos;
    // Runs of a typical line are cheaper in a JIT-compiled loop than through Buffer#copy.
    if (e - s < 512) for (let i = s; i < e; i++) d[p++] = src[i];
    else p += src.copy(d, p, s, e);
    this.pos = p;
  }

  /**
   * Appends src[s..e) lazily: consecutive canonical input lines form one run, copied with a
   * single native call when the run breaks (a native copy per short line costs more than the line).
   */
  run(src: Buffer, s: number, e: number): void {
    if (this.runSrc === src && this.runTo === s && this.runAt + (this.runTo - this.runFrom) === this.pos) {
      this.runTo = e;
    } else {
      this.flush();
      this.runSrc = src;
      this.runFrom = s;
      this.runTo = e;
      this.runAt = this.pos;
    }
    this.pos += e - s;
  }

  /** Copies the pending run; call before handing out data. */
  flush(): void {
    if (this.runSrc === undefined) return;
    this.runSrc.copy(this.data, this.runAt, this.runFrom, this.runTo);
    this.runSrc = undefined;
  }

  byte(c: number): void {
    this.data[this.pos++] = c;
  }

  latin1(s: string): void {
    this.pos += this.data.write(s, this.pos, 'latin1');
  }
}
