// Growable output of canonical lines plus the per-point offset columns (the PointBatch).
import type { PointBatch } from './types.js';

/** Bytes written often, kept as 4-byte words (little-endian) and the rest: BatchWriter.putRun() stores a word at a time. */
export class ByteRun {
  readonly words: Int32Array;
  readonly rest: Uint8Array;
  readonly length: number;

  constructor(b: Uint8Array) {
    const n = b.length >> 2;
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    this.words = new Int32Array(n);
    for (let k = 0; k < n; k++) this.words[k] = v.getInt32(4 * k, true);
    this.rest = b.slice(4 * n);
    this.length = b.length;
  }
}

export class BatchWriter {
  data: Buffer;
  pos = 0;
  count = 0;
  starts: Uint32Array;
  seriesLengths: Uint32Array;
  measurementLengths: Uint32Array;
  lines: Uint32Array;
  /** Lines the caller expects in all, when it knows (0: not known); used under a cap only. */
  expectLines: number;
  /** PointBatch.seriesIds: made by the first setSeriesId(). */
  seriesIds: Uint32Array | undefined;

  /** A run of input bytes already counted in pos but not yet copied (see run()). */
  private runSrc: Buffer | undefined;
  private runFrom = 0;
  private runTo = 0;
  private runAt = 0;

  /**
   * Set by fastLines: where the line it stopped at starts, when it stopped at a field value no type can
   * start with (the exact path refuses that line: its error text is all it would add); -1 otherwise.
   */
  refusedAt = -1;

  /** A view of data for 4-byte stores at any offset (kept in step with data). */
  view: DataView;
  /** The tail of a point without timestamp (space, receive time, newline): 4-byte words, then the rest. */
  private tail = new ByteRun(new Uint8Array(0));

  /**
   * @param cap when not 0: the most the caller writes, but for a last point past it (OTLP's mapped-bytes bound).
   * Up to it the buffer grows by doubling (half the copies of growing by half), never past it but for that point
   * (grown at once to the cap and a sixteenth when the lines expected need more: room for that point).
   */
  constructor(bytes: number, points: number, private readonly cap = 0) {
    this.expectLines = 0;
    this.data = Buffer.allocUnsafe(Math.max(256, bytes));
    this.view = new DataView(this.data.buffer, this.data.byteOffset, this.data.length);
    const n = Math.max(16, points);
    this.starts = new Uint32Array(n + 1);
    this.seriesLengths = new Uint32Array(n);
    this.measurementLengths = new Uint32Array(n);
    this.lines = new Uint32Array(n);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.data.length) return;
    this.flush();
    // Grown by half: a hostile body that expands (t → true, added timestamps) overshoots less. Under a cap, doubled
    // up to it: no more room than the cap allows, and a large output (an exponential histogram's million bucket
    // lines) is copied half as often.
    const len = this.data.length;
    let grown = this.cap > len ? Math.min(2 * len, this.cap) : len + (len >> 1);
    // All the lines expected at the average line so far (an eighth more), at once: one copy, not one per doubling.
    // When they need more than the cap, the caller stops past it after the point that crosses it: a sixteenth
    // more than the cap holds that point (an exponential histogram's 8,194 bucket lines), not a copy of it all.
    if (this.cap > len && this.expectLines > this.count && this.count > 0) {
      const need = Math.ceil((this.expectLines * this.pos) / this.count);
      grown = need + (need >> 3) > this.cap ? this.cap + (this.cap >> 4) : Math.max(grown, need + (need >> 3));
    }
    const next = Buffer.allocUnsafe(Math.max(grown, this.pos + n));
    this.data.copy(next, 0, 0, this.pos);
    this.data = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  /** Sets the tail putTail writes. */
  setTail(tail: Buffer): void {
    this.tail = new ByteRun(tail);
  }

  /** Length of the tail. */
  tailLength(): number {
    return this.tail.length;
  }

  /**
   * Writes the tail at p (room ensured), returns its end. Four bytes per store: for tiny points the
   * tail is most of the output, and byte stores were most of their cost.
   */
  putTail(p: number): number {
    return this.writeRun(p, this.tail);
  }

  /** Appends a ByteRun (room ensured here): a word per store, cheaper than a byte loop for tens of bytes. */
  putRun(run: ByteRun): void {
    this.ensure(run.length);
    this.pos = this.writeRun(this.pos, run);
  }

  /** Writes `run` at p (room ensured), returns its end. */
  private writeRun(p: number, run: ByteRun): number {
    const v = this.view;
    const w = run.words;
    for (let k = 0; k < w.length; k++, p += 4) v.setInt32(p, w[k], true);
    const r = run.rest;
    const d = this.data;
    for (let k = 0; k < r.length; k++) d[p++] = r[k];
    return p;
  }

  /** Records a finished point [start, pos), from the body's line `line`. */
  commit(start: number, seriesLen: number, measurementLen: number, line: number): void {
    if (this.count + 1 >= this.starts.length) {
      const n = this.starts.length * 2;
      const s = new Uint32Array(n); s.set(this.starts); this.starts = s;
      const a = new Uint32Array(n); a.set(this.seriesLengths); this.seriesLengths = a;
      const m = new Uint32Array(n); m.set(this.measurementLengths); this.measurementLengths = m;
      const l = new Uint32Array(n); l.set(this.lines); this.lines = l;
      if (this.seriesIds !== undefined) { const x = new Uint32Array(n); x.set(this.seriesIds); this.seriesIds = x; }
    }
    // A point index reused after a rollback of committed points must not keep the id of the point before.
    if (this.seriesIds !== undefined) this.seriesIds[this.count] = 0;
    this.starts[this.count] = start;
    this.seriesLengths[this.count] = seriesLen;
    this.measurementLengths[this.count] = measurementLen;
    this.lines[this.count] = line;
    this.count++;
    this.starts[this.count] = this.pos;
  }

  /** Point i's series key bytes are those of every point given the same nonzero id (PointBatch.seriesIds). */
  setSeriesId(i: number, id: number): void {
    if (this.seriesIds === undefined) this.seriesIds = new Uint32Array(this.starts.length);
    this.seriesIds[i] = id;
  }

  /** Drops a partly written point (PointBuilder). */
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

  /** The points written so far as a PointBatch: views of this writer's buffer and columns (pending run copied). */
  batch(): PointBatch {
    this.flush();
    return {
      data: this.data.subarray(0, this.pos),
      count: this.count,
      starts: this.starts.subarray(0, this.count + 1),
      seriesLengths: this.seriesLengths.subarray(0, this.count),
      measurementLengths: this.measurementLengths.subarray(0, this.count),
      lines: this.lines.subarray(0, this.count),
      seriesIds: this.seriesIds?.subarray(0, this.count),
    };
  }

  /** Copies the pending run; call before handing out data. */
  flush(): void {
    const src = this.runSrc;
    if (src === undefined) return;
    // A short run (a lone line between lines that were not copied) is cheaper in a loop.
    if (this.runTo - this.runFrom < 128) {
      const d = this.data;
      let p = this.runAt;
      for (let i = this.runFrom; i < this.runTo; i++) d[p++] = src[i];
    } else src.copy(this.data, this.runAt, this.runFrom, this.runTo);
    this.runSrc = undefined;
  }

  byte(c: number): void {
    this.data[this.pos++] = c;
  }

  latin1(s: string): void {
    this.pos += this.data.write(s, this.pos, 'latin1');
  }
}
