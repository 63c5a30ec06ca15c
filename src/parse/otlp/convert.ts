// One OTLP request body → points, as POST /v1/metrics does it (decode, bounds, map), without HTTP or
// delivery: the route and bench:hostile both call this.
import { PointBuilder } from '../point-builder.js';
import { BatchWriter } from '../out.js';
import type { PointBatch } from '../types.js';
import { decodeJsonRequest } from './json.js';
import { decodeProtobufRequest } from './protobuf.js';
import { OtlpDecodeError } from './model.js';
import { mapRequest, type MapResult, type OtlpSchema } from './map.js';
import type { OtlpEncoding } from '../../http/otlp-response.js';

/**
 * The canonical lines a request may map to, per byte of its decoded body (plus a floor): resource attributes
 * become tags on every line and a histogram's on every bucket line, so ordinary requests grow several
 * times; this bounds what an attacker can make one byte cost.
 */
export const MAPPED_BYTES_PER_BODY_BYTE = 16;
export const MAPPED_BYTES_FLOOR = 8 << 20;

export interface ConvertLimits {
  /** Most data points, and most mapped points (KINFLUX_MAX_LINES; 0: none). */
  readonly maxPoints: number;
  /** Most bytes of mapped lines whatever the body (KINFLUX_MAX_DECODED_BYTES). */
  readonly maxBytes: number;
}

export type Converted =
  | { readonly ok: true; readonly points: PointBatch; readonly mapped: MapResult }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string; readonly reason: 'otlp_invalid' | 'too_many_lines'; readonly points: number };

export function convertRequest(body: Buffer, enc: OtlpEncoding, schema: OtlpSchema, limits: ConvertLimits): Converted {
  const maxPoints = limits.maxPoints || Number.MAX_SAFE_INTEGER;
  let request;
  try {
    request = enc === 'json' ? decodeJsonRequest(body, { maxDataPoints: maxPoints }) : decodeProtobufRequest(body, { maxDataPoints: maxPoints });
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err;
    return { ok: false, status: err.status, message: `invalid OTLP ${enc === 'json' ? 'JSON' : 'protobuf'} request: ${err.message}`, reason: err.status === 413 ? 'too_many_lines' : 'otlp_invalid', points: 0 };
  }
  // Room for what the request usually maps to (a protobuf byte becomes about 4 of lines, a JSON byte 1.5), so the
  // batch is seldom copied as it grows; at most 2 MiB up front.
  const guess = Math.min(2 << 20, enc === 'json' ? 1.5 * body.length : 4 * body.length);
  const maxBytes = Math.min(limits.maxBytes, Math.max(MAPPED_BYTES_FLOOR, MAPPED_BYTES_PER_BODY_BYTE * body.length));
  // Past maxBytes the mapping stops (after the point that crossed it): the batch grows up to it by doubling.
  const builder = new PointBuilder(new BatchWriter(64 * 1024 + guess, 1024 + (guess >> 8), maxBytes));
  const mapped = mapRequest(request, schema, builder, { maxPoints, maxBytes });
  if (mapped.tooMany) {
    const what = mapped.tooMany === 'points' ? `more than ${maxPoints} points (KINFLUX_MAX_LINES)` : `more than ${maxBytes} bytes of line protocol`;
    return { ok: false, status: 413, message: `the request maps to ${what}: send fewer data points, buckets or attributes per request`, reason: 'too_many_lines', points: builder.count };
  }
  return { ok: true, points: builder.batch(), mapped };
}
