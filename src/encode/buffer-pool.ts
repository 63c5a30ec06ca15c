// Record buffers, reused. A record's buffer lives while the record waits for its shard's turn and its call, long
// enough for V8 to promote it; promoted or not, every fresh Buffer's bytes count against V8's old-generation
// limit until a collection frees it, so a steady flow of new record buffers (a copy of every point, twice over
// with growth by doubling) was a third of kinflux's external allocations and a main cause of its mark-compacts.
// Buffers come in power-of-two sizes, each its own allocation (never a slice of Node's shared pool), and come
// back only through PointBytes.recycle(): once, when the record is done (StreamQueue.release).

/** Smallest and largest pooled sizes; others are allocated (and left to the GC) as before. */
export const MIN_POOLED = 2048;
export const MAX_POOLED = 1024 * 1024;

export class BufferPool {
  /** Free buffers by size class (log2 of the size). */
  private readonly free = new Map<number, Buffer[]>();
  private idle = 0;

  /** `maxIdleBytes`: at most this many bytes kept between uses. */
  constructor(private readonly maxIdleBytes: number) {}

  /** Bytes kept for reuse now. */
  get idleBytes(): number {
    return this.idle;
  }

  /** A buffer of at least `n` bytes (its length is its capacity). */
  take(n: number): Buffer {
    if (n > MAX_POOLED) return Buffer.allocUnsafe(n);
    const size = Math.max(MIN_POOLED, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
    const buf = this.free.get(size)?.pop();
    if (buf) {
      this.idle -= size;
      return buf;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Keeps a buffer take() made, if there is room; the caller must hold no view of it any more. */
  give(buf: Buffer): void {
    const size = buf.length;
    const pooled = size >= MIN_POOLED && size <= MAX_POOLED && (size & (size - 1)) === 0 && buf.byteOffset === 0 && buf.buffer.byteLength === size;
    if (!pooled || this.idle + size > this.maxIdleBytes) return;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.idle += size;
  }
}
