// A Kinesis stand-in with Kinesis' write limits, for tests and benchmarks (kinesis-local never throttles).
// It speaks the AWS JSON 1.1 protocol the SDK uses and enforces, per shard, 1 MiB/s and 1,000 records/s
// with one second of burst (a token bucket that starts full), answering ProvisionedThroughputExceededException
// per entry as AWS does; and per request the API limits: ≤ 500 records, ≤ 10 MiB with partition keys,
// ≤ 1 MiB per record with its key, keys of 1–256 characters. Latency is settable. It stores what it
// accepts (GetShardIterator/GetRecords work) unless told only to count.
// In `null` mode it accepts every PutRecords at once without decoding it (no limits, nothing stored, only
// calls and entries counted): a sink that costs little next to the gateway a benchmark measures.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StandinOptions {
  /** Streams as name → shard count (hash ranges split evenly). */
  streams: Record<string, number>;
  /** Per-shard limits; 0 turns a limit off. Defaults: 1 MiB/s, 1,000 records/s, 1 s of burst. */
  bytesPerSecond?: number;
  recordsPerSecond?: number;
  burstSeconds?: number;
  /** Added to every answer. */
  latencyMs?: number;
  /** Keep accepted records for GetRecords (default true); false only counts them. */
  store?: boolean;
  /** `null`: accept every PutRecords at once, undecoded (benchmarks' sink). Default `kinesis`. */
  mode?: 'kinesis' | 'null';
  /** Actions answered AccessDeniedException (e.g. ListShards). */
  denyActions?: string[];
  port?: number;
}

export interface ShardStats {
  shardId: string;
  acceptedRecords: number;
  acceptedBytes: number;
  throttledEntries: number;
}

export interface StandinStats {
  putRecordsCalls: number;
  entries: number;
  acceptedRecords: number;
  acceptedBytes: number;
  throttledEntries: number;
  /** Whole requests refused for breaking a request limit. */
  invalidRequests: number;
  shards: ShardStats[];
}

export interface StoredStandinRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly at: number;
}

export interface KinesisStandin {
  readonly endpoint: string;
  readonly port: number;
  stats(stream?: string): StandinStats;
  /** Accepted records of a stream, shard by shard in arrival order. */
  records(stream: string): StoredStandinRecord[];
  setLatency(ms: number): void;
  setDenied(actions: string[]): void;
  close(): Promise<void>;
}

export const STANDIN_BYTES_PER_SECOND = 1024 * 1024;
export const STANDIN_RECORDS_PER_SECOND = 1000;
const MAX_RECORDS = 500;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/x-amz-json-1.1';
const ACCOUNT = '000000000000';
const HASH_SPACE = 2n ** 128n;

interface Shard {
  id: string;
  start: bigint;
  end: bigint;
  bytes: number;
  records: number;
  at: number;
  seq: number;
  stored: StoredStandinRecord[];
  stats: ShardStats;
}

