// A data point's series key (measurement, then its tags sorted by escaped key bytes) without PointBuilder's
// per-tag spelling and sort: the scope's tags (resource and scope attributes, shared by all its data points) are
// spelled and sorted once, and each data point's own few attributes are spelled, sorted and merged in (a data
// point's attribute wins over the scope's of its key, an extra tag such as `le` over both). Anything unusual (a
// token no record line carries, a tag key `time`, a repeated key, many attributes) makes these return false: the
// mapper then takes PointBuilder's general path, which refuses with the reasons it always gave.
import { cmpBytes, spell } from '../spell.js';
import { Byte, K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, isTimeKey } from '../grammar.js';

/** Most attributes of a data point this path merges; more take the general path. */
export const MAX_OWN = 8;

/**
 * A scope's tags sorted by key, spelled `,key=value` back to back in buf (a run of them is copied whole); per tag
 * [keyStart, keyEnd) of its key and tagEnd (a tag starts at keyStart - 1, its comma).
 */
export class SortedTags {
  constructor(readonly buf: Buffer, readonly keyStart: readonly number[], readonly keyEnd: readonly number[], readonly tagEnd: readonly number[]) {}
  get count(): number {
    return this.keyStart.length;
  }
}

/** Spells a scope's tags (add them, then sorted()). One per request: it holds scratch space only. */
export class TagSpeller {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;
  private starts: number[] = [];
  private keyEnds: number[] = [];
  private ends: number[] = [];
  private ok = true;

  reset(): this {
    this.pos = 0;
    this.starts.length = 0;
    this.keyEnds.length = 0;
    this.ends.length = 0;
    this.ok = true;
    return this;
  }

  /** A tag from UTF-8 bytes; an empty value adds nothing (as PointBuilder drops it). Keys must be distinct. */
  add(kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number): void {
    if (!this.ok || ve === vs) return;
    const end = spellTag(this, kb, ks, ke, vb, vs, ve);
    if (end < 0) { this.ok = false; return; }
    this.starts.push(this.pos);
    this.keyEnds.push(this.keyEnd);
    this.ends.push(end);
    this.pos = end;
  }

  /** The tags sorted, or undefined when one cannot be written (the general path says why). */
  sorted(): SortedTags | undefined {
    if (!this.ok) return undefined;
    const n = this.starts.length;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) idx.push(i);
    const b = this.buf;
    if (n > 1) idx.sort((x, y) => cmpBytes(b, this.starts[x], this.keyEnds[x], b, this.starts[y], this.keyEnds[y]));
    const out = Buffer.allocUnsafe(this.pos + n);
    const ks: number[] = [], ke: number[] = [], te: number[] = [];
    let p = 0;
    for (let i = 0; i < n; i++) {
      const t = idx[i];
      out[p++] = Byte.COMMA;
      ks.push(p);
      ke.push(p + this.keyEnds[t] - this.starts[t]);
      p += b.copy(out, p, this.starts[t], this.ends[t]);
      te.push(p);
    }
    return new SortedTags(out, ks, ke, te);
  }

  /** Room for n more bytes in buf. */
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    return this.buf;
  }

  get at(): number {
    return this.pos;
  }

  keyEnd = 0;
}

/** Spells `key=value` at the speller's end; its end, or -1 (a token no line carries, or the key `time`). */
function spellTag(t: { room(n: number): Buffer; readonly at: number; keyEnd: number }, kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number): number {
  if (ke === ks) return -1;
  const d = t.room(3 * (ke - ks + ve - vs) + 1);
  const at = t.at;
  const k = spell(d, at, kb, ks, ke, K_TAG_KEY);
  if (k < 0 || isTimeKey(d, at, k)) return -1;
  t.keyEnd = k;
  d[k] = Byte.EQUALS;
  return spell(d, k + 1, vb, vs, ve, K_TAG_VALUE);
}

/** The spelled measurement of a name: its bytes, or undefined when it is empty, a comment, or unspellable. */
export function spellMeasurement(name: Buffer): Buffer | undefined {
  if (name.length === 0 || name[0] === Byte.COMMENT) return undefined;
  const d = Buffer.allocUnsafe(3 * name.length);
  const end = spell(d, 0, name, 0, name.length, K_MEASUREMENT);
  return end < 0 ? undefined : d.subarray(0, end);
}

/**
 * A data point's own tags (up to MAX_OWN, spelled and sorted), then series keys made of a measurement, the
 * scope's tags and these. One per request: scratch space only.
 */
