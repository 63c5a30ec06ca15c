// Decode stage: undoes Content-Encoding within a size limit, so a gzip bomb stops while inflating.
import { createGunzip } from 'node:zlib';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 503,
    readonly reason: 'too_large' | 'bad_gzip' | 'gzip_without_header' | 'over_budget',
    message: string,
  ) {
    super(message);
  }
}

/** Claims bytes of the process-wide body budget as they are inflated; false when the budget is spent. */
export type Reserve = (bytes: number) => boolean;

/** True for the encodings InfluxDB inflates (`x-gzip` is 2.x's alias); anything else is taken as raw bytes, as InfluxDB does. */
export function isGzip(contentEncoding: string | undefined): boolean {
  if (!contentEncoding) return false;
  const e = contentEncoding.trim().toLowerCase();
  return e === 'gzip' || e === 'x-gzip';
}

/**
 * The body as line-protocol bytes: inflated when gzip, never larger than maxDecodedBytes. Inflated bytes are
 * claimed from `reserve` chunk by chunk, so inflating stops (503) as soon as the process-wide budget is spent,
 * not after the whole body is in memory.
 */
export async function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxDecodedBytes: number,
  reserve: Reserve = () => true,
  /**
   * Asked after each inflated MiB: an error stops inflating and is thrown (a write that is already too large
   * for its stream gets its 413 at once, not after inflating and joining up to KINFLUX_MAX_DECODED_BYTES).
   */
  stop?: (inflatedBytes: number) => Error | undefined,
): Promise<Buffer> {
  if (!isGzip(contentEncoding)) {
    if (raw.length > maxDecodedBytes) throw tooLarge(maxDecodedBytes);
    // The gzip magic (1f 8b) can never start line protocol: say what is wrong instead of quoting
    // a parse error full of binary.
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
      throw new BodyError(400, 'gzip_without_header', 'the body is gzip-compressed but the request has no "Content-Encoding: gzip" header: ' +
        `add the header${contentEncoding ? ` (got Content-Encoding: ${JSON.stringify(contentEncoding)})` : ''}, or send the body uncompressed`);
    }
    return raw;
  }
  if (raw.length === 0) return raw;
  const chunkSize = outputChunkSize(raw, maxDecodedBytes);
  // The output buffer is claimed before it is allocated: a trailer that lies costs the client budget, not memory.
  if (chunkSize > MIN_CHUNK && !reserve(chunkSize)) throw overBudget();
  let claimed = chunkSize > MIN_CHUNK ? chunkSize : 0;
  // A body too large for one zlib buffer is copied, chunk by chunk, into one buffer of its stated size: joining
  // 64 KiB chunks at the end held them and their copy at once (2 × 128 MiB for the largest body), and the
  // chunks stayed resident until a full GC (measured: +130 MiB peak RSS per 128 MiB request).
  let dest = chunkSize === MIN_CHUNK ? destination(raw, maxDecodedBytes) : undefined;
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize });
    const parts: Buffer[] = [];
    let total = 0;
    let failed = false;
    let nextCheck = CHECK_EVERY;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      parts.length = 0;
      dest = undefined;
      gunzip.destroy();
      reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      // The limit is checked per chunk, so a bomb stops within 64 KiB of it.
      if (total > maxDecodedBytes) return fail(tooLarge(maxDecodedBytes));
      // Bytes inside the claimed output buffer are claimed already.
      const covered = Math.min(claimed, chunk.length);
      claimed -= covered;
      if (chunk.length > covered && !reserve(chunk.length - covered)) return fail(overBudget());
      // zlib allocates its next output buffer as soon as one is full: when the trailer understated the size (bytes
      // after the first member, several members), that next buffer of up to 4 MiB is claimed before it exists.
      if (chunkSize > MIN_CHUNK && chunk.byteOffset + chunk.length === chunkSize && chunk.buffer.byteLength === chunkSize) {
        if (!reserve(chunkSize)) return fail(overBudget());
        claimed += chunkSize;
      }
      if (stop && total >= nextCheck) {
        nextCheck = total + CHECK_EVERY;
        const err = stop(total);
        if (err) return fail(err);
      }
      if (dest !== undefined) {
        const at = total - chunk.length;
        if (total <= dest.length) {
          chunk.copy(dest, at);
          return;
        }
        // More than the trailer stated (several members): the rest is collected in chunks after what is in.
        parts.push(dest.subarray(0, at));
        dest = undefined;
      }
      parts.push(chunk);
    });
    gunzip.on('error', (err) => fail(new BodyError(400, 'bad_gzip', `gzip: invalid body: ${err.message}`)));
    gunzip.on('end', () => {
      if (failed) return;
      if (dest !== undefined) resolve(dest.subarray(0, total));
      else resolve(parts.length === 1 ? parts[0] : (adjacent(parts, total) ?? Buffer.concat(parts, total)));
    });
    gunzip.end(raw);
  });
}

