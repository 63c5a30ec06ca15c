// PutRecords bodies are ~5 MiB of base64: the SDK's JSON serializer (JsonShapeSerializer2.writeBase64)
// encodes every record's Data in a JS loop, the largest single cost of a delivered point. This swaps in
// Node's native base64 through the SDK's public extension points only: the client's `protocol` setting,
// AwsJson1_1Protocol's `jsonCodec` option, and the serializer's protected `writeBase64` hook.
//
// How: writeBase64 writes a one-byte placeholder (a raw NUL, which valid JSON never contains: RFC 8259
// escapes every control character) and remembers the blob; flush() splices each blob's native base64
// in at its NUL, in one output buffer. A self-test against the stock serializer runs once; if this SDK
// version serializes differently, createKinesisClient keeps the stock protocol (`nativeBase64Protocol()`
// returns undefined).
import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import { KinesisClient, PutRecordsInput$ } from '@aws-sdk/client-kinesis';
import { JsonCodec2, JsonShapeSerializer2 } from '@smithy/core/protocols';

type JsonSettings = ConstructorParameters<typeof JsonCodec2>[0];
type ProtocolSettings = ConstructorParameters<typeof AwsJson1_1Protocol>[0];
type Schema = Parameters<JsonShapeSerializer2['write']>[0];

const SLOT = '\u0000';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Input bytes per native call: a multiple of 3 (no padding mid-blob), small enough for young-generation strings. */
const CHUNK = 3 * 16_384;

function writeBase64(out: Buffer, at: number, b: Buffer): number {
  for (let i = 0; i < b.length; i += CHUNK) {
    at += out.write(b.toString('base64', i, Math.min(b.length, i + CHUNK)), at, 'latin1');
  }
  return at;
}

/**
 * PutRecords bodies, reused: each call's ~0.3–7 MiB body was a fresh Buffer outside the V8 heap, and those
 * allocations drive V8's full collections (external memory counts against the old generation's limit: at 200
 * shards a call's body is ~2.4 MiB, and bodies over 1 MiB, never pooled before, were a fifth of kinflux's
 * external allocations). A body goes back to the pool only once its call succeeded (Kinesis answered 200, so it
 * read the whole body and the socket holds no part of it); a failed or aborted call's body is left to the GC.
 * Bounded: two bodies, each at most the largest PutRecords body (KINFLUX_PUT_REQUEST_MAX_BYTES of 10 MiB in
 * base64 and JSON), and emptied after `idleMs` without a body given back, so an idle process keeps nothing of a burst.
 */
export class BodyPool {
  private readonly free: Buffer[] = [];
  /** Bodies lent out (views) and the pooled buffer each is a view of. */
  private readonly lent = new WeakMap<Uint8Array, Buffer>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxBodies = 2,
    private readonly maxBodyBytes = 14 * 1024 * 1024,
    private readonly idleMs = 5000,
  ) {}

  /** A buffer of `n` bytes, pooled when small enough. */
  take(n: number): Buffer {
    if (n > this.maxBodyBytes) return Buffer.allocUnsafe(n);
    let buf = this.free.pop();
    // Room for the next few bodies of this size: they vary by a few KiB from call to call.
    if (!buf || buf.length < n) buf = Buffer.allocUnsafeSlow(Math.min(this.maxBodyBytes, Math.ceil((n * 1.25) / 65536) * 65536));
    const view = buf.subarray(0, n);
    this.lent.set(view, buf);
    return view;
  }

  /** Gives a body back once nothing reads it any more; anything not lent by take() is ignored. */
  give(body: unknown): void {
    if (!(body instanceof Uint8Array)) return;
    const buf = this.lent.get(body);
    if (!buf) return;
    this.lent.delete(body);
    if (this.free.length >= this.maxBodies) return;
    this.free.push(buf);
    // One timer for the pool, pushed back by each body given back.
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        this.free.length = 0;
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  /** Pooled buffers waiting to be reused (tests). */
  get idle(): number {
    return this.free.length;
  }
}


