// Line starts of remote_write 1.0 series met in earlier requests, by the exact bytes of their labels.
// Prometheus sends the same series again and again (every scrape, every shard batch), each time with the same
// Label bytes: for a series met before, the start of its lines (measurement, sorted and escaped tags, space,
// field key, '=') is copied from here instead of its labels being checked, escaped and sorted again. That start
// is a function of the label bytes and the metric_version alone, so the copy is byte for byte the line written
// the general way. Bounded: a fixed table and a fixed arena, allocated on first use; when the arena is full
// everything is forgotten at once (a series never met before costs a hash and one copy more, nothing else). One
// per process (the route's), used by one thread.
import { randomInt } from 'node:crypto';

/** Table slots (a power of 2) and arena bytes: 2 MiB of slots + 8 MiB of labels and line starts (≈ 35,000 node_exporter series). */
const SLOTS = 1 << 16;
const ARENA = 8 << 20;
/** Slots probed from a hash's home slot; past them a new series takes the home slot. */
const PROBES = 4;
/** A series whose labels and line start take more bytes is not kept (real series take a few hundred). */
const MAX_ENTRY = 4096;
/** The request view between requests. */
const EMPTY = new DataView(new ArrayBuffer(0));

/** A slot's fields, side by side in one array (a lookup and a copy touch one cache line of it, not seven arrays). */
const HASH = 0;
const AT = 1;
const LABEL_LEN = 2;
const KEY_LEN = 3;
const KEPT = 4;
const SERIES_LEN = 5;
const MEASUREMENT_LEN = 6;
/** The clear() the slot was kept after: a slot of an earlier one is empty (a clear is one increment, not 2 MiB of stores). */
const EPOCH = 7;
const STRIDE = 8;

export class SeriesKeyCache {
  /** The hash of the labels last looked up (kept for insert()). */
  hash = 0;
  private readonly seed = randomInt(2 ** 31);
  private metricVersion = 0;
  /**
   * Per slot (STRIDE words from slot × STRIDE): hash | 1 (0: empty), where its labels start in the arena, their length,
   * the line start's length, the request that kept it (use() counts them), the series key's and the measurement's
   * length in the line start. Allocated by the first insert(), with the arena: a process without remote_write
   * requests holds none of it.
   */
  private slots = new Uint32Array(0);
  private request = 0;
  private epoch = 1;
  private arena: Buffer | undefined;
  private pos = 0;

  private arenaView: DataView | undefined;
  /** The request lookup() reads (use() sets it). */
  private req: DataView = EMPTY;

  /** Ends a request: its bytes are let go, so the cache never keeps a decoded body alive between requests. */
  done(): void {
    this.req = EMPTY;
  }

  /** Starts a request: its bytes are b; line starts are per metric_version (another one forgets them). */
  use(b: Uint8Array, metricVersion: number): void {
    this.req = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.request = (this.request + 1) >>> 0;
    if (metricVersion !== this.metricVersion) { this.clear(); this.metricVersion = metricVersion; }
  }

