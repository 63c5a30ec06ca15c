// Builds a PointBatch from lines that are already canonical (the parser's output format), so the
// delivery tests do not depend on the parser. Series key = bytes before the first unescaped space.
import type { PointBatch } from '../../src/parse/types.js';

function firstUnescaped(buf: Buffer, from: number, to: number, stops: number[]): number {
  for (let i = from; i < to; i++) {
    if (buf[i] === 0x5c) i++;
    else if (stops.includes(buf[i])) return i;
  }
  return to;
}

export function batchFromLines(lines: readonly string[] | string): PointBatch {
  const list = typeof lines === 'string' ? lines.split('\n').filter((l) => l.length > 0) : lines;
  const data = Buffer.from(list.map((l) => `${l}\n`).join(''), 'utf8');
  const count = list.length;
  const starts = new Uint32Array(count + 1);
  const seriesLengths = new Uint32Array(count);
  const measurementLengths = new Uint32Array(count);
  const lineNumbers = Uint32Array.from(list, (_, i) => i + 1);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = pos;
    const end = data.indexOf(0x0a, pos);
    const series = firstUnescaped(data, pos, end, [0x20]);
    seriesLengths[i] = series - pos;
    measurementLengths[i] = firstUnescaped(data, pos, series, [0x2c]) - pos;
    pos = end + 1;
  }
  starts[count] = pos;
  return { data, count, starts, seriesLengths, measurementLengths, lines: lineNumbers };
}

/** Lines of a batch, without newlines. */
export function linesOf(batch: PointBatch): string[] {
  const out: string[] = [];
  for (let i = 0; i < batch.count; i++) out.push(batch.data.toString('utf8', batch.starts[i], batch.starts[i + 1] - 1));
  return out;
}
