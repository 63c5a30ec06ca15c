// parseLines: splits the body into InfluxDB 1.x "lines", scans each and writes canonical lines.
import type { LineError, ParseOptions, ParseResult } from './types.js';
import { ParseScratch } from './state.js';
import { BatchWriter } from './out.js';
import { scanPoint } from './scan.js';
import { emitPoint } from './emit.js';
import { CONSUMERS_OK, consumerCheck, rejectedAt, rejectionReason } from './consumers.js';
import { fastLines } from './fast.js';
import { newlineEscaped, scanLineEnd, skipWs } from './split.js';
import { UNIT_NS } from './numbers.js';
import { errorText } from './errors.js';
import { LineSet } from './line-set.js';
import { Byte, MAX_NS, isBlank } from './grammar.js';

/** Rejected lines kept with their text by default; the rest are only counted. */
export const DEFAULT_MAX_ERRORS = 10;

/** Receive time truncated to the precision, as InfluxDB's SetPrecision does: the tail (space, ns text, newline) of a point without timestamp. */
function defaultTail(receivedAtNs: bigint, unit: bigint): Buffer {
  let t = receivedAtNs - (((receivedAtNs % unit) + unit) % unit);
  if (t > MAX_NS) t = MAX_NS;
  return Buffer.from(` ${t}\n`, 'latin1');
}

/** Bodies from this size on reserve their output at its largest size (see parseLines). */
const RESERVE_ALL_BYTES = 4 * 1024 * 1024;
/** Bytes sampled at the start of a body to estimate its line count. */
const SAMPLE_BYTES = 8192;

/** Lines the body likely holds: its length over the first lines' mean length, with a quarter to spare. */
function estimateLines(body: Buffer): number {
  const end = Math.min(body.length, SAMPLE_BYTES);
  let n = 0;
  for (let i = body.indexOf(Byte.LF); i >= 0 && i < end; i = body.indexOf(Byte.LF, i + 1)) n++;
  if (n === 0) return 16;
  return Math.ceil(((body.length * n) / end) * 1.25) + 16;
}

/**
 * Parses a body. `sc` is the calling thread's scratch (one per thread, reused by every parse; a fresh one
 * when absent): it holds no state between parses, only reusable arrays, shrunk at the end.
 */
