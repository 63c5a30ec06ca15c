// One-pass fast path for the common case: a line that is already canonical (Telegraf's usual output).
// It validates and finds the line end in a single scan, then queues the line for one bulk copy.
// It is conservative: anything it does not fully understand (escapes other than a backslash in a tag,
// non-canonical values, duplicates, unsorted tags, odd whitespace, errors) makes it return -1 and
// write nothing, and the exact path (scan.ts + emit.ts) handles the line from its start. So it only
// needs to accept a subset of what the exact path accepts, with the same output bytes.
import { BatchWriter } from './out.js';
import { MAX_KEY_LENGTH } from './limits.js';
import { cmpRange } from './scan.js';

/** Per field key of the current line: start and a signature (length, first and last byte). Reused. */
let keyStart = new Int32Array(64);
let keySig = new Int32Array(64);
const TIME_SIG = (4 << 16) | (116 << 8) | 101;

function isTime(b: Uint8Array, s: number): boolean {
  return b[s] === 116 && b[s + 1] === 105 && b[s + 2] === 109 && b[s + 3] === 101;
}

/**
 * A tag key or value byte may be escaped. Returns where scanning goes on, or -1 to leave the line to
 * the exact path: the exact scanner treats a byte after any backslash as escaped, InfluxDB's line
 * splitter pairs backslashes; they agree (and the byte skipped is not a newline) unless a backslash
 * or a control byte follows, which is rare.
 */
function skipEscape(b: Uint8Array, i: number): number {
  const d = b[i + 1];
  // `\"` also goes to the exact path: Telegraf unescapes it in tags, InfluxDB does not (consumers.ts).
  return d === 92 || d < 32 || d === 34 ? -1 : i + 2;
}

/** Most fields the fast path takes in one line; longer lines go to the exact path (hashing, linear). */
const FAST_FIELDS = 256;

/** Boolean values of the current line to rewrite (`t` → `true`...): start, end, which. At most one per field. */
const rwAt = new Int32Array(FAST_FIELDS + 1);
const rwEnd = new Int32Array(FAST_FIELDS + 1);
const rwTrue = new Uint8Array(FAST_FIELDS + 1);
let nRw = 0;

/** Bytes compared by repeated() so far in this line: it may not exceed the line's bytes. */
let compared = 0;

/**
 * Field key j (from `ks`, `kl` bytes) repeats an earlier one: compared on the bytes. Returns 1 when it
 * does, 0 when not, -1 when the comparisons of this line would cost more than the line has bytes
 * (keys crafted to share a signature): the exact path's hash table then takes the line.
 */
function repeated(b: Uint8Array, n: number, ks: number, kl: number, sg: number, budget: number): number {
  for (let j = 0; j < n; j++) {
    if (keySig[j] !== sg) continue;
    if ((compared += kl) > budget) return -1;
    const o = keyStart[j];
    let k = 0;
    while (k < kl && b[o + k] === b[ks + k]) k++;
    if (k === kl) return 1;
  }
  return 0;
}

/**
 * Takes the lines from b[s] (ns precision) while each is already canonical (or only needs its
 * booleans spelled `true`/`false`, or the receive time appended), up to `end` or until out holds more
 * than `limit` points. The caller guarantees a '\n' at or after every line start below `end`: every
 * loop stops at a newline, so none needs a bounds check. Each line taken is written to out (the input
 * bytes, booleans respelled, and out's tail (a space, the receive time, a newline; `tailLength` bytes)
 * when it has no timestamp); `line` is the body line at s. Returns where it stopped: the start of the first line it did not take,
 * untouched, for the exact path. One call runs over many lines: a call per tiny line cost more than
 * the line.
 */
