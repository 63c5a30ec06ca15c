// Typed views of canonical lines: the JSON record format, tag partition keys and tests.
import type { FieldValue, Point, PointBatch } from './types.js';
import { LineState, T_BOOL, T_FLOAT, T_INT, T_STRING, T_UINT } from './state.js';
import { scanPoint } from './scan.js';
import { latin1 } from './numbers.js';
import { unescapeName, unescapeString, unescapeTag } from './escape.js';
import { Byte, TIME_KEY, booleanValue, escapedAt } from './grammar.js';

const u8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

function value(b: Buffer, t: number, vs: number, ve: number): FieldValue {
  switch (t) {
    case T_FLOAT: return { type: 'float', value: Number(latin1(b, vs, ve)) };
    case T_INT: return { type: 'integer', value: BigInt(latin1(b, vs, ve - 1)) };
    case T_UINT: return { type: 'unsigned', value: BigInt(latin1(b, vs, ve - 1)) };
    case T_STRING: return { type: 'string', value: u8(unescapeString(latin1(b, vs + 1, ve - 1))) };
    case T_BOOL: return { type: 'boolean', value: booleanValue(b, vs, ve) === 1 };
    default: throw new Error(`unknown field type ${t}`);
  }
}

/** Decodes one line (canonical, or any line InfluxDB 1.x accepts) of data[start..end); `st` is scan scratch to reuse. */
export function decodeLine(data: Buffer, start: number, end: number, st = new LineState()): Point {
  if (end > start && data[end - 1] === Byte.LF) end--;
  // First backslash of the line, searched within the line only (decoding a batch stays linear).
  let bs = start;
  while (bs < end && data[bs] !== Byte.BACKSLASH) bs++;
  if (!scanPoint(st, data, start, end, bs < end ? bs : data.length, 1n, true)) {
    throw new Error(`not a valid line: ${st.reason}`);
  }
  const measurement = u8(unescapeName(latin1(data, start, st.mEnd)));
  const tags: Array<readonly [string, string]> = [];
  for (let j = 0; j < st.nTags; j++) {
    const t = st.tags;
    tags.push([u8(unescapeTag(latin1(data, t[j * 4], t[j * 4 + 1]))), u8(unescapeTag(latin1(data, t[j * 4 + 2], t[j * 4 + 3])))]);
  }
  const fields: Array<[string, FieldValue]> = [];
  const index = new Map<string, number>();
  for (let j = 0; j < st.nFields; j++) {
    const f = st.fields;
    const key = u8(unescapeName(latin1(data, f[j * 4], f[j * 4 + 1])));
    if (key === TIME_KEY) continue;
    const v = value(data, st.ftypes[j], f[j * 4 + 2], f[j * 4 + 3]);
    const at = index.get(key);
    if (at === undefined) { index.set(key, fields.length); fields.push([key, v]); } else fields[at][1] = v;
  }
  const timestamp = st.tsText !== '' ? BigInt(st.tsText) : st.tsStart < st.tsEnd ? BigInt(latin1(data, st.tsStart, st.tsEnd)) : 0n;
  return { measurement, tags, fields, timestamp };
}

/** Unescaped measurement of point i. */
export function measurementOf(batch: PointBatch, i: number): string {
  const s = batch.starts[i];
  return u8(unescapeName(latin1(batch.data, s, s + batch.measurementLengths[i])));
}

/** Unescaped value of tag `key` of point i, or undefined. */
export function tagValueOf(batch: PointBatch, i: number, key: string): string | undefined {
  const b = batch.data;
  const s = batch.starts[i];
  const end = s + batch.seriesLengths[i];
  let p = s + batch.measurementLengths[i];
  while (p < end) {
    // p is at the ',' before a tag; a byte after a backslash never ends a token.
    const ks = p + 1;
    let k = ks;
    while (k < end && !(b[k] === Byte.EQUALS && !escapedAt(b, k))) k++;
    let v = k + 1;
    while (v < end && !(b[v] === Byte.COMMA && !escapedAt(b, v))) v++;
    if (u8(unescapeTag(latin1(b, ks, k))) === key) return u8(unescapeTag(latin1(b, k + 1, v)));
    p = v;
  }
  return undefined;
}
