// InfluxDB 3's `precision=auto` (the default of /api/v3/write_lp): each timestamp's unit is guessed from its
// magnitude (absolute value): below 5e9 seconds, below 5e12 milliseconds, below 5e15 microseconds, otherwise nanoseconds.
// The body is parsed at ns precision, then each point whose timestamp is below 5e15 is rewritten: the unit is
// a power of ten, so the ns value is the digits followed by zeros (no bigint, no overflow: < 5e18).
import type { PointBatch } from '../parse/types.js';

/** The batch with every timestamp read by magnitude; the same batch when none is below 5e15. */
export function applyAutoPrecision(batch: PointBatch): PointBatch {
  const { data, count, starts } = batch;
  // Zeros to append per point (0: unchanged); the common case (ns timestamps) returns early.
  let grow = 0;
  let zeros: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const z = zerosFor(data, starts[i + 1] - 1);
    if (z === 0) continue;
    zeros ??= new Uint8Array(count);
    zeros[i] = z;
    grow += z;
  }
  if (zeros === undefined) return batch;
  const out = Buffer.allocUnsafe(data.length + grow);
  const newStarts = new Uint32Array(count + 1);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const s = starts[i];
    const nl = starts[i + 1] - 1;
    newStarts[i] = o;
    o += data.copy(out, o, s, nl);
    out.fill(48, o, o + zeros[i]);
    o += zeros[i];
    out[o++] = 10;
  }
  newStarts[count] = o;
  return { ...batch, data: out, starts: newStarts };
}

/** Zeros that make the timestamp ending before data[nl] nanoseconds: 9, 6, 3 or 0. */
function zerosFor(data: Buffer, nl: number): number {
  let s = nl;
  while (s > 0 && data[s - 1] !== 32) s--;
  const neg = data[s] === 45;
  const digits = nl - s - (neg ? 1 : 0);
  if (digits > 16) return 0;
  // Up to 16 digits: exact as a double. The magnitude decides, so a negative value never overflows either.
  const v = Math.abs(Number(data.toString('latin1', s, nl)));
  if (v < 5e9) return v === 0 ? 0 : 9;
  if (v < 5e12) return 6;
  if (v < 5e15) return 3;
  return 0;
}
