// OTLP request bodies written by hand for tests and benches: a minimal protobuf writer for the metrics schema
// (opentelemetry-proto v1.x field numbers) and the hostile classes of bench:hostile, each about `size` bytes.

/** Protobuf writer: fields appended to a growing list of buffers. */
export class Pb {
  private parts: Buffer[] = [];
  private len = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.len += b.length;
    return this;
  }

  static varint(v: number | bigint): Buffer {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    return Buffer.from(out);
  }

  tag(field: number, wire: number): this {
    return this.push(Pb.varint((field << 3) | wire));
  }

  uint(field: number, v: number | bigint): this {
    return this.tag(field, 0).push(Pb.varint(v));
  }

  sint(field: number, v: number): this {
    return this.uint(field, v >= 0 ? 2 * v : -2 * v - 1);
  }

  fixed64(field: number, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.tag(field, 1).push(b);
  }

  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.tag(field, 1).push(b);
  }

  bytes(field: number, b: Buffer): this {
    return this.tag(field, 2).push(Pb.varint(b.length)).push(b);
  }

  str(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  /** Packed repeated fixed64 or double. */
  packed64(field: number, vs: number[], kind: 'fixed64' | 'double'): this {
    const b = Buffer.alloc(8 * vs.length);
    vs.forEach((v, i) => (kind === 'double' ? b.writeDoubleLE(v, 8 * i) : b.writeBigUInt64LE(BigInt(v), 8 * i)));
    return this.bytes(field, b);
  }

  /** Packed repeated varints. */
  packedVarint(field: number, vs: number[]): this {
    return this.bytes(field, Buffer.concat(vs.map((v) => Pb.varint(v))));
  }

  finish(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.len);
  }

  get length(): number {
    return this.len;
  }
}

export type AnyValue = { s: string } | { i: number } | { d: number } | { b: boolean } | { arrayDepth: number };

export function keyValue(key: string, v: AnyValue): Pb {
  const any = new Pb();
  if ('s' in v) any.str(1, v.s);
  else if ('b' in v) any.uint(2, v.b ? 1 : 0);
  else if ('i' in v) any.uint(3, v.i);
  else if ('d' in v) any.double(4, v.d);
  else {
    // An array nested arrayDepth deep: ArrayValue{values: [AnyValue{array_value: …}]}.
    let inner = new Pb().str(1, 'leaf');
    for (let k = 0; k < v.arrayDepth; k++) inner = new Pb().msg(5, new Pb().msg(1, inner));
    return new Pb().str(1, key).msg(2, inner);
  }
  return new Pb().str(1, key).msg(2, any);
}

const T = 1700000000000000000n;

/** NumberDataPoint (gauge and sum). */
export function numberPoint(attrs: Pb[], value: number, time = T, start = 0n): Pb {
  const p = new Pb();
  for (const a of attrs) p.msg(7, a);
  if (start) p.fixed64(2, start);
  if (time) p.fixed64(3, time);
  return p.double(4, value);
}

/** ExportMetricsServiceRequest of one resource and scope holding `metrics` (Metric messages). */
export function request(resource: Pb[], metrics: Pb[]): Buffer {
  const res = new Pb();
  for (const a of resource) res.msg(1, a);
  const scope = new Pb().msg(1, new Pb().str(1, 'kit').str(2, '1.0'));
  for (const m of metrics) scope.msg(2, m);
  return new Pb().msg(1, new Pb().msg(1, res).msg(2, scope)).finish();
}

export const gaugeMetric = (name: string, points: Pb[]): Pb => {
  const g = new Pb();
  for (const p of points) g.msg(1, p);
  return new Pb().str(1, name).msg(5, g);
};

const RESOURCE = [
  keyValue('service.name', { s: 'checkout' }), keyValue('service.instance.id', { s: 'i-1' }), keyValue('host.name', { s: 'web-1.example.com' }),
  keyValue('deployment.environment', { s: 'prod' }), keyValue('telemetry.sdk.language', { s: 'nodejs' }), keyValue('telemetry.sdk.version', { s: '2.12.0' }),
];

