// The rules of line protocol as kinflux reads (InfluxDB 1.6.7) and writes (its canonical line) them, in
// one place: bytes, token kinds, what ends and what escapes each kind, the bytes that are plain in it
// (written as they came and read alike by every consumer), booleans, the `time` key, number and time
// limits, and what is canonical for each value type. Every other file of src/parse looks them up here.
// Tables are filled once, at load, and never written after (lists frozen); nothing here is state.

/** Bytes the grammar names (a const enum: the compiler writes each use as its number). */
export const enum Byte {
  NUL = 0,
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  QUOTE = 34,
  /** A line starting with it (after blanks) is a comment. */
  COMMENT = 35,
  COMMA = 44,
  MINUS = 45,
  DOT = 46,
  EQUALS = 61,
  BACKSLASH = 92,
}

/** InfluxDB's skipWhitespace: before a line and between its sections. */
export const isBlank = (c: number): boolean => c === Byte.SPACE || c === Byte.TAB || c === Byte.NUL;

/** 1.x's scanners: a byte right after a backslash is escaped, so it never ends a token. */
export const escapedAt = (b: Uint8Array, i: number): boolean => b[i - 1] === Byte.BACKSLASH;

/** Bytes Telegraf's grammar refuses in names, tag keys and values, field keys (even after a backslash): \t \n \v \f \r. */
export const isTelegrafControl = (c: number): boolean => c >= 9 && c <= 13;

// Token kinds.
export const K_MEASUREMENT = 0;
export const K_TAG_KEY = 1;
export const K_TAG_VALUE = 2;
export const K_FIELD_KEY = 3;
export const K_STRING = 4;
export const KIND_TEXT = Object.freeze(['measurement', 'tag key', 'tag value', 'field key', 'string field'] as const);

/**
 * Escapes, as byte lists per kind:
 * - UNESCAPED: the bytes InfluxDB 1.x drops the backslash before (pairs taken left to right; any other
 *   backslash stays literal): names (measurement, field key), tags (key, value), string field values.
 * - ESCAPE_ALWAYS / ESCAPE_AFTER_BACKSLASH: the canonical (minimal) spelling adds a backslash before
 *   these bytes of the value, always, or only right after a backslash of the value (elsewhere 1.x reads
 *   them literally and 2.x readers would not unescape them).
 * - FIELD_KEY_RAW_AFTER_BACKSLASH: a field key value holding a backslash before one of these (or ending
 *   in one) has no canonical spelling (1.x's field scanner pairs backslashes); its raw form is kept.
 */
export const UNESCAPED_NAME = ',"= ';
export const UNESCAPED_TAG = ',= ';
export const UNESCAPED_STRING = '\\"';
export const ESCAPE_ALWAYS = Object.freeze([', ', ',= ', ',= ', ',= ', '\\"'] as const);
export const ESCAPE_AFTER_BACKSLASH = Object.freeze(['="', '', '', '"', ''] as const);
export const FIELD_KEY_RAW_AFTER_BACKSLASH = ',"= \\';

/**
 * Bytes plain in each kind: a token made only of them is its own canonical spelling, ends where the
 * scanners end it, and every consumer (InfluxDB 1.x/2.x, Telegraf's influx parser) reads it as written.
 * Not plain: the kind's delimiters (`,` space, `=` in tags and field keys), backslashes, quotes in field
 * keys (they switch 1.x's field scanner into a string), control bytes in names (Telegraf refuses
 * \t..\r; the fast path leaves every byte below space to the exact path), `"` and `\` in strings (they
 * are escaped) and a raw newline there (it would split the record line).
 * A token must also start right: a measurement not with `#` (a comment), a tag value not with `=`.
 * test/parse/grammar.test.ts proves the claim exhaustively over these tables.
 */
export const plainInMeasurement = (c: number): boolean => c > Byte.COMMA ? c !== Byte.BACKSLASH : c > Byte.SPACE && c !== Byte.COMMA;
export const plainInTagKey = (c: number): boolean =>
  c > Byte.EQUALS ? c !== Byte.BACKSLASH : c > Byte.SPACE && c !== Byte.COMMA && c !== Byte.EQUALS;
