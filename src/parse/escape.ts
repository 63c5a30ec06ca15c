// Escaping rules of InfluxDB 1.x, per token kind, on latin1 strings (one char per byte, so exact).
// Unescape is what 1.x stores; escape is our canonical (minimal) form that 1.x reads back the same.

// Each rule is one global regular expression: a linear native scan, no string per character.
// A global match resumes after the pair it consumed, so `\\,` pairs left to right as 1.x's loop does.
const UNESCAPE_NAME = /\\([," =])/g;
const UNESCAPE_TAG = /\\([, =])/g;
const UNESCAPE_STRING = /\\([\\"])/g;

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
  return v.replace(/[, ]|(?<=\\)[="]/g, '\\$&');
}

/** Tag keys and values: `,`, space and `=`. */
export function escapeTag(v: string): string {
  return v.replace(/[, =]/g, '\\$&');
}

/** Field keys: `,`, space and `=`; `"` only after a backslash. */
export function escapeFieldKey(v: string): string {
  return v.replace(/[, =]|(?<=\\)"/g, '\\$&');
}

/**
 * A field key whose unescaped form has a backslash before a special byte cannot be escaped
 * canonically (1.x's field scanner pairs backslashes); it only comes from input whose raw form
 * 1.x already reads that way, so that raw form is kept.
 */
export function fieldKeyNeedsRaw(v: string): boolean {
  for (let i = v.indexOf('\\'); i >= 0 && i + 1 < v.length; i = v.indexOf('\\', i + 1)) {
    const n = v[i + 1];
    if (n === ',' || n === ' ' || n === '=' || n === '"' || n === '\\') return true;
  }
  return v.endsWith('\\');
}

/** String field contents: `\` and `"`. */
export function escapeString(v: string): string {
  return v.replace(/[\\"]/g, '\\$&');
}
