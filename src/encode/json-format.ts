// The `json` record format: Telegraf's json serializer layout (Go encoding/json of a map), so consumers
// built for Telegraf's outputs.kinesis read kinflux records: keys sorted (fields, name, tags, timestamp
// and inside fields/tags), HTML-safe escapes, one object per line. Where Go's output loses the type,
// kinflux keeps it, and every JSON reader still sees plain numbers (docs/records.md, docs/record.schema.json):
//   - a float always has a decimal point or an exponent (1.0, -0.0, 1e+300, 5e-324); an integer never;
//   - integers are exact to 64 bits in the text (never through a JS number);
//   - unsigned fields are named in a sorted "unsigned" array after "timestamp", present only when the
//     point has one (a plain number cannot say "u", and a per-field wrapper would break every reader).
import type { JsonTimestampUnits } from '../config/types.js';
import type { FieldValue, Point } from '../parse/types.js';

const UNIT_NS: Record<JsonTimestampUnits, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/** Go's json.Marshal escapes <, > and & (HTML safety) and the JS line separators; JSON.stringify does not. */
export function goJsonString(s: string): string {
  const j = JSON.stringify(s);
  return /[<>&\u2028\u2029]/.test(j)
    ? j.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : j;
}

/**
 * Shortest round-trip digits (as Go and JSON.stringify print them, exponent outside [1e-6, 1e21)), with
 * `.0` added when they would read as an integer: Python's json gives float for `1.0` and `-0.0`, int for `1`.
 */
export function jsonFloat(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  const s = JSON.stringify(v);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function fieldJson(v: FieldValue): string | undefined {
  switch (v.type) {
    case 'float':
      return Number.isFinite(v.value) ? jsonFloat(v.value) : undefined; // Telegraf drops NaN/Inf fields
    case 'integer':
    case 'unsigned':
      return v.value.toString(); // exact beyond 2^53: never through a JS number
    case 'string':
      return goJsonString(v.value);
    case 'boolean':
      return v.value ? 'true' : 'false';
  }
}

const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** One point as Telegraf's json serializer writes it, newline included. */
export function pointToJson(p: Point, units: JsonTimestampUnits): string {
  const fields: string[] = [];
  const unsigned: string[] = [];
  for (const [k, v] of [...p.fields].sort(byKey)) {
    const j = fieldJson(v);
    if (j === undefined) continue;
    fields.push(`${goJsonString(k)}:${j}`);
    if (v.type === 'unsigned') unsigned.push(goJsonString(k));
  }
  const tags: string[] = [];
  for (const [k, v] of [...p.tags].sort(byKey)) tags.push(`${goJsonString(k)}:${goJsonString(v)}`);
  // Go's integer division truncates toward zero, as BigInt division does.
  const ts = (p.timestamp / UNIT_NS[units]).toString();
  const u = unsigned.length ? `,"unsigned":[${unsigned.join(',')}]` : '';
  return `{"fields":{${fields.join(',')}},"name":${goJsonString(p.measurement)},"tags":{${tags.join(',')}},"timestamp":${ts}${u}}\n`;
}