/** Whole requests of `unit` data points repeated as resourceMetrics until about `size` bytes. */
function fill(size: number, one: () => Buffer): Buffer {
  const unit = one();
  const n = Math.max(1, Math.floor(size / unit.length));
  return Buffer.concat(Array.from({ length: n }, () => unit));
}

/** An SDK-like request: 50 metrics × 20 attribute sets of 3 attributes, a resource of 6. */
export function ordinaryRequest(): Buffer {
  const metrics: Pb[] = [];
  for (let i = 0; i < 50; i++) {
    const points: Pb[] = [];
    for (let a = 0; a < 20; a++) {
      points.push(numberPoint([keyValue('route', { s: `/api/v1/items/${a}` }), keyValue('method', { s: a % 3 ? 'GET' : 'POST' }), keyValue('status_code', { i: 200 + (a % 5) })], 1e6 * (a + 1) + i / 7, T, T - 60_000_000_000n));
    }
    metrics.push(gaugeMetric(`process_memory_${i}_bytes`, points));
  }
  return request(RESOURCE, metrics);
}

export interface OtlpClass {
  readonly encoding: 'protobuf' | 'json';
  make(size: number): Buffer;
}

const pb = (make: (size: number) => Buffer): OtlpClass => ({ encoding: 'protobuf', make });

