// Decode stage: undoes Content-Encoding within a size limit, so a gzip bomb stops while inflating.
import { gunzip } from 'node:zlib';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly reason: 'too_large' | 'bad_gzip' | 'gzip_without_header',
    message: string,
  ) {
    super(message);
  }
}

/** True for the encodings InfluxDB inflates (`x-gzip` is 2.x's alias); anything else is taken as raw bytes, as InfluxDB does. */
export function isGzip(contentEncoding: string | undefined): boolean {
  if (!contentEncoding) return false;
  const e = contentEncoding.trim().toLowerCase();
  return e === 'gzip' || e === 'x-gzip';
}

/** The body as line-protocol bytes: inflated when gzip, never larger than maxDecodedBytes. */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxDecodedBytes: number): Promise<Buffer> {
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
  return new Promise((resolve, reject) => {
    // maxOutputLength makes zlib stop as soon as the output would pass the limit.
    gunzip(raw, { maxOutputLength: maxDecodedBytes }, (err, out) => {
      if (!err) return resolve(out);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') return reject(tooLarge(maxDecodedBytes));
      reject(new BodyError(400, 'bad_gzip', `gzip: invalid body: ${err.message}`));
    });
  });
}

function tooLarge(limit: number): BodyError {
  return new BodyError(413, 'too_large', `request body too large: more than ${limit} bytes after decompression`);
}
