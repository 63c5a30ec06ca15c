// Escaping rules of InfluxDB 1.x, per token kind, on latin1 strings (one char per byte, so exact).
// Unescape is what 1.x stores; escape is our canonical (minimal) form that 1.x reads back the same.

/** pkg/escape.Unescape: measurement names and field keys drop the backslash of \, \" \  \=. */
export function unescapeName(raw: string): string {
  return unescapeOnly(raw, '," =');
}

/** unescapeTag: tag keys and values drop the backslash of \, \  \= only. */
export function unescapeTag(raw: string): string {
  return unescapeOnly(raw, ', =');
}

/** unescapeStringField: string field values drop the backslash of \\ and \" only. */
export function unescapeString(raw: string): string {
  return unescapeOnly(raw, '\\"');
}

/** `raw` without the backslash before any character of `escapable`; every other backslash stays. */
function unescapeOnly(raw: string, escapable: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length && escapable.includes(raw[i + 1])) {
      out += raw[i + 1];
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

/**
 * Measurement: `,` and space always; `=` and `"` only after a backslash (elsewhere 1.x reads them
 * literally, and 2.x readers would not unescape them).
 */
export function escapeMeasurement(v: string): string {
  return escapeWhere(v, (c, prev) => c === ',' || c === ' ' || ((c === '=' || c === '"') && prev === '\\'));
}

/** Tag keys and values: `,`, space and `=`. */
export function escapeTag(v: string): string {
  return escapeWhere(v, (c) => c === ',' || c === ' ' || c === '=');
}

/** Field keys: `,`, space and `=`; `"` only after a backslash. */
export function escapeFieldKey(v: string): string {
  return escapeWhere(v, (c, prev) => c === ',' || c === ' ' || c === '=' || (c === '"' && prev === '\\'));
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
  return escapeWhere(v, (c) => c === '\\' || c === '"');
}

/** `v` with a backslash before every character `needs` picks (given the character before it). The serializer's cold path. */
function escapeWhere(v: string, needs: (c: string, prev: string | undefined) => boolean): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (needs(v[i], i > 0 ? v[i - 1] : undefined)) out += '\\';
    out += v[i];
  }
  return out;
}
