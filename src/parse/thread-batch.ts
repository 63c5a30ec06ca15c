// A PointBatch crossing between threads: the buffers it owns move (transferred, not copied), the rest are cloned,
// and the data comes back as a Buffer (a structured clone gives a plain Uint8Array).
import type { PointBatch } from './types.js';

/** Big enough that a Buffer cannot be a slab of Node's shared Buffer pool (8 KiB), so it is safe to transfer. */
export const OWN_BUFFER = 64 << 10;

/** A view that starts its own ArrayBuffer (typed arrays never share Node's Buffer pool; Buffers might). */
export function ownsBuffer(v: ArrayBufferView): boolean {
  if (v.byteOffset !== 0 || !(v.buffer instanceof ArrayBuffer)) return false;
  return !Buffer.isBuffer(v) || v.buffer.byteLength >= OWN_BUFFER;
}

/**
 * The ArrayBuffer a body moves to another thread in: its own when the body spans it (a gzip body's buffer holds one
 * byte more, no other view's; decode/body.ts), else a copy of its own (it may be a slab of Node's Buffer pool).
 */
export function movableBuffer(body: Uint8Array): ArrayBuffer {
  const own = body.byteOffset === 0 && body.buffer instanceof ArrayBuffer && body.buffer.byteLength - body.byteLength <= 1 && body.byteLength >= OWN_BUFFER;
  return own ? body.buffer as ArrayBuffer : new Uint8Array(body).buffer;
}

/** Adds the buffers of these views that may move without a copy to `transfer`. */
export function transferable(views: readonly ArrayBufferView[], transfer: Set<ArrayBuffer>): Set<ArrayBuffer> {
  for (const v of views) if (ownsBuffer(v)) transfer.add(v.buffer as ArrayBuffer);
  return transfer;
}

/** The batch's columns, as posted. */
export function batchViews(p: PointBatch): ArrayBufferView[] {
  return [p.data, p.starts, p.seriesLengths, p.measurementLengths, p.lines];
}

/** A batch as it arrives from another thread (its data a plain Uint8Array). */
export type ThreadBatch = Omit<PointBatch, 'data'> & { readonly data: Uint8Array };

/** A batch as it arrived from another thread: its data a Buffer again. */
export function batchFromThread(p: ThreadBatch): PointBatch {
  const d = p.data;
  return {
    data: Buffer.from(d.buffer, d.byteOffset, d.byteLength),
    count: p.count, starts: p.starts, seriesLengths: p.seriesLengths, measurementLengths: p.measurementLengths, lines: p.lines,
  };
}
