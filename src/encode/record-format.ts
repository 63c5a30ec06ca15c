// Bytes of one point inside a record, per record format. `line` is a zero-copy view of the
// parser's canonical line; `json` decodes the point and writes Telegraf's JSON layout.
import type { JsonTimestampUnits, RecordFormat } from '../config/types.js';
import type { PointBatch } from '../parse/types.js';
import { pointToJson } from './json-format.js';
import { decodePoint } from './point-access.js';

export type PointEncoder = (batch: PointBatch, i: number) => Buffer;

export function pointEncoder(format: RecordFormat, jsonUnits: JsonTimestampUnits): PointEncoder {
  if (format === 'line') return (batch, i) => batch.data.subarray(batch.starts[i], batch.starts[i + 1]);
  return (batch, i) => Buffer.from(pointToJson(decodePoint(batch, i), jsonUnits), 'utf8');
}