export const plainInTagValue = plainInTagKey;
export const plainInFieldKey = (c: number): boolean =>
  c > Byte.EQUALS ? c !== Byte.BACKSLASH : c > Byte.SPACE && c !== Byte.COMMA && c !== Byte.EQUALS && c !== Byte.QUOTE;
export const plainInString = (c: number): boolean => c !== Byte.QUOTE && c !== Byte.BACKSLASH && c !== Byte.LF;
/** The same as tables, per kind (1 = plain). */
export const PLAIN: readonly Uint8Array[] = Object.freeze([plainInMeasurement, plainInTagKey, plainInTagValue, plainInFieldKey, plainInString]
  .map((plain) => Uint8Array.from({ length: 256 }, (_, c) => (plain(c) ? 1 : 0))));

/**
 * In tag keys and values a backslash may escape any byte but these (then the token is copied as written
 * and both readers agree): a backslash (1.x's splitter and scanner pair it differently), `"` (Telegraf
 * unescapes `\"` in tags, InfluxDB does not) and control bytes.
 */
export const escapedPlainInTag = (c: number): boolean => c >= Byte.SPACE && c !== Byte.BACKSLASH && c !== Byte.QUOTE;

/** Byte tables of the escape lists above, per kind (NAME for measurement and field key). */
const table = (bytes: string): Uint8Array => {
  const t = new Uint8Array(256);
  for (const ch of bytes) t[ch.charCodeAt(0)] = 1;
  return t;
};
export const UNESCAPED_NAME_BYTES = table(UNESCAPED_NAME);
export const UNESCAPED_TAG_BYTES = table(UNESCAPED_TAG);
export const UNESCAPED_STRING_BYTES = table(UNESCAPED_STRING);
export const ESCAPE_ALWAYS_BYTES: readonly Uint8Array[] = Object.freeze(ESCAPE_ALWAYS.map(table));
export const ESCAPE_AFTER_BACKSLASH_BYTES: readonly Uint8Array[] = Object.freeze(ESCAPE_AFTER_BACKSLASH.map(table));
export const FIELD_KEY_RAW_BYTES = table(FIELD_KEY_RAW_AFTER_BACKSLASH);

/** The reserved key: a tag named `time` drops the point, a field named `time` is dropped. */
export const TIME_KEY = 'time';

/** Length, first and last byte of the key b[s..e) in one number: most pairs of keys differ there. */
export const keySignature = (b: Uint8Array, s: number, e: number): number => ((e - s) << 16) | (b[s] << 8) | b[e - 1];
export const TIME_KEY_SIGNATURE = (TIME_KEY.length << 16) | (TIME_KEY.charCodeAt(0) << 8) | TIME_KEY.charCodeAt(TIME_KEY.length - 1);

/** The raw key b[s..e) is `time`. */
export function isTimeKey(b: Uint8Array, s: number, e: number): boolean {
  if (e - s !== TIME_KEY.length) return false;
  for (let k = 0; k < TIME_KEY.length; k++) if (b[s + k] !== TIME_KEY.charCodeAt(k)) return false;
  return true;
}

/** The ten boolean spellings 1.x accepts; the canonical ones are `true` and `false`. */
export const TRUE_SPELLINGS = Object.freeze(['t', 'T', 'true', 'True', 'TRUE'] as const);
export const FALSE_SPELLINGS = Object.freeze(['f', 'F', 'false', 'False', 'FALSE'] as const);
export const CANONICAL_TRUE = 'true';
export const CANONICAL_FALSE = 'false';

const bytesAre = (b: Uint8Array, s: number, w: string): boolean => {
  for (let k = 0; k < w.length; k++) if (b[s + k] !== w.charCodeAt(k)) return false;
  return true;
};

/**
 * The boolean spelled b[s..e): 1 true, 0 false, -1 not a spelling. By length and first byte, so one
 * value costs a few comparisons (grammar.test.ts holds it to the spelling lists).
 */
