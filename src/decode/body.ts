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
 * claimed from `reserve` as they come (or with their output buffer, up to 4 MiB), so inflating stops (503) as soon as the process-wide budget is spent,
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
  const { chunkSize, claimFirst, slice } = plan(raw, maxDecodedBytes);
  // The output buffer is claimed before it is allocated: a trailer that lies costs the client budget, not memory.
  if (claimFirst && !reserve(chunkSize)) throw overBudget();
  let claimed = claimFirst ? chunkSize : 0;
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
      gunzip.destroy();
      reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      // The limit is checked per piece of output (64 KiB; ~1 MiB, ≤ 16 MiB claimed first; a claimed ≤ 4 MiB buffer): a bomb stops near it.
      if (total > maxDecodedBytes) return fail(tooLarge(maxDecodedBytes));
      // Bytes inside the claimed output buffer are claimed already.
      const covered = Math.min(claimed, chunk.length);
      claimed -= covered;
      if (chunk.length > covered && !reserve(chunk.length - covered)) return fail(overBudget());
      // zlib allocates its next output buffer as soon as one is full: when the trailer understated the size (bytes
      // after the first member, several members), that next buffer of up to 4 MiB is claimed before it exists.
      if (claimFirst && chunk.byteOffset + chunk.length === chunkSize && chunk.buffer.byteLength === chunkSize) {
        if (!reserve(chunkSize)) return fail(overBudget());
        claimed += chunkSize;
      }
      if (stop && total >= nextCheck) {
        // At each MiB boundary passed: pieces of about 1 MiB must not make it every other MiB.
        nextCheck = (Math.floor(total / CHECK_EVERY) + 1) * CHECK_EVERY;
        const err = stop(total);
        if (err) return fail(err);
      }
      // Pieces of one zlib buffer: views, no copy (joined below only when output outgrew the stated size).
      parts.push(chunk);
    });
    gunzip.on('error', (err) => fail(new BodyError(400, 'bad_gzip', `gzip: invalid body: ${err.message}`)));
    gunzip.on('end', () => {
      if (failed) return;
      resolve(parts.length === 1 ? parts[0] : (adjacent(parts, total) ?? Buffer.concat(parts, total)));
    });
    // zlib fills its output buffer as far as each write's input goes, and emits that piece: slices keep each
    // piece and the stop check near CHECK_EVERY (plan()). One slice at a time, its most output (deflate's largest
    // ratio) claimed before it is written: a bomb's piece is budget spent before it is memory, never after.
    let at = 0;
    const feed = (): void => {
      if (failed) return;
      if (at >= raw.length) return void gunzip.end();
      const piece = raw.subarray(at, at + slice);
      at += piece.length;
      if (!claimFirst && slice < raw.length) {
        const most = piece.length * DEFLATE_MAX_RATIO;
        if (claimed < most) {
          if (!reserve(most - claimed)) return fail(overBudget());
          claimed = most;
        }
      }
      gunzip.write(piece, () => feed());
    };
    feed();
  });
}

/** Inflated bytes per output chunk when the body's own size cannot be trusted or is small. */
const MIN_CHUNK = 64 * 1024;
/** Largest output buffer claimed before the inflate, and most it may exceed the compressed body by. */
const MAX_CLAIMED_CHUNK = 4 * 1024 * 1024;
const MAX_CLAIMED_RATIO = 64;
/** deflate's largest ratio (inflated / compressed bytes) is about 1032: a trailer stating more than this lies. */
const DEFLATE_MAX_RATIO = 1032;
/** How often (inflated bytes) `stop` is asked. */
const CHECK_EVERY = 1 << 20;
/**
 * Compressed bytes per write into zlib for a body inflated into its stated size: what makes CHECK_EVERY of output at
 * the body's average ratio, at least what makes at most CHECK_EVERY at deflate's most (1,016 bytes), and at most what
 * makes MAX_AHEAD (16 MiB) and an eighth of the stated size there: that much is claimed before each slice is written,
 * so a bomb whose ratio jumps spends budget, not unclaimed memory. Each write is a trip to zlib's thread: 1,016-byte
 * slices cost 1.5–2.4x the CPU on bodies of ratio 5–10 (64 MiB; 16 KiB: 0.6–0.9x).
 */
const MIN_SLICE = Math.floor(CHECK_EVERY / DEFLATE_MAX_RATIO);
/** Most claimed ahead of a slice's output (its size × deflate's largest ratio): 16 MiB, and an eighth of the stated size. */
const MAX_AHEAD = 16 * CHECK_EVERY;

interface Plan {
  /** zlib's output buffer size: every piece of output is a view of the current one. */
  readonly chunkSize: number;
  /** The output buffer is claimed before the inflate (its bytes are not claimed again). */
  readonly claimFirst: boolean;
  /** Compressed bytes per write into zlib. */
  readonly slice: number;
}

/**
 * How a gzip body is inflated, from the size its trailer states (ISIZE, modulo 2^32; the last member's only). A
 * client writes the trailer, so it is trusted only within bounds:
 * - up to 4 MiB and 64 × the compressed body: into one zlib buffer of the stated size + 1 (a full buffer makes zlib
 *   allocate another), claimed before it is allocated;
 * - larger, up to the decoded limit and 1032 × the body (deflate's most): into one buffer of the stated size + 1,
 *   the body fed in slices so output comes in pieces of about 1 MiB, each slice's most output (≤ 16 MiB and an
 *   eighth of the stated size) claimed before it is written (pages not written take no memory). Copying 64 KiB chunks into it left D of chunks as garbage, resident
 *   until a GC (up to +30 MiB peak RSS for a 128 MiB body); joining them, +130 MiB.
 * - else in 64 KiB chunks, joined at the end.
 * One buffer also means fewer fresh external buffers, which count against V8's old-generation limit and bring its
 * mark-compacts sooner (bench:e2e with gzip bodies). The body moves to the parse thread without a copy.
 */
function plan(raw: Buffer, maxDecodedBytes: number): Plan {
  const chunks: Plan = { chunkSize: MIN_CHUNK, claimFirst: false, slice: raw.length };
  if (raw.length < 18) return chunks;
  const stated = raw.readUInt32LE(raw.length - 4);
  if (stated + 1 <= MIN_CHUNK || stated > maxDecodedBytes) return chunks;
  if (stated + 1 <= Math.min(MAX_CLAIMED_CHUNK, MAX_CLAIMED_RATIO * raw.length)) return { chunkSize: stated + 1, claimFirst: true, slice: raw.length };
  if (stated + 1 <= MAX_CLAIMED_CHUNK || stated > DEFLATE_MAX_RATIO * raw.length) return chunks;
  const ahead = Math.min(MAX_AHEAD, Math.max(CHECK_EVERY, Math.floor(stated / 8)));
  const slice = Math.min(Math.floor(ahead / DEFLATE_MAX_RATIO), Math.max(MIN_SLICE, Math.floor((raw.length * CHECK_EVERY) / stated)));
  return { chunkSize: stated + 1, claimFirst: false, slice };
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

function overBudget(): BodyError {
  return new BodyError(503, 'over_budget', 'kinflux is busy: request bodies being received and decoded fill its memory budget (KINFLUX_MAX_INFLIGHT_BODY_BYTES); retry shortly');
}

function tooLarge(limit: number): BodyError {
  return new BodyError(413, 'too_large', `request body too large: more than ${limit} bytes after decompression`);
}
