// The canonical line is read by other parsers too: InfluxDB 1.x/2.x (models/points.go) and Telegraf's
// influx parser (plugins/parsers/influx: a Ragel grammar plus strings.Replacer unescaping). A point is
// only written when every one of them reads its line as the point InfluxDB 1.x reads from the request,
// and when the line stays one physical line. The rules and why are in src/parse/README.md.
import type { LineState } from './state.js';
import { T_STRING } from './state.js';
import { latin1 } from './numbers.js';
import { escapeFieldKey, escapeMeasurement, fieldKeyNeedsRaw, unescapeName, unescapeTag } from './escape.js';

/** Bytes Telegraf's grammar refuses in names, tag keys and values, field keys (even after a backslash). */
const isTelegrafControl = (c: number): boolean => c >= 9 && c <= 13; // \t \n \v \f \r

const KIND_TEXT = ['measurement', 'tag key', 'tag value', 'field key'] as const;
const K_MEASUREMENT = 0;
const K_TAG_KEY = 1;
const K_TAG_VALUE = 2;
const K_FIELD_KEY = 3;

/**
 * What Telegraf's influx parser reads from the escaped token `enc`, or undefined when its grammar
 * ends or refuses the token early (so it would read a different line).
 * Grammar: a backslash takes the next byte whatever it is (in tags a backslash before a backslash
 * stands alone); measurement ends at ' ' ','; keys and tag values also at '='.
 * Unescaping: only when the token holds ' ' ',' (and '=' outside measurements), a left-to-right
 * replace of `\,` `\ ` (measurement) or `\,` `\"` `\ ` `\=` (the others).
 */
function telegrafReads(enc: string, kind: number): string | undefined {
  const n = enc.length;
  let active = false;
  for (let i = 0; i < n; i++) {
    const c = enc.charCodeAt(i);
    if (isTelegrafControl(c)) return undefined;
    if (c === 92) {
      const d = enc.charCodeAt(i + 1);
      if (i + 1 >= n || isTelegrafControl(d)) return undefined;
      // In tags `\\` is taken one backslash at a time (its Ragel rule holds the second one), so the
      // second may escape the byte after it, as in InfluxDB; elsewhere the pair is consumed whole.
      if (d !== 92 || (kind !== K_TAG_KEY && kind !== K_TAG_VALUE)) i++;
      continue;
    }
    if (c === 44 || c === 32 || (c === 61 && kind !== K_MEASUREMENT)) return undefined;
  }
  for (let i = 0; i < n; i++) {
    const c = enc.charCodeAt(i);
    if (c === 32 || c === 44 || (c === 61 && kind !== K_MEASUREMENT)) { active = true; break; }
  }
  if (!active) return enc;
  // strings.Replacer, left to right (a global match resumes after the pair it replaced).
  return enc.replace(kind === K_MEASUREMENT ? TELEGRAF_UNESCAPE_MEASUREMENT : TELEGRAF_UNESCAPE, '$1');
}

const TELEGRAF_UNESCAPE_MEASUREMENT = /\\([, ])/g;
const TELEGRAF_UNESCAPE = /\\([, "=])/g;

function controlAt(b: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) if (isTelegrafControl(b[i])) return i;
  return -1;
}

/** First index of byte x in b[s..e), or -1 (a bounded loop: indexOf would search past e). */
function find(b: Buffer, x: number, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === x) return i;
  return -1;
}

function controlReason(kind: number): string {
  return `${KIND_TEXT[kind]} holds a raw tab, newline, vertical tab, form feed or carriage return, which Telegraf's ` +
    `influx parser refuses (and an escape would change the value in InfluxDB): no record line can carry it`;
}

function escapeReason(kind: number): string {
  return `${KIND_TEXT[kind]} holds a backslash sequence that InfluxDB and Telegraf's influx parser unescape differently: ` +
    `no record line keeps its value for both`;
}

/** Checks one name token whose canonical form is `enc` and whose value (as InfluxDB reads it) is `value`. */
function checkToken(st: LineState, at: number, enc: string, value: string, kind: number): string {
  if (telegrafReads(enc, kind) === value) return '';
  st.errPos = at;
  return escapeReason(kind);
}

/**
 * '' when the scanned point has a one-line canonical form every consumer reads back as the point,
 * else the reason to reject it (st.errPos set). Cheap when the line holds no control byte and no
 * backslash, which is every line the fast path did not take for other reasons.
 */
export function consumerCheck(st: LineState): string {
  const b = st.buf;
  const s = st.start;
  // Measurement and tags: raw control bytes, then the tokens holding a backslash.
  let ctl = controlAt(b, s, st.keyEnd);
  if (ctl >= 0) {
    st.errPos = ctl;
    return controlReason(ctl < st.mEnd ? K_MEASUREMENT : tagKind(st, ctl));
  }
  if (st.bsMeasurement) {
    const raw = latin1(b, s, st.mEnd);
    const r = checkToken(st, s, escapeMeasurement(unescapeName(raw)), unescapeName(raw), K_MEASUREMENT);
    if (r !== '') return r;
  }
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) {
    for (let p = 0; p < 4; p += 2) {
      const ts = t[j * 4 + p], te = t[j * 4 + p + 1];
      if (find(b, 92, ts, te) < 0) continue;
      // Tag bytes are written as they came (canonical); a value may start with a bare '=', written `\=`.
      let raw = latin1(b, ts, te);
      if (p === 2 && raw.charCodeAt(0) === 61) raw = '\\' + raw;
      const r = checkToken(st, ts, raw, unescapeTag(raw), p === 0 ? K_TAG_KEY : K_TAG_VALUE);
      if (r !== '') return r;
    }
  }
  // Fields: control bytes in keys; a raw newline in a string (it would split the record line).
  const f = st.fields;
  for (let j = 0; j < st.nFields; j++) {
    const ks = f[j * 4], ke = f[j * 4 + 1];
    if (ks === ke) {
      // `m \t=1`: 1.x stores a field with an empty key; no line can write one (`m =1` is refused).
      st.errPos = ks;
      return 'field key is empty (after a tab or NUL between the measurement and the fields): no record line can carry it';
    }
    ctl = controlAt(b, ks, ke);
    if (ctl >= 0) { st.errPos = ctl; return controlReason(K_FIELD_KEY); }
    if (st.bsFields) {
      const raw = latin1(b, ks, ke);
      const k = unescapeName(raw);
      const r = checkToken(st, ks, fieldKeyNeedsRaw(k) ? raw : escapeFieldKey(k), k, K_FIELD_KEY);
      if (r !== '') return r;
    }
    if (st.ftypes[j] === T_STRING) {
      const vs = f[j * 4 + 2], ve = f[j * 4 + 3];
      const nl = find(b, 10, vs, ve);
      if (nl >= 0) {
        st.errPos = nl;
        return 'string field holds a raw newline, which would split the record line (an escaped \\n is stored by InfluxDB ' +
          'as backslash and n, and refused by Telegraf): no record line can carry it';
      }
    }
  }
  return '';
}

function tagKind(st: LineState, at: number): number {
  const t = st.tags;
  for (let j = 0; j < st.nTags; j++) if (at < t[j * 4 + 2]) return at < t[j * 4 + 1] ? K_TAG_KEY : K_TAG_VALUE;
  return K_TAG_VALUE;
}
