// A protobuf wire-format reader for the fixed schemas kinflux decodes (remote_write, OTLP): varints,
// zigzag, fixed32/64, doubles, length-delimited ranges, unknown fields skipped. Chosen over protobufjs and
// @bufbuild/protobuf by benchmark (docs/performance.md): a schema decoder built on it reads strings as
// byte ranges of the request, so a label costs no string and no object until it is written.
// Hostile input: every read is bounded by its message's end; groups (wire types 3 and 4, deprecated
// and never in these schemas) are refused, so skipping never recurses; nesting is the schema's own,
// fixed in the decoder's code; lengths are checked before use.

export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const TWO32 = 4294967296;

export class ProtoReader {
  /** Where the current length-delimited value starts and ends (set by len()). */
  s = 0;
  e = 0;
  private view: DataView;

  constructor(readonly buf: Uint8Array, public pos = 0, public end = buf.length) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** More bytes in the current message. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** The next field's tag (field number << 3 | wire type). */
  tag(): number {
    const t = this.uint32();
    if (t >>> 3 === 0) throw new ProtobufError('protobuf: field number 0');
    return t;
  }

  /** A varint as an unsigned 32-bit number (higher bits dropped, as protobuf does for uint32). */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    let v = 0;
    let shift = 0;
    for (;;) {
      if (p >= end) throw truncated();
      const c = b[p++];
      if (shift < 28) v |= (c & 0x7f) << shift;
      else if (shift === 28) v |= (c & 0x0f) << 28;
      if (c < 0x80) break;
      shift += 7;
      if (shift > 63) throw new ProtobufError('protobuf: varint longer than 10 bytes');
    }
    this.pos = p;
    return v >>> 0;
  }

  /** A varint int64 as a number: exact within ±2^53 (timestamps in ms are), rounded beyond. */
  int64(): number {
    const lo = this.int64Parts();
    return join(lo, this.hiPart);
  }

  /** A zigzag varint (sint64) as a number. */
  sint64(): number {
    const lo = this.int64Parts();
    const hi = this.hiPart;
    const l = ((lo >>> 1) | (hi << 31)) >>> 0;
    const h = hi >>> 1;
    return lo & 1 ? -(h * TWO32 + l) - 1 : h * TWO32 + l;
  }

  /** A varint as a bigint (uint64 exactly). */
  uint64Big(): bigint {
    const lo = this.int64Parts();
    return (BigInt(this.hiPart) << 32n) | BigInt(lo);
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  double(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw truncated();
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }

  /** A double, its raw bits left in lo/hiPart (stale markers are told by their NaN bits). */
  doubleBits(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw truncated();
    this.pos = p + 8;
    this.lo = this.view.getUint32(p, true);
    this.hiPart = this.view.getUint32(p + 4, true);
    return this.view.getFloat64(p, true);
  }

  /** The raw bits of a fixed64 as [lo, hi] in lo32()/hi32() (stale markers are told by their NaN bits). */
  fixed64(): void {
    const p = this.pos;
    if (p + 8 > this.end) throw truncated();
    this.lo = this.view.getUint32(p, true);
    this.hiPart = this.view.getUint32(p + 4, true);
    this.pos = p + 8;
  }

  /** A fixed64 (uint64) as a bigint: OTLP's nanosecond timestamps. One native read, no bigint arithmetic. */
  fixed64Big(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) throw truncated();
    this.pos = p + 8;
    return this.view.getBigUint64(p, true);
  }

  /** An sfixed64 (int64) as a bigint. */
  sfixed64Big(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) throw truncated();
    this.pos = p + 8;
    return this.view.getBigInt64(p, true);
  }

  /** A fixed64 as a number (exact below 2^53). */
  fixed64Number(): number {
    this.fixed64();
    return this.hiPart * TWO32 + this.lo;
  }

  /** sfixed64 as a number (exact within ±2^53). */
  sfixed64(): number {
    this.fixed64();
    return join(this.lo, this.hiPart);
  }

  fixed32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw truncated();
    this.pos = p + 4;
    return this.view.getUint32(p, true);
  }

  float(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw truncated();
    this.pos = p + 4;
    return this.view.getFloat32(p, true);
  }

  /** A length-delimited value: sets s/e to its range and moves past it. */
  len(): void {
    const n = this.uint32();
    const s = this.pos;
    if (n > this.end - s) throw truncated();
    this.s = s;
    this.e = s + n;
    this.pos = s + n;
  }

  /** Skips a field of this wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.int64(); return;
      case WIRE_I64: if (this.pos + 8 > this.end) throw truncated(); this.pos += 8; return;
      case WIRE_LEN: this.len(); return;
      case WIRE_I32: if (this.pos + 4 > this.end) throw truncated(); this.pos += 4; return;
      default: throw new ProtobufError(wire === 3 || wire === 4 ? `protobuf: wire type ${wire} (a group) is not supported: groups are deprecated and unused by this schema` : `protobuf: invalid wire type ${wire}`);
    }
  }

  /** Low and high 32 bits of the last fixed64() (or of the varint int64Parts() read). */
  lo = 0;
  hiPart = 0;

  /** A varint's low 32 bits returned, high 32 in hiPart. */
  int64Parts(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (;;) {
      if (p >= end) throw truncated();
      const c = b[p++];
      if (shift < 28) lo |= (c & 0x7f) << shift;
      else if (shift === 28) { lo |= (c & 0x0f) << 28; hi |= (c & 0x7f) >> 4; }
      else if (shift < 63) hi |= (c & 0x7f) << (shift - 32);
      else hi |= (c & 0x01) << 31;
      if (c < 0x80) break;
      shift += 7;
      if (shift > 63) throw new ProtobufError('protobuf: varint longer than 10 bytes');
    }
    this.pos = p;
    this.hiPart = hi >>> 0;
    return lo >>> 0;
  }
}

/** A two's-complement 64-bit pair as a number. */
function join(lo: number, hi: number): number {
  if (hi & 0x80000000) {
    // -(~v + 1) on the pair
    const l = (~lo + 1) >>> 0;
    const h = (~hi + (l === 0 ? 1 : 0)) >>> 0;
    return -(h * TWO32 + l);
  }
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

function truncated(): ProtobufError {
  return new ProtobufError('protobuf: message truncated (a length or value runs past the end of its message)');
}

/** Strict UTF-8 check of b[s..e) (protobuf strings must be UTF-8); ASCII runs fast. */
export function isUtf8(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) {
      if (i + 1 >= e || (b[i + 1] & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false; // overlong
      if (c === 0xed && c1 > 0x9f) return false; // surrogates
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return false;
      if (c === 0xf0 && c1 < 0x90) return false;
      if (c === 0xf4 && c1 > 0x8f) return false;
      i += 4;
    } else return false;
  }
  return true;
}