/** Replaces the i-th NUL byte of `json` with blob i's base64, in a buffer from `alloc`. */
export function spliceBase64(json: Uint8Array, blobs: readonly Uint8Array[], alloc: (n: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const src = asBuffer(json);
  let total = src.length - blobs.length;
  for (const b of blobs) total += Math.ceil(b.byteLength / 3) * 4;
  const out = alloc(total);
  let from = 0;
  let to = 0;
  for (const b of blobs) {
    const at = src.indexOf(0, from);
    if (at < 0) throw new Error('native base64: a blob placeholder is missing');
    to += src.copy(out, to, from, at);
    to = writeBase64(out, to, asBuffer(b));
    from = at + 1;
  }
  to += src.copy(out, to, from);
  if (to !== total || src.indexOf(0, from) >= 0) throw new Error('native base64: unexpected serializer output');
  return out;
}

class NativeBase64Serializer extends JsonShapeSerializer2 {
  private blobs: Uint8Array[] = [];

  override write(schema: Schema, value: unknown): void {
    this.blobs = [];
    super.write(schema, value);
  }

  protected override writeBase64(data: Uint8Array): void {
    this.blobs.push(data);
    this.writeAsciiQuoted(SLOT);
  }

  override flush(): Uint8Array {
    const blobs = this.blobs;
    this.blobs = [];
    const json = super.flush();
    const pool = this.codec?.pool;
    return blobs.length === 0 ? json : spliceBase64(json, blobs, pool ? (n) => pool.take(n) : Buffer.allocUnsafe);
  }

  /** Its codec, whose pool (recycleBodies) bodies come from; the protocol makes its serializer before that is set. */
  codec: NativeBase64Codec | undefined;
}

/** Exported for tests. */
export class NativeBase64Codec extends JsonCodec2 {
  /** Set by recycleBodies(): serializers then take their output from this pool. */
  pool: BodyPool | undefined;

  override createSerializer(): NativeBase64Serializer {
    const s = new NativeBase64Serializer(this.settings);
    s.codec = this;
    if (this.serdeContext) s.setSerdeContext(this.serdeContext);
    return s;
  }
}

/** The stock protocol, except for the codec: same settings as the stock one, so only base64 differs. */
class NativeBase64AwsJson1_1Protocol extends AwsJson1_1Protocol {
  constructor(settings: ProtocolSettings) {
    const stock = new AwsJson1_1Protocol(settings).getPayloadCodec();
    super({ ...settings, jsonCodec: stock instanceof JsonCodec2 ? new NativeBase64Codec(stock.settings) : stock });
  }
}

function serialize(codec: JsonCodec2, input: unknown): Buffer {
  const s = codec.createSerializer();
  s.write(PutRecordsInput$ as Parameters<typeof s.write>[0], input);
  return asBuffer(s.flush());
}

/** Same SDK modules as the client's, and byte-for-byte the stock output on edge cases (padding, empty, escapes, sizes). */
function selfTest(): boolean {
  try {
    // Our imports must be the very modules the client uses (one copy of each SDK package installed).
    const probe = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const same = probe.config.protocol instanceof AwsJson1_1Protocol && probe.config.protocol.getPayloadCodec() instanceof JsonCodec2;
    probe.destroy();
    if (!same) return false;
    const settings: JsonSettings = { timestampFormat: { useTrait: true, default: 7 }, jsonName: false };
    const bytes = Buffer.alloc(70_016);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    const input = {
      StreamName: 'self-test',
      Records: [0, 1, 2, 3, 4, 5, 70_001].map((n, i) => ({
        Data: new Uint8Array(bytes.buffer, bytes.byteOffset + i, n),
        PartitionKey: `k"\\\u0000\n${i}é€😀`,
        ExplicitHashKey: i % 2 ? '340282366920938463463374607431768211455' : undefined,
      })),
    };
    return serialize(new NativeBase64Codec(settings), input).equals(serialize(new JsonCodec2(settings), input));
  } catch {
    return false;
  }
}

/**
 * Makes a client built with the native protocol take its request bodies from `pool` (its own unless one is given)
 * and give each back once
 * its call succeeded (a middleware around the sending of the signed request). No-op with the stock protocol.
 */
export function recycleBodies(client: KinesisClient, pool: BodyPool = new BodyPool()): void {
  const codec = client.config.protocol instanceof NativeBase64AwsJson1_1Protocol ? client.config.protocol.getPayloadCodec() : undefined;
  if (!(codec instanceof NativeBase64Codec)) return;
  codec.pool = pool;
  client.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      const out = await next(args);
      pool.give(body);
      return out;
    },
    { step: 'finalizeRequest', name: 'kinfluxRecycleBody', priority: 'low' },
  );
}

let verdict: boolean | undefined;

/** The protocol constructor for KinesisClient's `protocol` setting, or undefined to keep the stock one. */
export function nativeBase64Protocol(): typeof AwsJson1_1Protocol | undefined {
  verdict ??= selfTest();
  return verdict ? NativeBase64AwsJson1_1Protocol : undefined;
}
