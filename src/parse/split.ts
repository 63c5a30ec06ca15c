// Where a "line" ends, as InfluxDB 1.x's scanLine decides: a backslash skips the next byte
// (even a newline), and a newline inside a quoted field value does not end the line.
import { Byte, isBlank } from './grammar.js';

/**
 * End (exclusive, at the '\n' or at len) of the block that starts at pos.
 * Only called when the block may hold a quote or a backslash; otherwise indexOf('\n') is the answer.
 */
export function scanLineEnd(buf: Uint8Array, pos: number, len: number): number {
  let i = pos;
  let quoted = false;
  let fields = false;
  let equals = 0;
  let commas = 0;
  while (i < len) {
    const c = buf[i];
    if (c === Byte.BACKSLASH && i + 2 < len) { i += 2; continue; } // '\\' skips a byte (Go checks i+2 here)
    if (c === Byte.SPACE) fields = true;
    if (fields) {
      if (!quoted && c === Byte.EQUALS) { i++; equals++; continue; }
      if (!quoted && c === Byte.COMMA) { i++; commas++; continue; }
      if (c === Byte.QUOTE && equals > commas) { i++; quoted = !quoted; continue; }
    }
    if (c === Byte.LF && !quoted) break;
    i++;
  }
  return i;
}

/**
 * For a block from pos with no quote before the newline at nl: true when scanLineEnd would go past
 * that newline, i.e. the run of backslashes right before it has odd length (each backslash skips the
 * next byte, the byte before the run is not a backslash). A backslash whose skip would reach the
 * body's end skips nothing (Go checks i+2), so the body's last byte is never escaped.
 */
export function newlineEscaped(buf: Uint8Array, pos: number, nl: number, len: number): boolean {
  if (nl >= len - 1) return false;
  let k = nl;
  while (k > pos && buf[k - 1] === Byte.BACKSLASH) k--;
  return ((nl - k) & 1) === 1;
}

const blank = isBlank; // a local name: V8 inlines a module's own constants more readily than imports

/** InfluxDB's skipWhitespace (grammar.ts: isBlank). */
export function skipWs(buf: Uint8Array, i: number, end: number): number {
  while (i < end && blank(buf[i])) i++;
  return i;
}
