// Escaping rules of InfluxDB 1.x, per token kind, on latin1 strings (one char per byte, so exact).
// Unescape is what 1.x stores; escape is our canonical (minimal) form that 1.x reads back the same.

// The byte lists come from grammar.ts; each rule is one global regular expression built from them: a
// linear native scan, no string per character. A global match resumes after the pair it consumed, so
// `\\,` pairs left to right as 1.x's loop does.
import {
  ESCAPE_AFTER_BACKSLASH, ESCAPE_ALWAYS, FIELD_KEY_RAW_AFTER_BACKSLASH, K_FIELD_KEY, K_MEASUREMENT, K_STRING, K_TAG_KEY,
  UNESCAPED_NAME, UNESCAPED_STRING, UNESCAPED_TAG,
} from './grammar.js';

/** A regular-expression character class of these bytes. */
const cls = (bytes: string): string => `[${bytes.replace(/[\\\]^-]/g, '\\$&')}]`;
const UNESCAPE_NAME = new RegExp(`\\\\(${cls(UNESCAPED_NAME)})`, 'g');
const UNESCAPE_TAG = new RegExp(`\\\\(${cls(UNESCAPED_TAG)})`, 'g');
const UNESCAPE_STRING = new RegExp(`\\\\(${cls(UNESCAPED_STRING)})`, 'g');
/** The canonical escape of a kind: a backslash before ESCAPE_ALWAYS bytes, and before ESCAPE_AFTER_BACKSLASH bytes after a backslash. */
const escaper = (kind: number): RegExp => new RegExp(
  cls(ESCAPE_ALWAYS[kind]) + (ESCAPE_AFTER_BACKSLASH[kind] === '' ? '' : `|(?<=\\\\)${cls(ESCAPE_AFTER_BACKSLASH[kind])}`), 'g');
const ESCAPE_MEASUREMENT = escaper(K_MEASUREMENT);
const ESCAPE_TAG = escaper(K_TAG_KEY);
const ESCAPE_FIELD_KEY = escaper(K_FIELD_KEY);
const ESCAPE_STRING = escaper(K_STRING);
const FIELD_KEY_RAW = new RegExp(`\\\\(${cls(FIELD_KEY_RAW_AFTER_BACKSLASH)}|$)`);

/** pkg/escape.Unescape: measurement names and field keys drop the backslash of \, \" \  \=. */
export function unescapeName(raw: string): string {
  return raw.indexOf('\\') < 0 ? raw : raw.replace(UNESCAPE_NAME, '$1');
}

/** unescapeTag: tag keys and values drop the backslash of \, \  \= only. */
export function unescapeTag(raw: string): string {
  return raw.indexOf('\\') < 0 ? raw : raw.replace(UNESCAPE_TAG, '$1');
}

/** unescapeStringField: string field values drop the backslash of \\ and \" only. */
export function unescapeString(raw: string): string {
  return raw.indexOf('\\') < 0 ? raw : raw.replace(UNESCAPE_STRING, '$1');
}

/**
 * Measurement: `,` and space always; `=` and `"` only after a backslash (elsewhere 1.x reads them
 * literally, and 2.x readers would not unescape them).
 */
export function escapeMeasurement(v: string): string {
  return v.replace(ESCAPE_MEASUREMENT, '\\$&');
}

/** Tag keys and values: `,`, space and `=`. */
export function escapeTag(v: string): string {
  return v.replace(ESCAPE_TAG, '\\$&');
}

/** Field keys: `,`, space and `=`; `"` only after a backslash. */
export function escapeFieldKey(v: string): string {
  return v.replace(ESCAPE_FIELD_KEY, '\\$&');
}

/**
 * A field key whose unescaped form has a backslash before a special byte cannot be escaped
 * canonically (1.x's field scanner pairs backslashes); it only comes from input whose raw form
 * 1.x already reads that way, so that raw form is kept.
 */
export function fieldKeyNeedsRaw(v: string): boolean {
  return v.indexOf('\\') >= 0 && FIELD_KEY_RAW.test(v);
}

/** String field contents: `\` and `"`. */
export function escapeString(v: string): string {
  return v.replace(ESCAPE_STRING, '\\$&');
}
