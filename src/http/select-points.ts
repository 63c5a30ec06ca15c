// Builds a PointBatch without some of its points (those refused after parsing, such as oversize ones).
import type { PointBatch } from '../parse/types.js';

export function selectPoints(batch: PointBatch, drop: ReadonlySet<number>): PointBatch {
  const keep: number[] = [];
  for (let i = 0; i < batch.count; i++) if (!drop.has(i)) keep.push(i);
  const starts = new Uint32Array(keep.length + 1);
  const seriesLengths = new Uint32Array(keep.length);
  const measurementLengths = new Uint32Array(keep.length);
  const lines = new Uint32Array(keep.length);
  let size = 0;
  for (const i of keep) size += batch.starts[i + 1] - batch.starts[i];
  const data = Buffer.allocUnsafe(size);
  let at = 0;
  keep.forEach((i, k) => {
    starts[k] = at;
    at += batch.data.copy(data, at, batch.starts[i], batch.starts[i + 1]);
    seriesLengths[k] = batch.seriesLengths[i];
    measurementLengths[k] = batch.measurementLengths[i];
    lines[k] = batch.lines[i];
  });
  starts[keep.length] = at;
  return { data, count: keep.length, starts, seriesLengths, measurementLengths, lines };
}
