// A consumer of json records as docs/records.md tells one to read them: each line validated against the
// published schema (docs/record.schema.json, ajv), numbers read from their text (lossless-json), so a
// float is a number with '.' or an exponent, an integer is exact to 64 bits, and "unsigned" names the
// unsigned fields. Returns the points as the parser's typed Point, for exact comparison.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { isLosslessNumber, parse, type LosslessNumber } from 'lossless-json';
import type { FieldValue, Point } from '../../src/parse/types.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/record.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

export class JsonRecordError extends Error {}

function typed(name: string, v: unknown, unsigned: ReadonlySet<string>): FieldValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'boolean', value: v };
  if (!isLosslessNumber(v)) throw new JsonRecordError(`field ${name}: not a number, string or boolean`);
  const text = (v as LosslessNumber).value;
  if (/[.eE]/.test(text)) {
    if (unsigned.has(name)) throw new JsonRecordError(`field ${name}: listed unsigned but written as a float (${text})`);
    return { type: 'float', value: Number(text) };
  }
  const n = BigInt(text);
  if (unsigned.has(name)) {
    if (n < 0n || n > 2n ** 64n - 1n) throw new JsonRecordError(`field ${name}: unsigned out of range (${text})`);
    return { type: 'unsigned', value: n };
  }
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) throw new JsonRecordError(`field ${name}: int64 out of range (${text})`);
  return { type: 'integer', value: n };
}

/** One json record line (without its newline) → the point it holds; throws JsonRecordError when invalid. */
export function readJsonLine(line: string, unitNs = 1n): Point {
  let plain: unknown;
  let lossless: unknown;
  try {
    plain = JSON.parse(line);
    lossless = parse(line); // also refuses duplicate keys
  } catch (err) {
    throw new JsonRecordError(`not JSON: ${(err as Error).message}`);
  }
  if (!validate(plain)) throw new JsonRecordError(`schema: ${JSON.stringify(validate.errors)}`);
  const o = lossless as { fields: Record<string, unknown>; name: string; tags: Record<string, string>; timestamp: LosslessNumber; unsigned?: string[] };
  const unsigned = new Set(o.unsigned ?? []);
  for (const u of unsigned) if (!(u in o.fields)) throw new JsonRecordError(`"unsigned" names ${u}, which is not a field`);
  const keys = Object.keys(o);
  if (keys.join() !== [...keys].sort().join()) throw new JsonRecordError('top-level keys not sorted');
  return {
    measurement: o.name,
    tags: Object.entries(o.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    fields: Object.entries(o.fields).map(([k, v]) => [k, typed(k, v, unsigned)] as const),
    timestamp: BigInt(o.timestamp.value) * unitNs,
  };
}

/** Every point of a json record (one object per line, each ending in \n). */
export function readJsonRecord(data: Buffer, unitNs = 1n): Point[] {
  const text = data.toString('utf8');
  if (!text.endsWith('\n')) throw new JsonRecordError('record does not end in a newline');
  return text.slice(0, -1).split('\n').map((l) => readJsonLine(l, unitNs));
}

/** A point with its fields sorted by key: json records sort them (as Telegraf's serializer does); order carries no meaning. */
export function withSortedFields(p: Point): Point {
  return { ...p, fields: [...p.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}