export class SeriesWriter {
  private own = Buffer.allocUnsafe(512);
  private pos = 0;
  private n = 0;
  private readonly ownStart = new Uint32Array(MAX_OWN);
  private readonly ownKeyEnd = new Uint32Array(MAX_OWN);
  private readonly ownEnd = new Uint32Array(MAX_OWN);
  private ok = true;
  keyEnd = 0;
  /** Where write() put the comma before `extra`, from `at`. */
  extraAt = 0;

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.ok = true;
  }

  /** A data point attribute; false once this path cannot take the point (too many, unspellable, `time`, a repeated key). */
  add(kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number): boolean {
    if (!this.ok || this.n === MAX_OWN) return (this.ok = false);
    const start = this.pos;
    const end = spellTag(this, kb, ks, ke, vb, vs, ve);
    if (end < 0) return (this.ok = false);
    // Insertion by key; an equal key is a repeated attribute (the general path dedupes it).
    const own = this.own;
    const ke2 = this.keyEnd;
    let j = this.n;
    while (j > 0) {
      const c = cmpBytes(own, this.ownStart[j - 1], this.ownKeyEnd[j - 1], own, start, ke2);
      if (c === 0) return (this.ok = false);
      if (c < 0) break;
      this.ownStart[j] = this.ownStart[j - 1];
      this.ownKeyEnd[j] = this.ownKeyEnd[j - 1];
      this.ownEnd[j] = this.ownEnd[j - 1];
      j--;
    }
    this.ownStart[j] = start;
    this.ownKeyEnd[j] = ke2;
    this.ownEnd[j] = end;
    this.n++;
    this.pos = end;
    return true;
  }

  room(n: number): Buffer {
    if (this.pos + n > this.own.length) {
      const next = Buffer.allocUnsafe(Math.max(2 * this.own.length, this.pos + n));
      this.own.copy(next, 0, 0, this.pos);
      this.own = next;
    }
    return this.own;
  }

  get at(): number {
    return this.pos;
  }

  /** Bytes write() may need for this measurement, scope and an extra tag of extraLen bytes. */
  seriesRoom(measurement: Buffer, scope: SortedTags, extraLen: number): number {
    return measurement.length + scope.buf.length + this.pos + this.n + extraLen + 1;
  }

  /**
   * Writes measurement + the merged tags at d[at..] (seriesRoom() ensured) and returns the end: scope tags overridden
   * by an own tag of their key are left out, own tags with an empty value too, and `extra` (extra[0..extraLen)
   * spelled `key=value`, extraKeyLen bytes of key) replaces any tag of its key.
   */
  write(d: Buffer, at: number, measurement: Buffer, scope: SortedTags, extra: Buffer | undefined, extraLen: number, extraKeyLen: number): number {
    let p = at;
    for (let k = 0; k < measurement.length; k++) d[p++] = measurement[k];
    const sb = scope.buf, sks = scope.keyStart, ske = scope.keyEnd, ste = scope.tagEnd, ns = scope.count;
    const ob = this.own, oks = this.ownStart, oke = this.ownKeyEnd, ote = this.ownEnd, no = this.n;
    let i = 0, j = 0, x = extra !== undefined;
    // The pending run of scope tags sb[rs..re), copied whole when something else comes.
    let rs = 0, re = 0;
    for (;;) {
      // The smallest key next; on a tie the own tag beats the scope's, the extra tag both.
      let src = -1;
      if (i < ns) src = 0;
      if (j < no) {
        const c = src < 0 ? -1 : cmpBytes(ob, oks[j], oke[j], sb, sks[i], ske[i]);
        if (c === 0) i++;
        if (c <= 0) src = 1;
      }
      if (x && extra) {
        const c = src < 0 ? -1 : src === 0 ? cmpBytes(extra, 0, extraKeyLen, sb, sks[i], ske[i]) : cmpBytes(extra, 0, extraKeyLen, ob, oks[j], oke[j]);
        if (c === 0) { if (src === 0) i++; else j++; }
        if (c <= 0) src = 2;
      }
      if (src === 0) {
        const s = sks[i] - 1;
        if (s !== re) { p = copy(sb, rs, re, d, p); rs = s; }
        re = ste[i++];
        continue;
      }
      p = copy(sb, rs, re, d, p);
      rs = re = 0;
      if (src < 0) break;
      let b: Buffer, s: number, e: number;
      if (src === 1) { b = ob; s = oks[j]; e = ote[j]; j++; if (e === oke[j - 1] + 1) continue; }
      else { b = extra as Buffer; s = 0; e = extraLen; x = false; this.extraAt = p - at; }
      d[p++] = Byte.COMMA;
      for (let k = s; k < e; k++) d[p++] = b[k];
    }
    return p;
  }
}

/** Copies b[s..e) to d[p..] and returns the end: short runs by a loop, long ones natively. */
function copy(b: Buffer, s: number, e: number, d: Buffer, p: number): number {
  if (e - s > 256) return p + b.copy(d, p, s, e);
  for (let k = s; k < e; k++) d[p++] = b[k];
  return p;
}