export function fastLines(b: Buffer, s: number, end: number, out: BatchWriter, tailLength: number, limit: number, line: number): number {
  out.refusedAt = -1;
  lines: while (s < end) {
    let c = b[s];
    // Leading blanks, comments, blank lines and a measurement starting with ',' or an escape: exact path.
    // Control bytes (a leading tab, NUL or form feed...) too.
    if (c === 44 || c === 32 || c < 32 || c === 35 || c === 92) return s;
    let i = s;
    // Measurement: up to an unescaped ',' or ' '. A backslash there needs rebuilding.
    for (;;) {
      c = b[++i];
      if (c === 44 || c === 32) break;
      if (c === 92 || c < 32) return s; // escapes and control bytes: exact path (consumers.ts)
    }
    const mEnd = i;
    // Tags: sorted by escaped key, no duplicates, no `time` key, no value starting with '=';
    // escaped bytes are copied as they are (canonical), so a backslash in a tag is fine.
    let pks = 0;
    let pke = 0;
    while (c === 44) {
      const ks = ++i;
      for (;;) {
        c = b[i];
        if (c === 61) break;
        if (c === 44 || c === 32 || c < 32) return s;
        if (c === 92) { if ((i = skipEscape(b, i)) < 0) return s; } else i++;
      }
      if (i === ks || (i - ks === 4 && isTime(b, ks))) return s;
      if (pke !== 0 && cmpRange(b, pks, pke, ks, i) >= 0) return s;
      pks = ks;
      pke = i;
      c = b[++i];
      if (c === 44 || c === 32 || c === 61 || c < 32) return s;
      for (;;) {
        if (c === 92) { if ((i = skipEscape(b, i)) < 0) return s; } else i++;
        c = b[i];
        if (c === 44 || c === 32) break;
        if (c === 61 || c < 32) return s;
      }
    }
    const keyEnd = i;
    if (keyEnd - s > MAX_KEY_LENGTH) return s;
    // Fields, after exactly one space: key=value pairs separated by ','.
    const fStart = ++i;
    c = b[i];
    if (c === 32 || c === 9 || c === 0) return s;
    let n = 0;
    let mask = 0;
    compared = 0;
    nRw = 0;
    for (;;) {
      const ks = i;
      for (;;) {
        c = b[i];
        if (c > 61) { if (c === 92) return s; i++; continue; }
        if (c === 61) break;
        if (c === 44 || c === 32 || c === 34 || c < 32) return s;
        i++;
      }
      const kl = i - ks;
      if (kl === 0 || kl > 0xffff) return s;
      // A repeated key or a `time` field changes the point: exact path. A 32-bit mask of signatures
      // spares the pairwise check for almost every key.
      const sg = (kl << 16) | (b[ks] << 8) | b[i - 1];
      if (sg === TIME_SIG && isTime(b, ks)) return s;
      const bit = 1 << (Math.imul(sg, 0x9e3779b1) >>> 27);
      if ((mask & bit) !== 0 && repeated(b, n, ks, kl, sg, i - s) !== 0) return s;
      mask |= bit;
      if (n === FAST_FIELDS) return s;
      if (n === keyStart.length) growKeys();
      keyStart[n] = ks;
      keySig[n] = sg;
      n++;
      c = b[++i];
      const vs = i;
      if ((c >= 48 && c <= 57) || c === 45) {
        // -?digits, then 'i', or '.' and digits: numbers keep their text, so these are canonical.
        // Long literals (range checks) and other spellings go to the exact path.
        if (c === 45) i++;
        const ds = i;
        while ((c = b[i]) >= 48 && c <= 57) i++;
        if (i === ds) return s;
        if (c === 105) {
          // Long literals get the range check, `007i` and `-0i` are rewritten: exact path.
          if (i - vs >= 19 || (b[ds] === 48 && (i - ds > 1 || ds !== vs))) return s;
          c = b[++i];
        } else {
          if (c === 46) {
            i++;
            while ((c = b[i]) >= 48 && c <= 57) i++;
          }
          if (i - vs >= 25) return s; // long floats get the exact overflow check
        }
      } else if (c === 34) {
        // A string without '"' or '\' inside is canonical.
        for (;;) {
          c = b[++i];
          if (c === 34) break;
          if (c === 92 || c === 10) return s;
        }
        c = b[++i];
      } else if (c === 116 || c === 84 || c === 102 || c === 70) {
        // Booleans: `true` and `false` are canonical; the other eight spellings are rewritten (queued
        // here, written at the end). A longer word fails on the byte after it.
        const c1 = b[i + 1];
        const len = c1 === 44 || c1 === 32 || c1 === 10 ? 1 : boolLength(b, i, c);
        if (len === 0) return s;
        if (len !== 4 || c !== 116) {
          if (len !== 5 || c !== 102) {
            rwAt[nRw] = i;
            rwEnd[nRw] = i + len;
            rwTrue[nRw] = c === 116 || c === 84 ? 1 : 0;
            nRw++;
          }
        }
        c = b[i += len];
      } else {
        // No value of any type starts with this byte (numbers also start with `.`, `N`, `n`, and
        // fail later): the exact path will refuse the line here.
        if (c !== 46 && c !== 78 && c !== 110) out.refusedAt = s;
        return s;
      }
      if (c === 32) break;
      if (c !== 44) {
        if (c !== 10) return s;
        // No timestamp: the line plus the receive time (tiny lines are mostly this; the exact path costs more).
        if (keyEnd - s + 4 + (i - fStart) > MAX_KEY_LENGTH) return s;
        out.ensure(i - s + 4 * nRw + tailLength);
        const at = out.pos;
        const d = out.data;
        out.pos = out.putTail(nRw === 0 ? copyBytes(d, at, b, s, i) : writeRewritten(out, at, b, s, i));
        out.commit(at, keyEnd - s, mEnd - s, line++);
        s = i + 1;
        if (out.count > limit) return s;
        continue lines;
      }
      i++;
    }
    const fEnd = i;
    if (keyEnd - s + 4 + (fEnd - fStart) > MAX_KEY_LENGTH) return s;
    // Timestamp after exactly one space: digits, canonical (no leading zero), in range; then the line end.
    const ts = ++i;
    while ((c = b[i]) >= 48 && c <= 57) i++;
    const te = i;
    const nd = te - ts;
    if (nd === 0 || c !== 10) return s;
    if (b[ts] === 48 ? nd !== 1 : nd > 18 && !tsInRange(b, ts, nd)) return s;
    out.ensure(te - s + 1 + 4 * nRw);
    const at = out.pos;
    if (nRw === 0) out.run(b, s, te + 1); // the input's newline ends the line
    else { out.flush(); out.pos = writeRewritten(out, at, b, s, te + 1); }
    out.commit(at, keyEnd - s, mEnd - s, line++);
    s = te + 1;
    if (out.count > limit) return s;
  }
  return s;
}

