// Tags' keys (UTF-8 byte ranges) found by their bytes in an open-addressed hash table: a request of 1,024
// attributes per list dedupes them in linear time without a string per key (a latin1 string and a Buffer view per
// key were a fifth of a hostile request's cost). The hash is seeded per process, and a probe run longer than
// MAX_PROBE (keys made to collide) turns the table into a Map of latin1 strings, as it was before.

/** Seed of the hash (per process: keys cannot be chosen to collide without it). */
const SEED = (Math.random() * 0x100000000) >>> 0;
const MAX_PROBE = 64;

/** A tag whose key is kb[ks..ke) (map.ts's Tag: more fields follow). */
export type Keyed = readonly [kb: Uint8Array, ks: number, ke: number, ...rest: unknown[]];

export class KeyTable {
  /** Per slot: 1 + the tag's index in `tags`; 0: empty. */
  private slots: Int32Array;
  private n = 0;
  /** Past maxProbe: the keys as latin1 strings (one character per byte) → index. */
  private map: Map<string, number> | undefined;

  /**
   * @param tags the tags the table's indexes refer to (a tag may be replaced by one of the same key).
   * @param maxProbe the longest probe run before the table turns into a Map (tests set it low).
   */
  constructor(private readonly tags: readonly Keyed[], private readonly maxProbe = MAX_PROBE, expected = 32) {
    let n = 64;
    while (n < 2 * expected && n < 1 << 20) n *= 2;
    this.slots = new Int32Array(n);
  }

  /** A table of tags[0..count), sized for `expected` keys in all. */
  static of(tags: readonly Keyed[], count = tags.length, maxProbe = MAX_PROBE, expected = count): KeyTable {
    const k = new KeyTable(tags, maxProbe, expected);
    for (let i = 0; i < count; i++) k.add(i);
    return k;
  }

  /** The index of the tag whose key is kb[ks..ke), or -1. */
  find(kb: Uint8Array, ks: number, ke: number): number {
    if (this.map !== undefined) return this.map.get(latin1(kb, ks, ke)) ?? -1;
    const s = this.slots, mask = s.length - 1;
    for (let i = hash(kb, ks, ke) & mask, k = 0; ; i = (i + 1) & mask, k++) {
      if (k === this.maxProbe) { this.toMap(); return this.find(kb, ks, ke); }
      const v = s[i];
      if (v === 0) return -1;
      const t = this.tags[v - 1];
      if (sameBytes(t[0], t[1], t[2], kb, ks, ke)) return v - 1;
    }
  }

  /** Adds tags[index], whose key is not in the table. */
  add(index: number): void {
    this.n++;
    if (this.map !== undefined) { const t = this.tags[index]; this.map.set(latin1(t[0], t[1], t[2]), index); return; }
    if (2 * this.n > this.slots.length) this.grow();
    if (this.map === undefined && !this.put(index)) this.toMap();
  }

  /** Puts tags[index] in its slot; false (not put) past maxProbe. */
  private put(index: number): boolean {
    const s = this.slots, mask = s.length - 1;
    const t = this.tags[index];
    let i = hash(t[0], t[1], t[2]) & mask;
    for (let k = 0; s[i] !== 0; k++) {
      if (k === this.maxProbe) return false;
      i = (i + 1) & mask;
    }
    s[i] = index + 1;
    return true;
  }

  /** The table as a Map; the tags added are tags[0..n) (map.ts adds them in order). */
  private toMap(): void {
    const m = new Map<string, number>();
    for (let i = 0; i < this.n; i++) { const t = this.tags[i]; m.set(latin1(t[0], t[1], t[2]), i); }
    this.map = m;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * old.length);
    for (let i = 0; i < old.length; i++) if (old[i] !== 0 && !this.put(old[i] - 1)) { this.toMap(); return; }
  }
}

function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

/** FNV-1a over the bytes, from a seeded basis. */
export function hash(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
  // FNV's multiply and xor carry only upward: the low bits the mask keeps would depend on the bytes' low bits
  // alone, so keys differing only in bits 6-7 of their bytes shared a slot whatever the seed. fmix32 spreads
  // every bit of the bytes and of the seed down to them.
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

function sameBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}
