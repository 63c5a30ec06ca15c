// The series keys a request's number data points were written with, by their attributes' bytes: an SDK repeats
// the same few attribute sets for every metric of a scope (20 sets × 50 metrics in an ordinary export), so the
// key (measurement, the scope's tags and the point's own, spelled, sorted and merged by series.ts) is made once
// per set and copied for the others. A key is the same bytes whenever the measurement, the scope's tags and the
// attributes' bytes are, so a hit writes what SeriesWriter would. Bounded: few attributes, short ones, a cap on
// entries and bytes, a few entries per hash; a request whose sets do not repeat stops looking.
import { MAX_OWN, type SortedTags } from './series.js';
import type { Attributes } from './model.js';

/** Longest signature (attributes' key and value bytes with their lengths) worth keeping. */
const MAX_SIGNATURE = 512;
/** Most entries and bytes per request (a request of every-point-new sets keeps at most this much). */
const MAX_ENTRIES = 4096;
const MAX_BYTES = 1 << 20;
/** Most entries per hash value (a chain is scanned: colliding sets cannot make a lookup dear). */
const MAX_CHAIN = 4;
/** After this many misses with fewer hits, the request's sets do not repeat: no more lookups. */
const GIVE_UP_MISSES = 512;
/** Most data point indexes whose last entry is remembered. */
const MAX_INDEX = 4096;

/** A kept series key, and its id (PointBatch.seriesIds: the encoder finds its partition key once per id). */
export interface CachedSeries {
  readonly key: Uint8Array;
  readonly id: number;
}

interface Entry extends CachedSeries {
  readonly measurement: Buffer;
  readonly signature: Uint8Array;
  /** The attributes it was made from: the decoder hands the same list to a data point of the same attribute bytes. */
  readonly attrs: Attributes;
  readonly next: Entry | undefined;
}

export class SeriesCache {
  private readonly table = new Map<number, Entry>();
  private scope: SortedTags | undefined;
  private entries = 0;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private off = false;
  /** The last find()'s signature and hash, for store() after a miss (pending: a miss that may be stored). */
  private readonly sig = new Uint8Array(MAX_SIGNATURE);
  private sigLen = 0;
  private hash = 0;
  private chain = 0;
  private pendingMeasurement: Buffer | undefined;
  private pendingIndex = 0;
  private pendingAttrs: Attributes = [];
  /** The last id given (ids are never reused within a request, whatever the scope). */
  private lastId = 0;
  /** The entry of the last data point at each index of a metric's points (the first MAX_INDEX). */
  private readonly byIndex: Entry[] = [];

  private remember(index: number, e: Entry): void {
    if (index < MAX_INDEX && index <= this.byIndex.length) this.byIndex[index] = e;
  }