  /**
   * The slot of the series whose labels are exactly the request's bytes [s, e), kept by an earlier request; -1
   * when none is (then `hash` is theirs, for insert()); -2 when this request kept it, or it is never kept. A series repeated within a
   * request is not copied: Prometheus sends a series once per request, so a request of one series repeated
   * (bench:hostile's classes) costs what its first sight costs. Hash and compare read 4 bytes at a time.
   */
  lookup(s: number, e: number): number {
    const v = this.req;
    const n = e - s;
    if (n > MAX_ENTRY) return -2; // never kept: not worth a hash
    let h = this.seed ^ n;
    let i = s;
    for (; i + 4 <= e; i += 4) { h = Math.imul(h ^ v.getUint32(i, true), 0x9e3779b1); h = (h << 13) | (h >>> 19); }
    for (; i < e; i++) h = Math.imul(h ^ v.getUint8(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = ((h ^ (h >>> 13)) | 1) >>> 0;
    this.hash = h;
    const a = this.arenaView;
    if (a === undefined) return -1;
    const t = this.slots;
    for (let k = 0; k < PROBES; k++) {
      const slot = (h + k) & (SLOTS - 1);
      const f = slot * STRIDE;
      if (t[f + HASH] !== h || t[f + LABEL_LEN] !== n || t[f + EPOCH] !== this.epoch) continue;
      const p = t[f + AT];
      let j = 0;
      while (j + 4 <= n && a.getUint32(p + j, true) === v.getUint32(s + j, true)) j += 4;
      if (j + 4 <= n) continue;
      while (j < n && a.getUint8(p + j) === v.getUint8(s + j)) j++;
      if (j === n) return t[f + KEPT] === this.request ? -2 : slot;
    }
    return -1;
  }

  keyLength(slot: number): number {
    return this.slots[slot * STRIDE + KEY_LEN];
  }

  /** The series key's length in the slot's line start. */
  seriesLength(slot: number): number {
    return this.slots[slot * STRIDE + SERIES_LEN];
  }

  /** The measurement's length in the slot's line start. */
  measurementLength(slot: number): number {
    return this.slots[slot * STRIDE + MEASUREMENT_LEN];
  }

  /** Copies the line start of a slot to out[at..] (room ensured), 4 bytes at a time; returns its end. */
  copyKey(slot: number, out: DataView, at: number): number {
    const f = slot * STRIDE;
    const q = this.slots[f + AT] + this.slots[f + LABEL_LEN];
    return copy(this.arenaView as DataView, q, q + this.slots[f + KEY_LEN], out, at);
  }

  /**
   * Keeps the series whose labels are the request's bytes [s, e) (hash: `hash` of their lookup) with the start
   * of its lines k[ks, ke): series key, space, field key and '='; the series key's and the measurement's lengths.
   */
  insert(hash: number, s: number, e: number, k: DataView, ks: number, ke: number, seriesLen: number, measurementLen: number): void {
    const need = e - s + ke - ks;
    if (need > MAX_ENTRY) return;
    if (this.arena === undefined) {
      this.arena = Buffer.allocUnsafe(ARENA);
      this.arenaView = new DataView(this.arena.buffer, this.arena.byteOffset, ARENA);
      this.slots = new Uint32Array(SLOTS * STRIDE);
    }
    if (this.pos + need > ARENA) this.clear();
    const t = this.slots;
    let slot = hash & (SLOTS - 1);
    for (let k = 0; k < PROBES; k++) {
      const u = (hash + k) & (SLOTS - 1);
      if (t[u * STRIDE + HASH] === 0 || t[u * STRIDE + EPOCH] !== this.epoch) { slot = u; break; }
    }
    const a = this.arenaView as DataView;
    const f = slot * STRIDE;
    t[f + AT] = this.pos;
    this.pos = copy(k, ks, ke, a, copy(this.req, s, e, a, this.pos));
    t[f + HASH] = hash;
    t[f + LABEL_LEN] = e - s;
    t[f + KEY_LEN] = ke - ks;
    t[f + KEPT] = this.request;
    t[f + SERIES_LEN] = seriesLen;
    t[f + MEASUREMENT_LEN] = measurementLen;
    t[f + EPOCH] = this.epoch;
  }

  /** Forgets every series. */
  clear(): void {
    this.pos = 0;
    this.epoch = (this.epoch + 1) >>> 0;
    // Once in 2^32 clears the epochs start again: every slot is emptied, so no slot's epoch can match again.
    if (this.epoch === 0) { this.slots.fill(0); this.epoch = 1; }
  }
}

/** Copies from[s, e) to to[at..], 4 bytes at a time (a few hundred bytes: cheaper than a native call); returns the end. */
function copy(from: DataView, s: number, e: number, to: DataView, at: number): number {
  let i = s;
  for (; i + 4 <= e; i += 4, at += 4) to.setUint32(at, from.getUint32(i, true), true);
  for (; i < e; i++) to.setUint8(at++, from.getUint8(i));
  return at;
}