export function booleanValue(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const c = b[s];
  if (n === 1) return c === 116 || c === 84 ? 1 : c === 102 || c === 70 ? 0 : -1;
  if (n === 4) return bytesAre(b, s, 'true') || bytesAre(b, s, 'True') || bytesAre(b, s, 'TRUE') ? 1 : -1;
  if (n === 5) return bytesAre(b, s, 'false') || bytesAre(b, s, 'False') || bytesAre(b, s, 'FALSE') ? 0 : -1;
  return -1;
}

/** The boolean b[s..e) (a valid spelling) is canonical: `true` or `false`. */
export const booleanCanonical = (b: Uint8Array, s: number, e: number): boolean =>
  e - s === 4 ? b[s] === 116 && b[s + 1] === 114 : e - s === 5 && b[s] === 102 && b[s + 1] === 97;

/** A boolean value starts with one of these bytes (t T f F). */
export const startsBoolean = (c: number): boolean => c === 116 || c === 84 || c === 102 || c === 70;

/** A number value starts with one of these (digits, `-`, `.`, and `N`/`n`, which the scanner refuses later). */
export const startsNumber = (c: number): boolean => (c >= 48 && c <= 57) || c === Byte.MINUS || c === Byte.DOT || c === 78 || c === 110;

/** int64 and uint64 bounds as decimal text (magnitudes). */
export const MAX_I64_TEXT = '9223372036854775807';
export const MIN_I64_ABS_TEXT = '9223372036854775808';
export const MAX_U64_TEXT = '18446744073709551615';
export const MIN_I64 = -(2n ** 63n);
export const MAX_I64 = 2n ** 63n - 1n;
export const MAX_U64 = 2n ** 64n - 1n;
/** An integer of at most this many digits fits int64 and uint64 whatever they are: no range check. */
export const SAFE_INT_DIGITS = 18;
/** A float without exponent shorter than this (sign and dot included) is finite: no overflow check. */
export const SAFE_FLOAT_CHARS = 24;

/** The digits b[s..e) with an optional `-` (an integer's text before its suffix) are canonical: no leading zero, not `-0`. */
export function intCanonical(b: Uint8Array, s: number, e: number): boolean {
  const d = b[s] === Byte.MINUS ? s + 1 : s;
  return b[d] !== 48 || (e - d === 1 && d === s);
}

/** InfluxDB's time range: MinInt64 + 2 … MaxInt64 - 1, in ns; the largest literal, the same on both sides. */
export const MAX_NS_TEXT = '9223372036854775806';
export const MIN_NS = -BigInt(MAX_NS_TEXT);
export const MAX_NS = BigInt(MAX_NS_TEXT);
export const TIME_RANGE_REASON = `time outside range -${MAX_NS_TEXT} - ${MAX_NS_TEXT}`;

/**
 * The ns timestamp b[s..e) (an optional `-`, then digits) is canonical and in range, so it is copied as
 * written: no leading zero (`0` itself is fine, `-0` and `007` are not), at most MAX_NS_TEXT in magnitude.
 */
export function timestampCanonical(b: Uint8Array, s: number, e: number): boolean {
  let d = s;
  if (b[d] === Byte.MINUS) d++;
  const n = e - d;
  if (n === 0 || n > MAX_NS_TEXT.length) return false;
  if (b[d] === 48) return n === 1 && d === s;
  if (n < MAX_NS_TEXT.length) return true;
  for (let k = 0; k < n; k++) {
    const x = b[d + k] - MAX_NS_TEXT.charCodeAt(k);
    if (x !== 0) return x < 0;
  }
  return true;
}

/** InfluxDB's key length limit (series key, and series key + field key). */
export const MAX_KEY_LENGTH = 65535;
/**
 * Most fields in one line (kinflux's own limit; InfluxDB has none). Field offsets cost 17 bytes of
 * scratch each; beyond this a line is rejected rather than grown without bound.
 */
export const MAX_FIELDS = 1 << 20;
