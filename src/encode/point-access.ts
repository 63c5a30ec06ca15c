// The parser's typed views of canonical lines, as the encode stage uses them (partition keys by
// measurement or tag, the json record format).
import { decodeLine } from '../parse/index.js';
import type { Point, PointBatch } from '../parse/types.js';

export { decodeLine, measurementOf, tagValueOf } from '../parse/index.js';

/** Decodes point i of a batch. */
export function decodePoint(batch: PointBatch, i: number): Point {
  return decodeLine(batch.data, batch.starts[i], batch.starts[i + 1]);
}