/** Inflated bytes per output chunk when the body's own size cannot be trusted or is small. */
const MIN_CHUNK = 64 * 1024;
/** Largest output buffer sized from the gzip trailer, and most it may exceed the compressed body by. */
const MAX_SIZED_CHUNK = 4 * 1024 * 1024;
const MAX_SIZED_RATIO = 64;

/**
 * The inflated size a gzip body states in its trailer (ISIZE, modulo 2^32; the last member's only), as the size of
 * zlib's output buffer: the body is then inflated into one buffer, not into 64 KiB chunks joined by a copy. Each
 * fresh buffer is external memory, which counts against V8's old-generation limit and brings its mark-compacts
 * sooner (bench:e2e with gzip bodies). Bounded, because a client writes the trailer: at most 64 times the
 * compressed body and 4 MiB, and claimed from the body budget before it is allocated.
 */
function outputChunkSize(raw: Buffer, maxDecodedBytes: number): number {
  if (raw.length < 18) return MIN_CHUNK;
  const stated = raw.readUInt32LE(raw.length - 4);
  const bound = Math.min(MAX_SIZED_CHUNK, MAX_SIZED_RATIO * raw.length, maxDecodedBytes + 1);
  // One byte over the stated size, so zlib's buffer is not full when the last byte lands (it would allocate another).
  return stated + 1 <= MIN_CHUNK || stated + 1 > bound ? MIN_CHUNK : stated + 1;
}

/** deflate's largest ratio (inflated / compressed bytes) is about 1032: a trailer stating more than this lies. */
const DEFLATE_MAX_RATIO = 1032;

/**
 * The buffer a body larger than a sized chunk is inflated into: its stated size (ISIZE) plus one byte, as
 * outputChunkSize, when deflate could make that much of the body and it is within the limit; else undefined
 * (collected in chunks). Its bytes are claimed as they are inflated: pages not written take no memory.
 */
function destination(raw: Buffer, maxDecodedBytes: number): Buffer | undefined {
  if (raw.length < 18) return undefined;
  const stated = raw.readUInt32LE(raw.length - 4);
  if (stated + 1 <= MAX_SIZED_CHUNK || stated > maxDecodedBytes || stated > DEFLATE_MAX_RATIO * raw.length) return undefined;
  return Buffer.allocUnsafe(stated + 1);
}

/** One view over parts that lie back to back in one buffer (zlib's output slices), or undefined. */
function adjacent(parts: Buffer[], total: number): Buffer | undefined {
  const first = parts[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < parts.length; i++) {
    if (parts[i].buffer !== first.buffer || parts[i].byteOffset !== end) return undefined;
    end += parts[i].length;
  }
  return Buffer.from(first.buffer, first.byteOffset, total);
}

/** How often (inflated bytes) `stop` is asked. */
const CHECK_EVERY = 1 << 20;

function overBudget(): BodyError {
  return new BodyError(503, 'over_budget', 'kinflux is busy: request bodies being received and decoded fill its memory budget (KINFLUX_MAX_INFLIGHT_BODY_BYTES); retry shortly');
}

function tooLarge(limit: number): BodyError {
  return new BodyError(413, 'too_large', `request body too large: more than ${limit} bytes after decompression`);
}
