// InfluxDB-style error texts for rejected lines.
import type { LineError } from './types.js';

/** Longest line text kept in an error, in bytes (InfluxDB echoes whole lines; we cap them). */
export const MAX_ERROR_TEXT = 256;

/** The text InfluxDB 1.x gives for one rejected line, without our line/column suffix. */
export function describeLineError(e: LineError): string {
  // Lines dropped by InfluxDB's storage layer (tag or field named time, field type conflict)
  // are reported there without the "unable to parse" prefix.
  if (e.stage === 'storage') return e.reason;
  return `unable to parse '${e.text}': ${e.reason}`;
}

/** describeLineError plus where, and the hint when there is one: `… (line N, column C; hint: …)`. */
export function describeLineErrorAt(e: LineError): string {
  return `${describeLineError(e)} (line ${e.line}, column ${e.column}${e.hint ? `; hint: ${e.hint}` : ''})`;
}

export function errorText(buf: Buffer, s: number, e: number): string {
  if (e - s <= MAX_ERROR_TEXT) return buf.toString('utf8', s, e);
  return buf.toString('utf8', s, s + MAX_ERROR_TEXT) + '...';
}
