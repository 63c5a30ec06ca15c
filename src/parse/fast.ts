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
 * Tries the line starting at b[s] (ns precision). The caller guarantees a '\n' at or after s: every
 * loop below stops at a newline, so none needs a bounds check. On success the canonical line (the
 * input bytes, plus `defTs` when it has no timestamp) is written to out and the index of its '\n' is
 * returned; else -1.
 */
export function fastLine(b: Buffer, s: number, out: BatchWriter, defTs: Buffer): number {
  let c = b[s];
  // Leading blanks, comments, blank lines and a measurement starting with ',' or an escape: exact path.
  // Control bytes (a leading tab, NUL or form feed...) too.
  if (c === 44 || c === 32 || c < 32 || c === 35 || c === 92) return -1;
  let i = s;
  // Measurement: up to an unescaped ',' or ' '. A backslash there needs rebuilding.
  for (;;) {
    c = b[++i];
    if (c === 44 || c === 32) break;
    if (c === 92 || c < 32) return -1; // escapes and control bytes: exact path (consumers.ts)
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
      if (c === 44 || c === 32 || c < 32) return -1;
      if (c === 92) { if ((i = skipEscape(b, i)) < 0) return -1; } else i++;
    }
    if (i === ks || (i - ks === 4 && isTime(b, ks))) return -1;
    if (pke !== 0 && cmpRange(b, pks, pke, ks, i) >= 0) return -1;
    pks = ks;
    pke = i;
    c = b[++i];
    if (c === 44 || c === 32 || c === 61 || c < 32) return -1;
    for (;;) {
      if (c === 92) { if ((i = skipEscape(b, i)) < 0) return -1; } else i++;
      c = b[i];
      if (c === 44 || c === 32) break;
      if (c === 61 || c < 32) return -1;
    }
  }
  const keyEnd = i;
  if (keyEnd - s > MAX_KEY_LENGTH) return -1;
  // Fields, after exactly one space: key=value pairs separated by ','.
  const fStart = ++i;
  c = b[i];
  if (c === 32 || c === 9 || c === 0) return -1;
  let n = 0;
  let mask = 0;
  compared = 0;
  for (;;) {
    const ks = i;
    for (;;) {
      c = b[i];
      if (c > 61) { if (c === 92) return -1; i++; continue; }
      if (c === 61) break;
      if (c === 44 || c === 32 || c === 34 || c < 32) return -1;
      i++;
    }
    const kl = i - ks;
    if (kl === 0 || kl > 0xffff) return -1;
    // A repeated key or a `time` field changes the point: exact path. A 32-bit mask of signatures
    // spares the pairwise check for almost every key.
    const sg = (kl << 16) | (b[ks] << 8) | b[i - 1];
    if (sg === TIME_SIG && isTime(b, ks)) return -1;
    const bit = 1 << (Math.imul(sg, 0x9e3779b1) >>> 27);
    if ((mask & bit) !== 0 && repeated(b, n, ks, kl, sg, i - s) !== 0) return -1;
    mask |= bit;
    if (n === FAST_FIELDS) return -1;
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
      if (i === ds) return -1;
      if (c === 105) {
        // Long literals get the range check, `007i` and `-0i` are rewritten: exact path.
        if (i - vs >= 19 || (b[ds] === 48 && (i - ds > 1 || ds !== vs))) return -1;
        c = b[++i];
      } else {
        if (c === 46) {
          i++;
          while ((c = b[i]) >= 48 && c <= 57) i++;
        }
        if (i - vs >= 25) return -1; // long floats get the exact overflow check
      }
    } else if (c === 34) {
      // A string without '"' or '\' inside is canonical.
      for (;;) {
        c = b[++i];
        if (c === 34) break;
        if (c === 92 || c === 10) return -1;
      }
      c = b[++i];
    } else if (c === 116) {
      if (b[i + 1] !== 114 || b[i + 2] !== 117 || b[i + 3] !== 101) return -1;
      c = b[i += 4];
    } else if (c === 102) {
      if (b[i + 1] !== 97 || b[i + 2] !== 108 || b[i + 3] !== 115 || b[i + 4] !== 101) return -1;
      c = b[i += 5];
    } else return -1;
    if (c === 32) break;
    if (c !== 44) {
      if (c !== 10) return -1;
      // No timestamp: the line plus the receive time (tiny lines are mostly this; the exact path costs more).
      if (keyEnd - s + 4 + (i - fStart) > MAX_KEY_LENGTH) return -1;
      out.ensure(i - s + defTs.length + 2);
      const at = out.pos;
      out.copy(b, s, i);
      out.byte(32);
      out.copy(defTs, 0, defTs.length);
      out.byte(10);
      out.commit(at, keyEnd - s, mEnd - s);
      return i;
    }
    i++;
  }
  const fEnd = i;
  if (keyEnd - s + 4 + (fEnd - fStart) > MAX_KEY_LENGTH) return -1;
  // Timestamp after exactly one space: digits, canonical (no leading zero), in range; then the line end.
  const ts = ++i;
  while ((c = b[i]) >= 48 && c <= 57) i++;
  const te = i;
  const nd = te - ts;
  if (nd === 0 || c !== 10) return -1;
  if (b[ts] === 48 ? nd !== 1 : nd > 18 && !tsInRange(b, ts, nd)) return -1;
  out.ensure(te - s + 1);
  const at = out.pos;
  out.run(b, s, te + 1); // the input's newline ends the line
  out.commit(at, keyEnd - s, mEnd - s);
  return te;
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