/** Hostile OTLP bodies; the first is the ordinary request the others are compared with. */
export const OTLP_CLASSES: Record<string, OtlpClass> = {
  'otlp: SDK-like gauges (baseline)': pb((size) => fill(size, ordinaryRequest)),
  'otlp: tiny data points': pb((size) => fill(size, () => request([], [gaugeMetric('g', Array.from({ length: 1000 }, () => numberPoint([], 1)))]))),
  'otlp: 1,024 attributes per point': pb((size) => fill(size, () => request([], [gaugeMetric('g', [numberPoint(Array.from({ length: 1024 }, (_, i) => keyValue(`k${i}`, { s: 'v' })), 1)])]))),
  'otlp: 1,024 resource attributes': pb((size) => fill(size, () => request(Array.from({ length: 1024 }, (_, i) => keyValue(`resource.k${i}`, { s: 'value' })), [gaugeMetric('g', Array.from({ length: 20 }, (_, i) => numberPoint([keyValue('i', { i })], 1)))]))),
  'otlp: 4,096-bucket histograms, 64 resource attributes': pb((size) => fill(size, () => {
    const bounds = Array.from({ length: 4095 }, (_, i) => i);
    const dp = new Pb().fixed64(3, T).fixed64(4, 4096n).double(5, 1).packed64(6, Array.from({ length: 4096 }, () => 1), 'fixed64').packed64(7, bounds, 'double');
    return request(Array.from({ length: 64 }, (_, i) => keyValue(`resource.k${i}`, { s: 'value' })), [new Pb().str(1, 'h').msg(9, new Pb().msg(1, dp))]);
  })),
  'otlp: 4,096-bucket exponential histograms': pb((size) => fill(size, () => {
    const dp = new Pb().fixed64(3, T).fixed64(4, 8192n).sint(6, 3).msg(8, new Pb().sint(1, -2000).packedVarint(2, Array.from({ length: 4096 }, () => 1))).msg(9, new Pb().sint(1, 5).packedVarint(2, Array.from({ length: 4096 }, () => 1)));
    return request([keyValue('service.name', { s: 'x' })], [new Pb().str(1, 'e').msg(10, new Pb().msg(1, dp))]);
  })),
  // The same, but no two data points share scale and offsets: no `le` text or bucket line is kept from one to the next.
  'otlp: exponential histograms, bounds differing per point': pb((size) => fill(size, () => {
    const h = new Pb();
    for (let q = 0; q < 16; q++) {
      h.msg(1, new Pb().fixed64(3, T).fixed64(4, 8192n).sint(6, q % 4).msg(8, new Pb().sint(1, -2000 + 37 * q).packedVarint(2, Array.from({ length: 4096 }, () => 1))).msg(9, new Pb().sint(1, 5 + 41 * q).packedVarint(2, Array.from({ length: 4096 }, () => 1))));
    }
    return request([keyValue('service.name', { s: 'x' })], [new Pb().str(1, 'e').msg(10, h)]);
  })),
  // One data point's buckets all under one long series key: 8,194 lines of ~60 KB from a ~70 KB body (216 bytes
  // gzipped). The mapped-bytes bound must act inside the data point, not after it (review4 finding 1).
  'otlp: one 8,192-bucket data point under a 60 KB attribute': pb((size) => fill(size, () => {
    const dp = new Pb().fixed64(3, T).fixed64(4, 8192n).sint(6, 3).msg(8, new Pb().sint(1, -2000).packedVarint(2, Array.from({ length: 4096 }, () => 1))).msg(9, new Pb().sint(1, 5).packedVarint(2, Array.from({ length: 4096 }, () => 1)));
    return request([keyValue('big', { s: 'y'.repeat(60_000) })], [new Pb().str(1, 'e').msg(10, new Pb().msg(1, dp))]);
  })),
  // SDK-sized data points (16 buckets) whose offsets alternate: no bound is the last data point's (review4 finding 3).
  'otlp: 16-bucket exponential histograms, offsets alternating': pb((size) => fill(size, () => {
    const h = new Pb();
    for (let q = 0; q < 64; q++) {
      h.msg(1, new Pb().fixed64(3, T).fixed64(4, 16n).sint(6, 3).msg(9, new Pb().sint(1, q % 2 ? 5 : 6).packedVarint(2, Array.from({ length: 16 }, () => 1))));
    }
    return request(RESOURCE, [new Pb().str(1, 'e').msg(10, h)]);
  })),
  'otlp: 64 KB attribute values (key too long)': pb((size) => fill(size, () => request([], [gaugeMetric('g', [numberPoint([keyValue('k', { s: 'v'.repeat(65536) })], 1)])]))),
  'otlp: array attributes (every point refused)': pb((size) => fill(size, () => request([], [gaugeMetric('g', Array.from({ length: 100 }, () => numberPoint([keyValue('a', { arrayDepth: 1 })], 1)))]))),
  'otlp: arrays nested 5,000 deep': pb((size) => fill(size, () => request([], [gaugeMetric('g', [numberPoint([keyValue('a', { arrayDepth: 5000 })], 1)])]))),
  'otlp: NaN values and no timestamps': pb((size) => fill(size, () => request([], [gaugeMetric('g', Array.from({ length: 500 }, (_, i) => numberPoint([], i % 2 ? NaN : 1, i % 2 ? T : 0n)))]))),
  'otlp: unknown fields': pb((size) => fill(size, () => {
    const junk = new Pb();
    for (let i = 0; i < 1000; i++) junk.uint(100 + i, i).str(2000 + i, 'x');
    return request([], [Object.assign(gaugeMetric('g', [numberPoint([], 1)]), {}).bytes(99, junk.finish())]);
  })),
  'otlp json: SDK-like gauges': { encoding: 'json', make: (size) => jsonFill(size) },
  'otlp json: nesting past the limit': { encoding: 'json', make: (size) => Buffer.from('{"a":' + '['.repeat(size >> 1)) },
};

function jsonFill(size: number): Buffer {
  const points = Array.from({ length: 20 }, (_, a) => ({ attributes: [{ key: 'route', value: { stringValue: `/api/v1/items/${a}` } }, { key: 'method', value: { stringValue: 'GET' } }, { key: 'status_code', value: { intValue: 200 + (a % 5) } }], timeUnixNano: String(T), startTimeUnixNano: String(T - 60_000_000_000n), asDouble: 1e6 * (a + 1) }));
  const rm = { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'host.name', value: { stringValue: 'web-1.example.com' } }] }, scopeMetrics: [{ scope: { name: 'kit' }, metrics: Array.from({ length: 50 }, (_, i) => ({ name: `process_memory_${i}_bytes`, gauge: { dataPoints: points } })) }] };
  const one = JSON.stringify(rm);
  const n = Math.max(1, Math.floor(size / (one.length + 1)));
  return Buffer.from(`{"resourceMetrics":[${Array.from({ length: n }, () => one).join(',')}]}`);
}
