// OTLP/HTTP answers in the request's encoding: ExportMetricsServiceResponse on 200 (with partial_success when
// data points were refused), google.rpc.Status on a failure. Two small fixed messages, written by hand.

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/**
 * The encoding a Content-Type asks for: `application/x-protobuf` (also `application/protobuf`) or
 * `application/json`, parameters ignored; undefined for anything else (415).
 */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf';
  if (t === 'application/json') return 'json';
  return undefined;
}

/** gRPC status codes for the HTTP statuses kinflux answers with (the spec lets clients ignore them). */
export function grpcCode(status: number): number {
  switch (status) {
    case 400: case 415: return 3; // INVALID_ARGUMENT
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 5; // NOT_FOUND
    case 413: case 429: return 8; // RESOURCE_EXHAUSTED
    case 503: return 14; // UNAVAILABLE
    default: return status >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}

/** ExportMetricsServiceResponse: empty on full success; partial_success { rejected_data_points = 1, error_message = 2 } otherwise. */
export function exportResponse(enc: OtlpEncoding, partial?: { rejected: number; message: string }): Buffer {
  if (enc === 'json') {
    return Buffer.from(partial ? JSON.stringify({ partialSuccess: { rejectedDataPoints: String(partial.rejected), errorMessage: partial.message } }) : '{}');
  }
  if (!partial) return Buffer.alloc(0);
  const inner = new ProtoWriter();
  if (partial.rejected !== 0) inner.varintField(1, partial.rejected);
  if (partial.message) inner.stringField(2, partial.message);
  const outer = new ProtoWriter();
  outer.bytesField(1, inner.finish());
  return outer.finish();
}

/** google.rpc.Status { int32 code = 1; string message = 2; } */
export function statusBody(enc: OtlpEncoding, status: number, message: string): Buffer {
  const code = grpcCode(status);
  if (enc === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const w = new ProtoWriter();
  w.varintField(1, code);
  w.stringField(2, message);
  return w.finish();
}

/** Just enough of the protobuf wire format to write the two answers (varint and length-delimited fields). */
class ProtoWriter {
  private parts: number[] = [];
  private chunks: Buffer[] = [];

  varintField(field: number, v: number): void {
    this.varint(field << 3);
    this.varint(v);
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  bytesField(field: number, b: Buffer): void {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.flush();
    this.chunks.push(b);
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  /** A non-negative integer below 2^53 as a varint. */
  private varint(v: number): void {
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
  }

  private flush(): void {
    if (this.parts.length) this.chunks.push(Buffer.from(this.parts));
    this.parts = [];
  }
}
