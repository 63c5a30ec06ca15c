// Where a "line" ends, as InfluxDB 1.x's scanLine decides: a backslash skips the next byte
// (even a newline), and a newline inside a quoted field value does not end the line.

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
    if (c === 92 && i + 2 < len) { i += 2; continue; } // '\\' skips a byte (Go checks i+2 here)
    if (c === 32) fields = true;
    if (fields) {
      if (!quoted && c === 61) { i++; equals++; continue; }
      if (!quoted && c === 44) { i++; commas++; continue; }
      if (c === 34 && equals > commas) { i++; quoted = !quoted; continue; }
    }
    if (c === 10 && !quoted) break;
    i++;
  }
  return i;
}

/** InfluxDB's skipWhitespace: spaces, tabs and NUL bytes. */
export function skipWs(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 0) break;
    i++;
  }
  return i;
}
