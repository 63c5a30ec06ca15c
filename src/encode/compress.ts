// Optional compression of each record's payload (the whole record data, after aggregation).
// Runs on libuv's thread pool (async zlib) so that compressing ~1 MiB records never blocks the event loop.
import { promisify } from 'node:util';
import { deflate, gzip, gunzipSync, inflateSync } from 'node:zlib';
import type { Compression } from '../config/types.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

export async function compressPayload(kind: Compression, data: Buffer): Promise<Buffer> {
  if (kind === 'gzip') return gzipAsync(data);
  if (kind === 'zlib') return deflateAsync(data);
  return data;
}

/** Inverse of compressPayload, for tests and consumers. */
export function decompressPayload(kind: Compression, data: Buffer): Buffer {
  if (kind === 'gzip') return gunzipSync(data);
  if (kind === 'zlib') return inflateSync(data);
  return data;
}

/**
 * Most bytes compression can add to `n` incompressible bytes (deflate stored blocks: 5 bytes per
 * 16 KiB block, plus the gzip 18 / zlib 6 byte frame). Used to rule out points that can never fit.
 */
export function worstCaseCompressedSize(kind: Compression, n: number): number {
  if (kind === 'none') return n;
  return n + 5 * (Math.ceil(n / 16383) + 1) + (kind === 'gzip' ? 18 : 6);
}