interface Stream {
  name: string;
  shards: Shard[];
  calls: number;
  entries: number;
  invalid: number;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function hashOf(key: string): bigint {
  const d = createHash('md5').update(key, 'utf8').digest();
  return (d.readBigUInt64BE(0) << 64n) | d.readBigUInt64BE(8);
}

export async function startKinesisStandin(opts: StandinOptions): Promise<KinesisStandin> {
  const bytesRate = opts.bytesPerSecond ?? STANDIN_BYTES_PER_SECOND;
  const recordsRate = opts.recordsPerSecond ?? STANDIN_RECORDS_PER_SECOND;
  const burst = opts.burstSeconds ?? 1;
  const nullMode = opts.mode === 'null';
  const store = !nullMode && (opts.store ?? true);
  let latencyMs = opts.latencyMs ?? 0;
  let denied = new Set(opts.denyActions ?? []);
  const streams = new Map<string, Stream>();
  const now0 = Date.now();
  for (const [name, count] of Object.entries(opts.streams)) {
    const span = HASH_SPACE / BigInt(count);
    const shards: Shard[] = Array.from({ length: count }, (_, i) => {
      const id = `shardId-${String(i).padStart(12, '0')}`;
      return {
        id,
        start: span * BigInt(i),
        end: i === count - 1 ? HASH_SPACE - 1n : span * BigInt(i + 1) - 1n,
        bytes: bytesRate * burst,
        records: recordsRate * burst,
        at: now0,
        seq: 0,
        stored: [],
        stats: { shardId: id, acceptedRecords: 0, acceptedBytes: 0, throttledEntries: 0 },
      };
    });
    streams.set(name, { name, shards, calls: 0, entries: 0, invalid: 0 });
  }

  function streamOf(body: Record<string, unknown>): Stream {
    const name = typeof body.StreamName === 'string' ? body.StreamName : typeof body.StreamARN === 'string' ? body.StreamARN.split('/').pop() : undefined;
    const s = name ? streams.get(name) : undefined;
    if (!s) throw new ApiError('ResourceNotFoundException', `Stream ${name ?? '(none)'} under account ${ACCOUNT} not found.`);
    return s;
  }

  function shardFor(s: Stream, hash: bigint): Shard {
    for (const sh of s.shards) if (hash >= sh.start && hash <= sh.end) return sh;
    return s.shards[s.shards.length - 1];
  }

  /** Takes one record's allowance from the shard's buckets, or says no (the record is throttled). */
  function admit(sh: Shard, size: number, now: number): boolean {
    const dt = (now - sh.at) / 1000;
    sh.at = now;
    if (bytesRate > 0) sh.bytes = Math.min(bytesRate * burst, sh.bytes + dt * bytesRate);
    if (recordsRate > 0) sh.records = Math.min(recordsRate * burst, sh.records + dt * recordsRate);
    if ((bytesRate > 0 && sh.bytes < size) || (recordsRate > 0 && sh.records < 1)) return false;
    sh.bytes -= size;
    sh.records -= 1;
    return true;
  }

  function putRecords(body: Record<string, unknown>): unknown {
    const s = streamOf(body);
    const recs = body.Records;
    if (!Array.isArray(recs) || recs.length < 1 || recs.length > MAX_RECORDS) {
      s.invalid++;
      throw new ApiError('ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORDS}`);
    }
    const entries: Array<{ data: Buffer; pk: string; ehk: string | undefined }> = [];
    let total = 0;
    for (const r of recs as Array<Record<string, unknown>>) {
      const pk = typeof r.PartitionKey === 'string' ? r.PartitionKey : '';
      const data = Buffer.from(typeof r.Data === 'string' ? r.Data : '', 'base64');
      if (pk.length < 1 || pk.length > 256) {
        s.invalid++;
        throw new ApiError('ValidationException', "1 validation error detected: Value at 'records.member.partitionKey' failed to satisfy constraint: Member must have length between 1 and 256");
      }
      const size = data.length + Buffer.byteLength(pk);
      if (size > MAX_RECORD_BYTES) {
        s.invalid++;
        throw new ApiError('ValidationException', `1 validation error detected: Value at 'records.member.data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`);
      }
      total += size;
      entries.push({ data, pk, ehk: typeof r.ExplicitHashKey === 'string' ? r.ExplicitHashKey : undefined });
    }
    if (total > MAX_REQUEST_BYTES) {
      s.invalid++;
      throw new ApiError('InvalidArgumentException', `Records size exceeds ${MAX_REQUEST_BYTES} bytes limit`);
    }
    s.calls++;
    s.entries += entries.length;
    const now = Date.now();
    let failed = 0;
    const out = entries.map((e) => {
      const sh = shardFor(s, e.ehk !== undefined ? BigInt(e.ehk) : hashOf(e.pk));
      const size = e.data.length + Buffer.byteLength(e.pk);
      if (!admit(sh, size, now)) {
        failed++;
        sh.stats.throttledEntries++;
        return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: `Rate exceeded for shard ${sh.id} in stream ${s.name} under account ${ACCOUNT}.` };
      }
      sh.stats.acceptedRecords++;
      sh.stats.acceptedBytes += size;
      const seq = String(++sh.seq).padStart(20, '0');
      if (store) sh.stored.push({ shardId: sh.id, sequenceNumber: seq, partitionKey: e.pk, data: e.data, at: now });
      return { SequenceNumber: seq, ShardId: sh.id };
    });
    return { FailedRecordCount: failed, Records: out, EncryptionType: 'NONE' };
  }

  const EHK = Buffer.from('"ExplicitHashKey":"');
  const PK = Buffer.from('"PartitionKey":');
  const NAME = Buffer.from('"StreamName":"');
  const ARN = Buffer.from('"StreamARN":"');
  /** The string value after `needle` in raw JSON (kinflux's values hold no escapes), or undefined; `last`: its last one. */
  function scanString(raw: Buffer, needle: Buffer, from = 0, last = false): { value: string; at: number } | undefined {
    const at = last ? raw.lastIndexOf(needle) : raw.indexOf(needle, from);
    if (at < 0) return undefined;
    const start = at + needle.length;
    return { value: raw.toString('latin1', start, raw.indexOf(34, start)), at: start };
  }

  /** Null mode's PutRecords: scanned, not parsed; each entry lands on its ExplicitHashKey's shard (else the first). */
  function putRecordsNull(raw: Buffer): unknown {
    // The SDK writes the stream after the records: look from the end.
    const name = (scanString(raw, NAME, 0, true) ?? scanString(raw, ARN, 0, true))?.value.split('/').pop();
    const s = name !== undefined ? streams.get(name) : undefined;
    if (!s) throw new ApiError('ResourceNotFoundException', `Stream ${name ?? '(none)'} under account ${ACCOUNT} not found.`);
    const out: Array<{ SequenceNumber: string; ShardId: string }> = [];
    for (let e = scanString(raw, EHK); e; e = scanString(raw, EHK, e.at)) {
      const sh = shardFor(s, BigInt(e.value));
      out.push({ SequenceNumber: String(++sh.seq).padStart(20, '0'), ShardId: sh.id });
    }
    if (out.length === 0) {
      for (let at = raw.indexOf(PK); at >= 0; at = raw.indexOf(PK, at + 1)) out.push({ SequenceNumber: String(++s.shards[0].seq).padStart(20, '0'), ShardId: s.shards[0].id });
    }
    s.calls++;
    s.entries += out.length;
    return { FailedRecordCount: 0, Records: out };
  }

  function shardJson(sh: Shard): unknown {
    return {
      ShardId: sh.id,
      HashKeyRange: { StartingHashKey: String(sh.start), EndingHashKey: String(sh.end) },
      SequenceNumberRange: { StartingSequenceNumber: '0' },
    };
  }

  function handle(action: string, body: Record<string, unknown>): unknown {
    if (denied.has(action)) throw new ApiError('AccessDeniedException', `User is not authorized to perform: kinesis:${action}`);
    switch (action) {
      case 'PutRecords':
        return putRecords(body);
      case 'DescribeStreamSummary': {
        const s = streamOf(body);
        return {
          StreamDescriptionSummary: {
            StreamName: s.name,
            StreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${s.name}`,
            StreamStatus: 'ACTIVE',
            StreamModeDetails: { StreamMode: 'PROVISIONED' },
            RetentionPeriodHours: 24,
            StreamCreationTimestamp: now0 / 1000,
            EnhancedMonitoring: [],
            EncryptionType: 'NONE',
            OpenShardCount: s.shards.length,
            ConsumerCount: 0,
            MaxRecordSizeInKiB: MAX_RECORD_BYTES / 1024,
          },
        };
      }
      case 'ListShards': {
        const s = typeof body.NextToken === 'string' ? streams.get(body.NextToken) : streamOf(body);
        if (!s) throw new ApiError('InvalidArgumentException', 'bad NextToken');
        return { Shards: s.shards.map(shardJson) };
      }
      case 'GetShardIterator': {
        const s = streamOf(body);
        const sh = s.shards.find((x) => x.id === body.ShardId);
        if (!sh) throw new ApiError('ResourceNotFoundException', `Shard ${String(body.ShardId)} not found`);
        return { ShardIterator: Buffer.from(JSON.stringify([s.name, sh.id, 0])).toString('base64') };
      }
      case 'GetRecords': {
        const [name, shardId, from] = JSON.parse(Buffer.from(String(body.ShardIterator), 'base64').toString()) as [string, string, number];
        const sh = streams.get(name)?.shards.find((x) => x.id === shardId);
        if (!sh) throw new ApiError('ResourceNotFoundException', 'iterator of an unknown shard');
        const limit = typeof body.Limit === 'number' ? body.Limit : 10_000;
        const page = sh.stored.slice(from, from + limit);
        return {
          Records: page.map((r) => ({
            SequenceNumber: r.sequenceNumber,
            PartitionKey: r.partitionKey,
            Data: r.data.toString('base64'),
            ApproximateArrivalTimestamp: r.at / 1000,
          })),
          NextShardIterator: Buffer.from(JSON.stringify([name, shardId, from + page.length])).toString('base64'),
          MillisBehindLatest: 0,
        };
      }
      default:
        throw new ApiError('UnknownOperationException', `${action} is not supported by the stand-in`);
    }
  }

  function answer(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      let status = 200;
      let out: unknown;
      try {
        const raw = Buffer.concat(chunks);
        if (nullMode && action === 'PutRecords' && !denied.has(action)) out = putRecordsNull(raw);
        else out = handle(action, (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as Record<string, unknown>);
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError('SerializationException', String(err));
        status = e.status;
        out = { __type: e.type, message: e.message };
      }
      if (latencyMs > 0) setTimeout(() => answer(res, status, out), latencyMs);
      else answer(res, status, out);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats(name) {
      const list = name ? [streams.get(name)].filter((s): s is Stream => s !== undefined) : [...streams.values()];
      const shards = list.flatMap((s) => s.shards.map((sh) => ({ ...sh.stats })));
      return {
        putRecordsCalls: list.reduce((n, s) => n + s.calls, 0),
        entries: list.reduce((n, s) => n + s.entries, 0),
        acceptedRecords: shards.reduce((n, s) => n + s.acceptedRecords, 0),
        acceptedBytes: shards.reduce((n, s) => n + s.acceptedBytes, 0),
        throttledEntries: shards.reduce((n, s) => n + s.throttledEntries, 0),
        invalidRequests: list.reduce((n, s) => n + s.invalid, 0),
        shards,
      };
    },
    records(name) {
      return streams.get(name)?.shards.flatMap((sh) => sh.stored) ?? [];
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setDenied(actions) {
      denied = new Set(actions);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