/** fastLines on the one line at s: the index of its '\n' when taken, else -1 (for tests). */
export function fastLine(b: Buffer, s: number, out: BatchWriter, tailLength: number): number {
  const n = out.count;
  const next = fastLines(b, s, s + 1, out, tailLength, Infinity, 1);
  return out.count > n ? next - 1 : -1;
}

/** Length of the boolean spelling at b[i] (first byte c), or 0. 1.x's ten: t T true True TRUE, f F false False FALSE. */
function boolLength(b: Uint8Array, i: number, c: number): number {
  const c1 = b[i + 1];
  if (c === 116) return c1 === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? 4 : 1;
  if (c === 102) return c1 === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 ? 5 : 1;
  if (c === 84) {
    if (c1 === 114) return b[i + 2] === 117 && b[i + 3] === 101 ? 4 : 0;
    if (c1 === 82) return b[i + 2] === 85 && b[i + 3] === 69 ? 4 : 0;
    return 1;
  }
  if (c1 === 97) return b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 ? 5 : 0;
  if (c1 === 65) return b[i + 2] === 76 && b[i + 3] === 83 && b[i + 4] === 69 ? 5 : 0;
  return 1;
}

/** Copies src[s..e) to d at p; returns the end. */
function copyBytes(d: Uint8Array, p: number, src: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) d[p++] = src[k];
  return p;
}

/** `true` and `fals` as little-endian words: one store each. */
const TRUE_LE = 0x65757274;
const FALS_LE = 0x736c6166;

/** Writes b[s..e) to out's data at p with the queued boolean rewrites applied; returns the end. */
function writeRewritten(out: BatchWriter, p: number, b: Uint8Array, s: number, e: number): number {
  const d = out.data;
  const v = out.view;
  let from = s;
  for (let r = 0; r < nRw; r++) {
    p = copyBytes(d, p, b, from, rwAt[r]);
    if (rwTrue[r] === 1) { v.setUint32(p, TRUE_LE, true); p += 4; }
    else { v.setUint32(p, FALS_LE, true); d[p + 4] = 101; p += 5; }
    from = rwEnd[r];
  }
  return copyBytes(d, p, b, from, e);
}

const MAX_TS = '9223372036854775806';

/** nd digits at ts (no sign, no leading zero) are at most InfluxDB's largest timestamp. */
function tsInRange(b: Uint8Array, ts: number, nd: number): boolean {
  if (nd !== 19) return false;
  for (let k = 0; k < 19; k++) {
    const d = b[ts + k] - MAX_TS.charCodeAt(k);
    if (d !== 0) return d < 0;
  }
  return true;
}

function growKeys(): void {
  const s = new Int32Array(keyStart.length * 2);
  s.set(keyStart);
  keyStart = s;
  const g = new Int32Array(keySig.length * 2);
  g.set(keySig);
  keySig = g;
}
