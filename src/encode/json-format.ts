// The `json` record format: byte-for-byte what Telegraf's json serializer writes (Go encoding/json
// of a map), so consumers built for Telegraf's outputs.kinesis read kinflux records unchanged:
// keys sorted (fields, name, tags, timestamp and inside fields/tags), HTML-safe escapes, one object per line.
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

/** Go prints float64 the way JSON.stringify does (shortest round trip, exponent outside [1e-6, 1e21)), except -0. */
function goJsonFloat(v: number): string {
  return Object.is(v, -0) ? '-0' : JSON.stringify(v);
}

function fieldJson(v: FieldValue): string | undefined {
  switch (v.type) {
    case 'float':
      return Number.isFinite(v.value) ? goJsonFloat(v.value) : undefined; // Telegraf drops NaN/Inf fields
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
  for (const [k, v] of [...p.fields].sort(byKey)) {
    const j = fieldJson(v);
    if (j !== undefined) fields.push(`${goJsonString(k)}:${j}`);
  }
  const tags: string[] = [];
  for (const [k, v] of [...p.tags].sort(byKey)) tags.push(`${goJsonString(k)}:${goJsonString(v)}`);
  // Go's integer division truncates toward zero, as BigInt division does.
  const ts = (p.timestamp / UNIT_NS[units]).toString();
  return `{"fields":{${fields.join(',')}},"name":${goJsonString(p.measurement)},"tags":{${tags.join(',')}},"timestamp":${ts}}\n`;
}
