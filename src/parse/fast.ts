// One-pass fast path for the common case: a line that is already canonical (Telegraf's usual output).
// It validates and finds the line end in a single scan, then queues the line for one bulk copy.
// It holds no rule of its own: every token must be made of the bytes grammar.ts calls plain for its kind
// (so it is canonical as written: test/parse/grammar.test.ts), every value canonical by grammar.ts's
// rules. Anything else (escapes other than a backslash in a tag, non-canonical values, duplicates,
// unsorted tags, odd whitespace, errors) makes it stop and write nothing of the line, and the exact path
// (scan.ts + emit.ts) takes the line from its start. It accepts a subset of what the exact path accepts,
// with the same output bytes (test/parse/fast-path.test.ts).
import { BatchWriter } from './out.js';
import { FAST_FIELDS, ParseScratch } from './state.js';
import { cmpRange } from './scan.js';
import {
  Byte, MAX_KEY_LENGTH, SAFE_FLOAT_CHARS, SAFE_INT_DIGITS, TIME_KEY_SIGNATURE, booleanCanonical, booleanValue, escapedPlainInTag,
  intCanonical, isTimeKey, keySignature, plainInFieldKey, plainInMeasurement, plainInString, plainInTagKey, plainInTagValue,
  startsBoolean, startsNumber, timestampCanonical,
} from './grammar.js';

// Local names of the grammar's predicates: V8 inlines a module's own constants more readily than imports.
const mPlain = plainInMeasurement;
const tkPlain = plainInTagKey;
const tvPlain = plainInTagValue;
const fkPlain = plainInFieldKey;
const sPlain = plainInString;
const escPlain = escapedPlainInTag;
const boolValue = booleanValue;
const boolCanonical = booleanCanonical;
const isBool = startsBoolean;
const isNumber = startsNumber;
const intOk = intCanonical;
const tsOk = timestampCanonical;
const isTime = isTimeKey;
const signature = keySignature;
const MAX_KEY = MAX_KEY_LENGTH;
const INT_DIGITS = SAFE_INT_DIGITS;
const FLOAT_CHARS = SAFE_FLOAT_CHARS;
const TIME_SIGNATURE = TIME_KEY_SIGNATURE;

/**
 * Field key j (from `ks`, `kl` bytes) repeats an earlier one, compared on the bytes: -1 when it does,
 * -2 when the comparisons would cost more than `room` bytes (keys crafted to share a signature: the
 * exact path's hash table then takes the line), else the bytes compared.
 */
function repeated(b: Uint8Array, sc: ParseScratch, n: number, ks: number, kl: number, sg: number, room: number): number {
  const keySig = sc.keySig;
  const keyStart = sc.keyStart;
  let spent = 0;
  for (let j = 0; j < n; j++) {
    if (keySig[j] !== sg) continue;
    if ((spent += kl) > room) return -2;
    const o = keyStart[j];
    let k = 0;
    while (k < kl && b[o + k] === b[ks + k]) k++;
    if (k === kl) return -1;
  }
  return spent;
}

/**
 * Takes the lines from b[s] (ns precision) while each is already canonical (or only needs its
 * booleans spelled `true`/`false`, or the receive time appended), up to `end` or until out holds more
 * than `limit` points. The caller guarantees a '\n' at or after every line start below `end`: every
 * loop stops at a newline (no table calls it plain), so none needs a bounds check. Each line taken is
 * written to out (the input bytes, booleans respelled, and out's tail (a space, the receive time, a
 * newline; `tailLength` bytes) when it has no timestamp); `line` is the body line at s. Returns where it
 * stopped: the start of the first line it did not take, untouched, for the exact path. One call runs
 * over many lines: a call per tiny line cost more than the line.
 */