export function parseLines(body: Buffer, opts: ParseOptions, sc: ParseScratch = new ParseScratch()): ParseResult {
  const len = body.length;
  const unit = UNIT_NS[opts.precision] ?? 1n;
  const tail = defaultTail(opts.receivedAtNs, unit);
  const defTs = tail.subarray(1, tail.length - 1);
  const errors: LineError[] = [];
  const maxErrors = opts.maxErrors ?? DEFAULT_MAX_ERRORS;
  const badLines = new LineSet();
  let errorCount = 0;
  // Lines counted against maxLines: points plus rejected lines, as the route always counted them.
  const maxLines = opts.maxLines !== undefined && opts.maxLines > 0 ? opts.maxLines : Infinity;
  let tooManyLines = false;
  // At most: every byte doubled by escapes, plus per point a timestamp (20 bytes), a space and a newline; a
  // point takes at least 6 bytes (`a b=1\n`). A large body's output is reserved at that largest size, so it
  // never grows by copying (a copy holds the old and the new buffer at once); unwritten pages take no RSS.
  // A body under RESERVE_ALL_BYTES (every Telegraf batch) gets room for the lines it likely holds, estimated
  // from its first lines, and grows by half if it expands more: V8 counts a Buffer's whole length as external
  // memory since its last full collection, and the worst-case reserve (~1.6 MB with the offset columns for a
  // 211 KB body, 7x what it used) started a mark-compact every few writes at low write rates.
  const maxPoints = Math.min(maxLines + 1, Math.ceil(len / 6) + 1);
  const lines = len >= RESERVE_ALL_BYTES ? maxPoints : Math.min(maxPoints, estimateLines(body));
  const out = new BatchWriter(len >= RESERVE_ALL_BYTES ? 2 * len + 22 * maxPoints + 64 : len + 22 * lines + 1024, lines);
  out.setTail(tail);
  const tailLength = out.tailLength();
  // Cursors to the next quote / backslash / newline: each found once with a native search,
  // so the whole body is searched in linear time however lines are split. (q may also stand at a
  // newline with no quote before it: it only ever answers "a quote before this newline?".)
  let q = body.indexOf(Byte.QUOTE);
  if (q < 0) q = len;
  let bs = body.indexOf(Byte.BACKSLASH);
  if (bs < 0) bs = len;
  let nl = body.indexOf(Byte.LF);
  if (nl < 0) nl = len;
  let pos = 0;
  let line = 1;
  // The fast path needs a newline ahead (its loops stop there instead of checking bounds), and ns.
  const fastEnd = unit === 1n && opts.fastPath !== false ? body.lastIndexOf(Byte.LF) : -1;
  // Lines in a row that gave no point (rejected, blank, comments): from the fourth on, the fast path
  // is not tried until a line gives a point again, so a run of such lines pays for no try per line.
  let idleRun = 0;
  while (pos < len) {
    // Empty lines: nothing to scan.
    while (body[pos] === Byte.LF) { pos++; line++; }
    if (pos >= len) break;
    if (pos < fastEnd && idleRun < 4) {
      // The fast path takes what it can (one line, one point each); the line it stops at goes below.
      const before = out.count;
      pos = fastLines(body, pos, fastEnd, out, tailLength, maxLines - errorCount, line, sc);
      if (out.count > before) idleRun = 0;
      line += out.count - before;
      if (out.count + errorCount > maxLines) { tooManyLines = true; break; }
      if (pos >= len) break;
      if (errorCount > errors.length && out.refusedAt === pos) {
        // Error texts are full and the fast path met a value no type starts with: the line is bad.
        // It is counted without the exact scan when nothing can carry it past its newline.
        let k = pos;
        let c = 0;
        do c = body[++k]; while (k < len && c !== Byte.LF && c !== Byte.QUOTE && c !== Byte.BACKSLASH);
        if (k >= len || c === Byte.LF) {
          errorCount++;
          badLines.add(line);
          line++;
          pos = k + 1;
          if (out.count + errorCount > maxLines) { tooManyLines = true; break; }
          continue;
        }
      }
    }
    if (errorCount > errors.length) {
      const from = pos;
      // Error texts are full. A line that holds no space, or no `=` after its first space, cannot be
      // a point (InfluxDB's key scanner needs a space to end the series key, a field needs an `=`):
      // such lines are only counted, in a tight loop, when they are not blank or comments (first
      // byte above space, not '#') and hold no quote or backslash (which could carry the line past
      // its newline, or escape the space). The look stops at the first `=` after a space, and at 64
      // bytes: longer lines cost little per byte the usual way.
      while (pos < len && out.count + errorCount <= maxLines) {
        let c = body[pos];
        if (c <= Byte.SPACE || c === Byte.COMMENT || c === Byte.QUOTE || c === Byte.BACKSLASH) break;
        const lim = pos + 64 < len ? pos + 64 : len;
        let k = pos;
        let space = false;
        do {
          c = body[++k];
          if (c === Byte.SPACE) space = true;
          else if (c === Byte.EQUALS && space) break;
        } while (k < lim && c !== Byte.LF && c !== Byte.QUOTE && c !== Byte.BACKSLASH);
        if (k < len && c !== Byte.LF) break; // not such a line, or longer than 64 bytes
        errorCount++;
        badLines.add(line);
        line++;
        pos = k + 1;
      }
      if (out.count + errorCount > maxLines) { tooManyLines = true; break; }
      if (pos !== from) continue;
    }
    if (nl < pos) nl = nextNewline(body, pos, len);
    if (q < pos) q = nextQuote(body, pos, nl, len);
    if (bs < pos) { bs = body.indexOf(Byte.BACKSLASH, pos); if (bs < 0) bs = len; }
    // Only a quote or a backslash can move the end of a line past the next newline. A line with
    // quotes but no backslash and no leading blank ends at the newline whenever it scans as valid
    // (InfluxDB's line splitter and its field scanner then agree), so it is only checked on error.
    let blockEnd = nl;
    // Without a quote, a backslash moves the end only when it escapes the newline itself.
    let verify = false;
    if (bs < nl) { if (q < nl || newlineEscaped(body, pos, nl, len)) blockEnd = scanLineEnd(body, pos, len); }
    else if (q < nl && isBlank(body[pos])) blockEnd = scanLineEnd(body, pos, len);
    else if (q < nl) {
      // An odd number of quotes before the newline: most likely a string runs past it, and the
      // optimistic scan would fail and be redone; the block end is found first instead.
      // Only short lines are counted: a long one costs more to count than a wasted scan.
      let quotes = 0;
      if (nl - q < 64) for (let k = q; k < nl; k++) if (body[k] === Byte.QUOTE) quotes++;
      if ((quotes & 1) === 1) blockEnd = scanLineEnd(body, pos, len);
      else verify = true;
    }
    const blockLine = line;
    const outBefore = out.count;
    for (;;) {
      let e = blockEnd;
      if (e > pos && body[e - 1] === Byte.LF) e--; // InfluxDB strips one trailing newline of the block
      if (opts.allowCRLF && e > pos && body[e - 1] === Byte.CR) e--; // 2.x: CRLF ends a line
      const s = skipWs(body, pos, e);
      if (s >= e || body[s] === Byte.COMMENT) break; // blank lines and '#' comments are skipped
      if (nl < e && blockEnd !== nl && bs >= blockEnd && errorCount > errors.length) {
        // Error texts are full and the block holds a raw newline (in quotes; no backslash): no
        // point holding one is ever written (consumers.ts), so it is counted bad without a scan.
        errorCount++;
        badLines.add(blockLine);
        break;
      }
      const st = sc.line;
      let ok = scanPoint(st, body, s, e, bs, unit, opts.allowUnsigned);
      if (!ok && verify) {
        verify = false;
        const real = scanLineEnd(body, pos, len);
        if (real !== blockEnd) { blockEnd = real; continue; }
      }
      let reason = st.reason;
      let errPos = st.errPos;
      let stage: 'parse' | 'storage' | 'record' = 'parse';
      if (ok) {
        const verdict = consumerCheck(st, sc.hashesFor(st.nFields), sc.hashSeed);
        if (verdict >= 0) {
          ok = false;
          stage = 'record';
          errPos = rejectedAt(verdict);
          if (errors.length < maxErrors) reason = rejectionReason(verdict);
        } else {
          reason = emitPoint(st, verdict === CONSUMERS_OK, sc, out, defTs, blockLine);
          if (reason !== '') { ok = false; stage = 'storage'; errPos = s; }
        }
      }
      if (!ok) {
        errorCount++;
        badLines.add(blockLine);
        if (errors.length < maxErrors) {
          let err: LineError = { line: blockLine, column: errPos - pos + 1, text: errorText(body, s, e), reason };
          if (stage !== 'parse') err = { ...err, stage };
          if (stage === 'parse' && st.hint !== '') err = { ...err, hint: st.hint };
          errors.push(err);
        }
      }
      break;
    }
    // The line that fills the error texts starts the count afresh: from then on the fast path's
    // refusals count bad lines without a scan, and it should get its tries.
    idleRun = out.count !== outBefore || errorCount === maxErrors ? 0 : idleRun + 1;
    // Count the newlines the block spanned (more than one only for quoted or escaped newlines).
    line++;
    if (blockEnd !== nl) for (let i = nl; i < blockEnd; i++) if (body[i] === Byte.LF) line++;
    pos = blockEnd + 1;
    if (out.count + errorCount > maxLines) { tooManyLines = true; break; }
  }
  const points = out.batch();
  sc.shrink();
  return {
    points,
    errors,
    errorCount,
    badLines,
    tooManyLines,
  };
}

/** The next '\n' at or after pos, or len: a short loop first (a native call costs more than a short line). */
function nextNewline(body: Buffer, pos: number, len: number): number {
  const lim = pos + 64 < len ? pos + 64 : len;
  for (let k = pos; k < lim; k++) if (body[k] === Byte.LF) return k;
  if (lim === len) return len;
  const nl = body.indexOf(Byte.LF, lim);
  return nl < 0 ? len : nl;
}

/**
 * Where the quote cursor goes from pos, given the newline nl: the first quote before nl, else nl
 * when none is there (found by a short loop when the line is short), else the next quote anywhere.
 */
function nextQuote(body: Buffer, pos: number, nl: number, len: number): number {
  const lim = nl < pos + 64 ? nl : pos + 64;
  for (let k = pos; k < lim; k++) if (body[k] === Byte.QUOTE) return k;
  if (lim === nl) return nl;
  const q = body.indexOf(Byte.QUOTE, lim);
  return q < 0 ? len : q;
}
