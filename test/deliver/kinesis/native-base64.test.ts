// The native base64 protocol (src/deliver/kinesis/native-base64.ts): live on the installed SDK, byte-identical
// to the SDK's own serializer, and what kinesis-local stores is exactly what was sent, for every kind
// of record kinflux builds (line, json, gzip, kpl).
import { PutRecordsCommand, PutRecordsInput$ } from '@aws-sdk/client-kinesis';
import { JsonCodec2 } from '@smithy/core/protocols';
import fc from 'fast-check';
import t from 'tap';
import { startKinesisLocal } from '../../../src/emulator/kinesis-local.js';
import { compressPayload } from '../../../src/encode/compress.js';
import { recordData } from '../../../src/encode/record-packer.js';
import { PointBytes } from '../../../src/encode/point-bytes.js';
import { pointEncoder } from '../../../src/encode/record-format.js';
import { createKinesisClient } from '../../../src/deliver/kinesis/client.js';
import { BodyPool, NativeBase64Codec, nativeBase64Protocol, spliceBase64 } from '../../../src/deliver/kinesis/native-base64.js';
import { batchFromLines } from '../../encode/batch-from-lines.js';
import { readStream } from '../../helpers/kinesis-read.js';
import { telegrafLines } from '../engine-setup.js';

const settings = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

function serialize(codec: JsonCodec2, input: unknown): Buffer {
  const s = codec.createSerializer();
  s.write(PutRecordsInput$ as Parameters<typeof s.write>[0], input);
  const out = s.flush();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

t.test('the fast path is live on the installed SDK, and clients use it', async (t) => {
  const Protocol = nativeBase64Protocol();
  t.ok(Protocol, 'self-test passed: an SDK update that breaks it must be looked at');
  const client = createKinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', roleArn: undefined });
  t.ok(Protocol && client.config.protocol instanceof Protocol);
  client.destroy();
});

t.test('byte-identical to the SDK serializer on arbitrary records', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ Data: fc.uint8Array({ maxLength: 3000 }), PartitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), ExplicitHashKey: fc.option(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String), { nil: undefined }) }), { minLength: 1, maxLength: 20 }),
      (records) => {
        const input = { StreamName: 's', Records: records };
        return serialize(new NativeBase64Codec(settings), input).equals(serialize(new JsonCodec2(settings), input));
      },
    ),
    { numRuns: 200 },
  );
  t.pass('identical');
});

t.test('splicing refuses output it does not understand', async (t) => {
  t.throws(() => spliceBase64(Buffer.from('{"a":"x"}'), [Buffer.from('y')]), /placeholder is missing/);
  t.throws(() => spliceBase64(Buffer.from('{"a":"\0","b":"\0"}'), [Buffer.from('y')]), /unexpected serializer output/);
});

