// Series keys repeat from request to request (Telegraf sends every series each interval), though not
// back to back. Finding a point's key and shard used to cost a fresh string (UTF-8 decode of the
// series bytes) and a Map lookup hashing that string, per point. This table finds a series by its
// bytes instead: a word-wise hash and an exact comparison, nothing allocated on a hit. Hashes, lengths
// and bytes live in flat typed arrays (not one object per series), for cache locality: this runs per point.
import { seriesKeyOf } from './partition-key.js';
import { hashKeyOf, type ShardMap } from './shard-map.js';
import { DEFAULT_SERIES_CACHE_BYTES } from '../config/schema.js';

export interface SeriesEntry {
  /** The partition key (`series` method), created once per series. */
  readonly key: string;
  /** The shard map `shardId` was computed for. */
  map: ShardMap | undefined;
  shardId: string;
}

const INITIAL_SLOTS = 1024;
const INITIAL_ENTRIES = 256;
const INITIAL_ARENA_WORDS = 16_384;
/**
 * Series longer than this are looked up without being cached: Telegraf's run to a few hundred bytes, and a
 * client sending 40 KB series keys must not flush everyone else's (or fill the bound with a few entries).
 */
export const MAX_CACHED_SERIES_BYTES = 2048;
/** Per entry beyond its bytes: the entry object, its two strings' headers, slots in the typed arrays. */
const ENTRY_OVERHEAD_BYTES = 160;
/** The word reads assume little-endian; elsewhere an empty view sends every read down the byte path. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const EMPTY = new Uint32Array(0);

/**
 * Reads a byte range as 32-bit words (4 bytes per step rather than 1: this runs for every point) into
 * `out`, aligned to the range's start, the last word zero-padded; returns a hash of them.
 * `view` is the whole ArrayBuffer behind `data` as Uint32 (little-endian platforms only: the caller checks).
 */