export function fastLines(b: Buffer, s: number, end: number, out: BatchWriter, tailLength: number, limit: number, line: number, sc: ParseScratch): number {
  out.refusedAt = -1;
  const rwAt = sc.rwAt;
  const rwEnd = sc.rwEnd;
  const rwTrue = sc.rwTrue;
  lines: while (s < end) {
    let c = b[s];
    // A measurement starts with a plain byte, not a comment's `#` (blank lines, leading blanks: exact path).
    if (!mPlain(c) || c === Byte.COMMENT) return s;
    let i = s;
    // Measurement: plain bytes up to ',' or ' '.
    do c = b[++i]; while (mPlain(c));
    if (c !== Byte.COMMA && c !== Byte.SPACE) return s;
    const mEnd = i;
    // Tags: sorted by escaped key, no duplicates, no `time` key; plain bytes, or a backslash and a byte
    // copied as written (escapedPlainInTag).
    let pks = 0;
    let pke = 0;
    while (c === Byte.COMMA) {
      const ks = ++i;
      for (;;) {
        c = b[i];
        if (tkPlain(c)) i++;
        else if (c === Byte.BACKSLASH && escPlain(b[i + 1])) i += 2;
        else break;
      }
      if (c !== Byte.EQUALS || i === ks || isTime(b, ks, i)) return s;
      if (pke !== 0 && cmpRange(b, pks, pke, ks, i) >= 0) return s;
      pks = ks;
      pke = i;
      const vs = ++i;
      for (;;) {
        c = b[i];
        if (tvPlain(c)) i++;
        else if (c === Byte.BACKSLASH && escPlain(b[i + 1])) i += 2;
        else break;
      }
      if (i === vs || (c !== Byte.COMMA && c !== Byte.SPACE)) return s;
    }
    const keyEnd = i;
    if (keyEnd - s > MAX_KEY) return s;
    // Fields, after exactly one space: key=value pairs separated by ','.
    const fStart = ++i;
    let n = 0;
    let mask = 0;
    let compared = 0;
    let nRw = 0;
    for (;;) {
      const ks = i;
      while (fkPlain(c = b[i])) i++;
      const kl = i - ks;
      if (c !== Byte.EQUALS || kl === 0 || kl > MAX_KEY) return s;
      // A repeated key or a `time` field changes the point: exact path. A 32-bit mask of signatures
      // spares the pairwise check for almost every key.
      const sg = signature(b, ks, i);
      if (sg === TIME_SIGNATURE && isTime(b, ks, i)) return s;
      const bit = 1 << (Math.imul(sg, 0x9e3779b1) >>> 27);
      if ((mask & bit) !== 0) {
        const r = repeated(b, sc, n, ks, kl, sg, i - s - compared);
        if (r < 0) return s;
        compared += r;
      }
      mask |= bit;
      if (n === FAST_FIELDS) return s;
      if (n === sc.keyStart.length) sc.growKeys();
      sc.keyStart[n] = ks;
      sc.keySig[n] = sg;
      n++;
      c = b[++i];
      const vs = i;
      if ((c >= 48 && c <= 57) || c === Byte.MINUS) {
        // -?digits, then 'i' (canonical, short enough to need no range check), or '.' and digits (floats
        // keep their text; short enough to need no overflow check). Other spellings: exact path.
        if (c === Byte.MINUS) i++;
        const ds = i;
        while ((c = b[i]) >= 48 && c <= 57) i++;
        if (i === ds) return s;
        if (c === 105) {
          if (i - ds > INT_DIGITS || !intOk(b, vs, i)) return s;
          c = b[++i];
        } else {
          if (c === 46) {
            i++;
            while ((c = b[i]) >= 48 && c <= 57) i++;
          }
          if (i - vs > FLOAT_CHARS) return s;
        }
      } else if (c === Byte.QUOTE) {
        // A string of plain bytes is canonical.
        do c = b[++i]; while (sPlain(c));
        if (c !== Byte.QUOTE) return s;
        c = b[++i];
      } else if (isBool(c)) {
        // A boolean: its word up to ',' ' ' or the newline. `true` and `false` are canonical; the other
        // eight spellings are respelled (queued here, written at the end).
        let k = i;
        while ((c = b[k]) !== Byte.COMMA && c !== Byte.SPACE && c !== Byte.LF) k++;
        const v = boolValue(b, i, k);
        if (v < 0) return s;
        if (!boolCanonical(b, i, k)) {
          rwAt[nRw] = i;
          rwEnd[nRw] = k;
          rwTrue[nRw] = v;
          nRw++;
        }
        i = k;
      } else {
        // No value of any type starts with this byte: the exact path will refuse the line here.
        if (!isNumber(c)) out.refusedAt = s;
        return s;
      }
      if (c === Byte.SPACE) break;
      if (c !== Byte.COMMA) {
        if (c !== Byte.LF) return s;
        // No timestamp: the line plus the receive time (tiny lines are mostly this; the exact path costs more).
        if (keyEnd - s + 4 + (i - fStart) > MAX_KEY) return s;
        out.ensure(i - s + 4 * nRw + tailLength);
        const at = out.pos;
        const d = out.data;
        out.pos = out.putTail(nRw === 0 ? copyBytes(d, at, b, s, i) : writeRewritten(out, sc, nRw, at, b, s, i));
        out.commit(at, keyEnd - s, mEnd - s, line++);
        s = i + 1;
        if (out.count > limit) return s;
        continue lines;
      }
      i++;
    }
    const fEnd = i;
    if (keyEnd - s + 4 + (fEnd - fStart) > MAX_KEY) return s;
    // Timestamp after exactly one space: digits, canonical and in range; then the line end.
    const ts = ++i;
    while ((c = b[i]) >= 48 && c <= 57) i++;
    const te = i;
    if (te === ts || c !== Byte.LF || !tsOk(b, ts, te)) return s;
    out.ensure(te - s + 1 + 4 * nRw);
    const at = out.pos;
    if (nRw === 0) out.run(b, s, te + 1); // the input's newline ends the line
    else { out.flush(); out.pos = writeRewritten(out, sc, nRw, at, b, s, te + 1); }
    out.commit(at, keyEnd - s, mEnd - s, line++);
    s = te + 1;
    if (out.count > limit) return s;
  }
  return s;
}

/** fastLines on the one line at s: the index of its '\n' when taken, else -1 (for tests). */
export function fastLine(b: Buffer, s: number, out: BatchWriter, tailLength: number, sc = new ParseScratch()): number {
  const n = out.count;
  const next = fastLines(b, s, s + 1, out, tailLength, Infinity, 1, sc);
  return out.count > n ? next - 1 : -1;
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
function writeRewritten(out: BatchWriter, sc: ParseScratch, nRw: number, p: number, b: Uint8Array, s: number, e: number): number {
  const d = out.data;
  const v = out.view;
  let from = s;
  for (let r = 0; r < nRw; r++) {
    p = copyBytes(d, p, b, from, sc.rwAt[r]);
    if (sc.rwTrue[r] === 1) { v.setUint32(p, TRUE_LE, true); p += 4; }
    else { v.setUint32(p, FALS_LE, true); d[p + 4] = 101; p += 5; }
    from = sc.rwEnd[r];
  }
  return copyBytes(d, p, b, from, e);
}