  /**
   * The series key of a number data point of these attributes under this scope and measurement, or undefined:
   * then, when the caller writes the key on the series path, store() keeps it. Attributes are ranges of the text
   * (body below split, more above).
   */
  find(scope: SortedTags, measurement: Buffer, attrs: Attributes, body: Uint8Array, more: Uint8Array, split: number, index: number): CachedSeries | undefined {
    this.pendingMeasurement = undefined;
    if (this.off || attrs.length > 4 * MAX_OWN) return undefined;
    if (scope !== this.scope) {
      if (this.table.size) this.table.clear();
      this.byIndex.length = 0;
      this.scope = scope;
      this.entries = this.bytes = 0;
      // A scope's first data point is not kept (nothing to find yet): a request of many one-point scopes
      // costs no entry per scope.
      this.misses++;
      return undefined;
    }
    // First the set the metric before had at this index (an SDK writes every metric's sets in the same order): the
    // same list (the decoder shares it between data points of the same attribute bytes), else one comparison, no hash.
    const guess = index < this.byIndex.length ? this.byIndex[index] : undefined;
    if (guess !== undefined && guess.measurement === measurement && (guess.attrs === attrs || same(guess.signature, attrs, body, more, split))) { this.hits++; return guess; }
    this.pendingIndex = index;
    // FNV-1a over each attribute's key and value bytes and lengths, read where they are (a hit copies nothing).
    let h = 0x811c9dc5;
    let n = 0;
    for (let i = 0; i < attrs.length; i += 4) {
      const ks = attrs[i], ke = attrs[i + 1], vs = attrs[i + 2], ve = attrs[i + 3];
      if (vs < 0) return undefined;
      n += 4 + (ke - ks) + (ve - vs);
      if (n > MAX_SIGNATURE) return undefined;
      h = Math.imul(h ^ (ke - ks), 16777619);
      const kb = ks < split ? body : more, ko = ks < split ? 0 : split;
      for (let k = ks - ko, e = ke - ko; k < e; k++) h = Math.imul(h ^ kb[k], 16777619);
      h = Math.imul(h ^ (ve - vs), 16777619);
      const vb = vs < split ? body : more, vo = vs < split ? 0 : split;
      for (let k = vs - vo, e = ve - vo; k < e; k++) h = Math.imul(h ^ vb[k], 16777619);
    }
    let chain = 0;
    for (let e = this.table.get(h); e !== undefined; e = e.next, chain++) {
      if (e.measurement === measurement && e.signature.length === n && same(e.signature, attrs, body, more, split)) {
        this.hits++;
        this.remember(index, e);
        return e;
      }
    }
    if (++this.misses >= GIVE_UP_MISSES && this.hits < this.misses) { this.off = true; this.table.clear(); return undefined; }
    // The signature kept for store(): each attribute's key and value, each after its length in two bytes.
    const sig = this.sig;
    let p = 0;
    for (let i = 0; i < attrs.length; i += 4) {
      const ks = attrs[i], ke = attrs[i + 1], vs = attrs[i + 2], ve = attrs[i + 3];
      const kl = ke - ks, vl = ve - vs;
      sig[p++] = kl >> 8; sig[p++] = kl & 255;
      const kb = ks < split ? body : more, ko = ks < split ? 0 : split;
      for (let k = ks - ko, e = ke - ko; k < e; k++) sig[p++] = kb[k];
      sig[p++] = vl >> 8; sig[p++] = vl & 255;
      const vb = vs < split ? body : more, vo = vs < split ? 0 : split;
      for (let k = vs - vo, e = ve - vo; k < e; k++) sig[p++] = vb[k];
    }
    this.sigLen = n;
    this.hash = h;
    this.chain = chain;
    this.pendingMeasurement = measurement;
    this.pendingAttrs = attrs;
    return undefined;
  }

  /** Keeps d[s..e) as the series key of the last find() that missed; its id, or 0 when it may not be kept. */
  store(d: Uint8Array, s: number, e: number): number {
    const m = this.pendingMeasurement;
    if (m === undefined) return 0;
    this.pendingMeasurement = undefined;
    const size = e - s + this.sigLen;
    if (this.chain >= MAX_CHAIN || this.entries >= MAX_ENTRIES || this.bytes + size > MAX_BYTES) return 0;
    // Copies (Uint8Array's slice): the batch's bytes may be rolled back and written over.
    const key = Uint8Array.prototype.slice.call(d, s, e);
    const signature = this.sig.slice(0, this.sigLen);
    const entry: Entry = { key, id: ++this.lastId, measurement: m, signature, attrs: this.pendingAttrs, next: this.table.get(this.hash) };
    this.table.set(this.hash, entry);
    this.remember(this.pendingIndex, entry);
    this.entries++;
    this.bytes += size;
    return entry.id;
  }
}

/** The signature is that of these attributes (none of them an array or a map). */
function same(sig: Uint8Array, attrs: Attributes, body: Uint8Array, more: Uint8Array, split: number): boolean {
  let p = 0;
  for (let i = 0; i < attrs.length; i += 4) {
    const ks = attrs[i], ke = attrs[i + 1], vs = attrs[i + 2], ve = attrs[i + 3];
    if (vs < 0 || p + 4 + (ke - ks) + (ve - vs) > sig.length) return false;
    const kl = ke - ks, vl = ve - vs;
    if (sig[p++] !== kl >> 8 || sig[p++] !== (kl & 255)) return false;
    const kb = ks < split ? body : more, ko = ks < split ? 0 : split;
    for (let k = ks - ko, e = ke - ko; k < e; k++) if (sig[p++] !== kb[k]) return false;
    if (sig[p++] !== vl >> 8 || sig[p++] !== (vl & 255)) return false;
    const vb = vs < split ? body : more, vo = vs < split ? 0 : split;
    for (let k = vs - vo, e = ve - vo; k < e; k++) if (sig[p++] !== vb[k]) return false;
  }
  return p === sig.length;
}