t.test('kinesis-local stores exactly the bytes sent, for line, json, gzip and kpl records', async (t) => {
  const k = await startKinesisLocal({ streams: { b64: 2 } });
  t.teardown(() => k.stop());
  const client = createKinesisClient({ region: 'us-east-1', endpoint: k.endpoint, roleArn: undefined }, { staticCredentials: { accessKeyId: 'AKIAKINFLUXTEST', secretAccessKey: 'kinflux-test' } });
  t.teardown(() => client.destroy());
  const batch = batchFromLines(telegrafLines(2000, 9));
  const parts = (format: 'line' | 'json'): Buffer[] => {
    const enc = pointEncoder(format, 'ms');
    return Array.from({ length: batch.count }, (_, i) => enc(batch, i));
  };
  const keys = Array.from({ length: batch.count }, (_, i) => batch.data.toString('utf8', batch.starts[i], batch.starts[i] + batch.seriesLengths[i]));
  const line = recordData('lines', PointBytes.of(parts('line')), keys);
  const sent = new Map<string, Buffer>([
    ['line', line],
    ['json', recordData('lines', PointBytes.of(parts('json')), keys)],
    ['gzip', await compressPayload('gzip', line)],
    ['kpl', recordData('kpl', PointBytes.of(parts('line').slice(0, 500)), keys.slice(0, 500))],
    ...[1, 2, 3, 4, 5].map((n): [string, Buffer] => [`tiny${n}`, Buffer.from([0, 0xff, 0x80, 0x0a, 0x22].slice(0, n))]),
    ['max', Buffer.alloc(1024 * 1024 - 3, 0xa5)],
  ]);
  for (const [key, data] of sent) {
    const out = await client.send(new PutRecordsCommand({ StreamName: 'b64', Records: [{ Data: data, PartitionKey: key }] }));
    t.equal(out.FailedRecordCount ?? 0, 0, `${key} accepted`);
  }
  // Asked right after the last call answered: the pool empties after 5 s idle, and reading the stream back
  // took longer than that beside three CPU burners.
  const pool = (client.config.protocol.getPayloadCodec() as NativeBase64Codec).pool;
  t.ok(pool !== undefined && pool.idle > 0, 'the bodies of those calls went back to the pool and were reused');
  const stored = new Map((await readStream(client, 'b64')).map((r) => [r.partitionKey, r.data]));
  for (const [key, data] of sent) t.ok(stored.get(key)?.equals(data), `${key}: ${data.length} bytes stored as sent`);
  t.ok(line.length > 300_000 && sent.get('kpl')?.subarray(0, 4).equals(Buffer.from([0xf3, 0x89, 0x9a, 0xc2])), 'records of realistic size and format');

  // Many calls at once: a body is reused only after its call answered, so none is overwritten while sent.
  const many = Array.from({ length: 24 }, (_, i) => Buffer.alloc(20_000 + i * 7_001, (i * 37 + 11) & 0xff));
  const outs = await Promise.all(many.map((data, i) => client.send(new PutRecordsCommand({ StreamName: 'b64', Records: [{ Data: data, PartitionKey: `many${i}` }] }))));
  t.ok(outs.every((o) => (o.FailedRecordCount ?? 0) === 0), 'concurrent calls accepted');
  const again = new Map((await readStream(client, 'b64')).map((r) => [r.partitionKey, r.data]));
  t.ok(many.every((data, i) => again.get(`many${i}`)?.equals(data)), '24 concurrent calls with pooled bodies: every record stored as sent');
});

t.test('body pool: lends views, takes back only what it lent, once, and keeps a bounded few', async (t) => {
  const pool = new BodyPool(2, 1024 * 1024);
  const a = pool.take(300_000);
  t.equal(a.length, 300_000);
  pool.give(a);
  pool.give(a);
  t.equal(pool.idle, 1, 'a second give of the same body is ignored');
  const b = pool.take(290_000);
  t.equal(b.buffer, a.buffer, 'a smaller body reuses the pooled buffer');
  const c = pool.take(300_000);
  t.not(c.buffer, b.buffer, 'a buffer lent out is never lent twice');
  pool.give(Buffer.alloc(10));
  t.equal(pool.idle, 0, 'a buffer the pool did not lend is not taken');
  const big = pool.take(2 * 1024 * 1024);
  pool.give(big);
  t.equal(pool.idle, 0, 'bodies above the size bound are not pooled');
  const d = pool.take(100);
  pool.give(b);
  pool.give(c);
  pool.give(d);
  t.equal(pool.idle, 2, 'at most maxBodies kept');
});

t.test('body pool: bodies of a 200-shard call (above 1 MiB) are pooled, and an idle pool is emptied', async (t) => {
  const pool = new BodyPool(2, 14 * 1024 * 1024, 30);
  const a = pool.take(2_400_000);
  pool.give(a);
  t.equal(pool.idle, 1, 'a 2.4 MB body is kept');
  t.equal(pool.take(2_300_000).buffer, a.buffer, 'and reused');
  pool.give(pool.take(100));
  await new Promise((r) => setTimeout(r, 200));
  t.equal(pool.idle, 0, 'nothing kept once no body came back for idleMs');
});
