// The encoded points of one record, back to back in one buffer the record owns, and where each ends. A point's
// bytes are copied once, from the parse output into its record; the record's data is then a view of that
// buffer (no concatenation at seal time), and no Buffer or string is made per point. Records wait in the
// queue for their shard's turn: per-point views kept them alive long enough to be promoted to the old
// generation (a fifth of kinflux's CPU was the garbage collector), and kept every request's parse output
// alive until the last record holding one of its points was sent.

import type { BufferPool } from './buffer-pool.js';

/** Smallest buffer a record starts with: about ten Telegraf lines. */
const MIN_CAPACITY = 2048;

const EMPTY = Buffer.alloc(0);

export class PointBytes {
  private buf: Buffer;
  private readonly ends: number[] = [];
  private used = 0;

  /**
   * `maxCapacity`: growth by doubling stops there (the record's budget), unless a point needs more. With a `pool`
   * the buffers come from it, and go back to it when outgrown and at recycle().
   */
  constructor(
    capacity = MIN_CAPACITY,
    private readonly maxCapacity = Number.MAX_SAFE_INTEGER,
    private pool?: BufferPool,
  ) {
    this.buf = pool ? pool.take(Math.max(0, capacity)) : Buffer.allocUnsafe(Math.max(0, capacity));
  }

  /** Points of these buffers, in order (tests, and callers holding whole Buffers). */
  static of(parts: readonly Uint8Array[]): PointBytes {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new PointBytes(n);
    for (const p of parts) out.push(p, 0, p.length);
    return out;
  }

  /** Number of points. */
  get length(): number {
    return this.ends.length;
  }

  /** Sum of the points' lengths. */
  get byteLength(): number {
    return this.used;
  }

  /** Appends bytes [start, end) of `src` as one point. */
  push(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const need = this.used + n;
    if (need > this.buf.length) this.grow(need);
    this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.used);
    this.used = need;
    this.ends.push(need);
  }

  /** Appends point i of `other`. */
  pushFrom(other: PointBytes, i: number): void {
    this.push(other.buf, other.startOf(i), other.ends[i]);
  }

  /** Offset of point i's first byte. */
  startOf(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1];
  }

  /** Length of point i. */
  lengthOf(i: number): number {
    return this.ends[i] - this.startOf(i);
  }

  /** A view of point i (KPL aggregates and re-sends: off the default path). */
  at(i: number): Buffer {
    return this.buf.subarray(this.startOf(i), this.ends[i]);
  }

  /** A view of every point's bytes, back to back: the record's data with line records. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.used);
  }

  /** A copy of points [from, to) (a record split in two). */
  slice(from: number, to = this.length): PointBytes {
    const a = from < to ? this.startOf(from) : 0;
    const b = from < to ? this.ends[to - 1] : 0;
    const out = new PointBytes(b - a);
    out.buf.set(this.buf.subarray(a, b), 0);
    out.used = b - a;
    for (let i = from; i < to; i++) out.ends.push(this.ends[i] - a);
    return out;
  }

  /**
   * The record is done (stored or dropped): its buffer goes back to the pool, once. Only then: no view of it
   * (bytes(), at()) may be read afterwards; the points' count and ends stay.
   */
  recycle(): void {
    const pool = this.pool;
    if (!pool) return;
    this.pool = undefined;
    pool.give(this.buf);
    this.buf = EMPTY;
  }

  private grow(need: number): void {
    const cap = Math.max(need, Math.min(this.maxCapacity, Math.max(MIN_CAPACITY, this.buf.length * 2)));
    const next = this.pool ? this.pool.take(cap) : Buffer.allocUnsafe(cap);
    next.set(this.buf.subarray(0, this.used), 0);
    // An open record's buffer: nothing holds a view of it yet (views are taken once it is sealed).
    this.pool?.give(this.buf);
    this.buf = next;
  }
}