function readWords(data: Buffer, view: Uint32Array<ArrayBufferLike>, start: number, len: number, out: Uint32Array): number {
  const abs = data.byteOffset + start;
  const full = len >>> 2;
  const wi = abs >>> 2;
  const shift = (abs & 3) * 8;
  let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
  let k = 0;
  if (wi + full < view.length) {
    if (shift === 0) {
      for (; k < full; k++) {
        const w = view[wi + k];
        out[k] = w;
        h = Math.imul(h ^ w, 0x01000193);
      }
    } else {
      const back = 32 - shift;
      for (; k < full; k++) {
        const w = ((view[wi + k] >>> shift) | (view[wi + k + 1] << back)) >>> 0;
        out[k] = w;
        h = Math.imul(h ^ w, 0x01000193);
      }
    }
  }
  // The tail (and everything, near the end of the ArrayBuffer) byte by byte.
  for (let b = k * 4; b < len; b += 4) {
    let w = 0;
    for (let j = 0; j < 4 && b + j < len; j++) w |= data[start + b + j] << (8 * j);
    w >>>= 0;
    out[b >>> 2] = w;
    h = Math.imul(h ^ w, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function sameWords(arena: Uint32Array, at: number, words: Uint32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (arena[at + i] !== words[i]) return false;
  return true;
}

function grown(a: Uint32Array<ArrayBuffer>, min: number): Uint32Array<ArrayBuffer> {
  if (a.length >= min) return a;
  const b = new Uint32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Bytes held by every series cache of this process, by their estimates (`kinflux_series_cache_bytes`). Each cache
 * keeps its share in an account, so a cache that is dropped without reset() leaves the sum when it is collected.
 */
let processHeldBytes = 0;
const dropped = new FinalizationRegistry<{ bytes: number }>((account) => (processHeldBytes -= account.bytes));
export const seriesCachesHeldBytes = (): number => processHeldBytes;

export class SeriesKeyCache {
  /** Open addressing: entry index + 1 (0 = empty) and that entry's hash, per slot. */
  private table = new Uint32Array(INITIAL_SLOTS);
  private tableHash = new Uint32Array(INITIAL_SLOTS);
  private entries: SeriesEntry[] = [];
  /** Per entry: hash, byte length, offset of its words in `arena`. */
  private hashes = new Uint32Array(INITIAL_ENTRIES);
  private lens = new Uint32Array(INITIAL_ENTRIES);
  private offs = new Uint32Array(INITIAL_ENTRIES);
  /** Every entry's series bytes as little-endian words, the last one of each zero-padded. */
  private arena = new Uint32Array(INITIAL_ARENA_WORDS);
  private arenaUsed = 0;
  /** What the entries cost, by the estimate of add(); kept under maxBytes. */
  private readonly account = { bytes: 0 };
  private scratch = new Uint32Array(64);
  /**
   * Uint32 view of the ArrayBuffer behind the Buffer being looked up in, for one batch only: release() drops
   * both, or they would keep the last batch's output (reserved at its largest, tens of MiB) alive while idle.
   */
  private viewFor: Buffer | undefined;
  private view: Uint32Array<ArrayBufferLike> = EMPTY;

  /** `maxBytes` bounds the entries and the arrays holding them (typed arrays grow by doubling: at most 2×). */
  constructor(private readonly maxBytes = DEFAULT_SERIES_CACHE_BYTES) {
    dropped.register(this, this.account);
  }

  /** Estimated bytes held, for tests and metrics. */
  get heldBytes(): number {
    return this.account.bytes;
  }

  /** The entry for the series bytes `data[start .. start+len)`. */
  lookup(data: Buffer, start: number, len: number): SeriesEntry {
    if (len > MAX_CACHED_SERIES_BYTES) {
      const key = seriesKeyOf(data, start, len);
      return { key, map: undefined, shardId: '' };
    }
    const nWords = (len + 3) >>> 2;
    if (this.scratch.length < nWords) this.scratch = new Uint32Array(nWords * 2);
    if (data !== this.viewFor) {
      this.viewFor = data;
      this.view = LITTLE_ENDIAN ? new Uint32Array(data.buffer, 0, data.buffer.byteLength >>> 2) : EMPTY;
    }
    const words = this.scratch;
    const h = readWords(data, this.view, start, len, words);
    const table = this.table;
    const mask = table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = table[i];
      if (id === 0) break;
      if (this.tableHash[i] === h) {
        const e = id - 1;
        if (this.lens[e] === len && sameWords(this.arena, this.offs[e], words, nWords)) return this.entries[e];
      }
    }
    // Crude bound, as for any cache of client-chosen keys: dropping everything keeps memory flat under churn,
    // and hands the arrays back rather than keeping them at their largest.
    if (this.account.bytes + this.costOf(len, nWords) > this.maxBytes) this.reset();
    return this.add(h, data, start, len, nWords);
  }

  /** Lets go of the buffer the last lookups read (call once a batch is done): the cache keeps only copies. */
  release(): void {
    this.viewFor = undefined;
    this.view = EMPTY;
  }

  /** The shard of an entry's key in `map`, remembered per entry until the map changes. */
  shardIdOf(e: SeriesEntry, map: ShardMap): string {
    if (e.map !== map) {
      e.shardId = map.shardIdOf(hashKeyOf(e.key));
      e.map = map;
    }
    return e.shardId;
  }

  /** Bytes an entry costs: its words, its key string (up to 2 bytes a character; counted twice, a margin), the rest. */
  private costOf(len: number, nWords: number): number {
    return nWords * 4 + 4 * Math.min(len, 260) + ENTRY_OVERHEAD_BYTES;
  }

  private add(h: number, data: Buffer, start: number, len: number, nWords: number): SeriesEntry {
    const cost = this.costOf(len, nWords);
    this.account.bytes += cost;
    processHeldBytes += cost;
    const key = seriesKeyOf(data, start, len);
    const entry: SeriesEntry = { key, map: undefined, shardId: '' };
    const e = this.entries.length;
    this.entries.push(entry);
    this.hashes = grown(this.hashes, e + 1);
    this.lens = grown(this.lens, e + 1);
    this.offs = grown(this.offs, e + 1);
    this.arena = grown(this.arena, this.arenaUsed + nWords);
    this.hashes[e] = h;
    this.lens[e] = len;
    this.offs[e] = this.arenaUsed;
    this.arena.set(this.scratch.subarray(0, nWords), this.arenaUsed);
    this.arenaUsed += nWords;
    // Grow at half full, so probes stay short.
    if (this.entries.length * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.place(e);
    return entry;
  }

  private place(e: number): void {
    const h = this.hashes[e];
    const mask = this.table.length - 1;
    let i = h & mask;
    while (this.table[i] !== 0) i = (i + 1) & mask;
    this.table[i] = e + 1;
    this.tableHash[i] = h;
  }

  private rehash(n: number): void {
    this.table = new Uint32Array(n);
    this.tableHash = new Uint32Array(n);
    for (let e = 0; e < this.entries.length; e++) this.place(e);
  }

  /** Drops every entry and gives the arrays' memory back (new small ones replace them). */
  reset(): void {
    this.table = new Uint32Array(INITIAL_SLOTS);
    this.tableHash = new Uint32Array(INITIAL_SLOTS);
    this.entries = [];
    this.hashes = new Uint32Array(INITIAL_ENTRIES);
    this.lens = new Uint32Array(INITIAL_ENTRIES);
    this.offs = new Uint32Array(INITIAL_ENTRIES);
    this.arena = new Uint32Array(INITIAL_ARENA_WORDS);
    this.arenaUsed = 0;
    processHeldBytes -= this.account.bytes;
    this.account.bytes = 0;
  }
}
