// An in-process Kinesis behind the KinesisPort seam (src/deliver/kinesis/port.ts), for unit tests of delivery:
// streams with shards and hash ranges, records routed as Kinesis routes them (ExplicitHashKey, else MD5 of
// the partition key, into the open shard that owns it), sequence numbers, SplitShard, paged ListShards; and a
// script for what the emulator cannot do: whole-call errors (throttles, resets), per-entry failures, slow
// answers, a control plane that fails. It never opens a socket: every call is a promise answered in process.
import { hashKeyOf } from '../../src/encode/shard-map.js';
import type { KinesisPort } from '../../src/deliver/kinesis/port.js';
import type {
  DescribeStreamSummaryInput,
  DescribeStreamSummaryOutput,
  ListShardsInput,
  ListShardsOutput,
  PutRecordsInput,
  PutRecordsOutput,
  PutRecordsResultEntry,
  Shard,
} from '@aws-sdk/client-kinesis';

const HASH_MAX = 2n ** 128n - 1n;

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
  /** The PutRecords call (1-based, over all streams) that stored it. */
  readonly call: number;
}

interface ShardState {
  readonly id: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly parent: string | undefined;
  open: boolean;
  readonly records: StoredRecord[];
}

interface StreamState {
  readonly name: string;
  status: string;
  maxRecordKiB: number | undefined;
  readonly shards: ShardState[];
  nextShard: number;
}

/** One PutRecords call as the script sees it: each entry with the shard it would land on. */
export interface PutCall {
  /** 1-based, over all streams. */
  readonly n: number;
  readonly stream: string;
  readonly entries: ReadonlyArray<{ readonly data: Buffer; readonly partitionKey: string; readonly explicitHashKey: string | undefined; readonly shardId: string }>;
}

/** What the script makes of a PutRecords call (nothing: every entry is stored). */
export interface PutScript {
  /** The whole call fails with this error (see kinesisError, socketError); nothing is stored... */
  error?: Error;
  /** ...unless the call was stored first and the answer lost on the way back (a reset after Kinesis stored it). */
  storedFirst?: boolean;
  /** A per-entry ErrorCode for entry i (undefined: stored). */
  entries?: ReadonlyArray<string | undefined>;
  /** The answer comes this much later (the call's abort signal cuts it short). */
  delayMs?: number;
}

/** An error as the SDK throws a Kinesis error: its name is the code. */
export function kinesisError(code: string, message = code, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode } });
}

/** An error as a socket throws it (ECONNRESET, ECONNREFUSED, ...). */
export function socketError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`socket error ${code}`), { code });
}

export interface StreamSpec {
  shards: number;
  status?: string;
  maxRecordKiB?: number;
}

type ControlScript = (stream: string) => Error | undefined;

export class ScriptedKinesis implements KinesisPort {
  private readonly streams = new Map<string, StreamState>();
  private seq = 0;
  private destroyed = false;
  /** Calls made so far. */
  readonly calls = { putRecords: 0, describeStreamSummary: 0, listShards: 0 };
  /** Every PutRecords call, in the order they were made. */
  readonly putCalls: PutCall[] = [];
  /** Decides each PutRecords call's fate; unset: every entry is stored. */
  onPut: ((call: PutCall) => PutScript | undefined) | undefined;
  /** An error for a DescribeStreamSummary call, or undefined to answer it. */
  onDescribe: ControlScript | undefined;
  /** An error for a ListShards call, or undefined to answer it. */
  onListShards: ControlScript | undefined;
  /** Shards per ListShards page (small values exercise paging). */
  pageSize = 1000;

  constructor(streams: Record<string, StreamSpec> = {}) {
    for (const [name, spec] of Object.entries(streams)) this.createStream(name, spec);
  }

  createStream(name: string, spec: StreamSpec): void {
    const s: StreamState = { name, status: spec.status ?? 'ACTIVE', maxRecordKiB: spec.maxRecordKiB, shards: [], nextShard: 0 };
    const span = (HASH_MAX + 1n) / BigInt(spec.shards);
    for (let i = 0; i < spec.shards; i++) {
      const end = i === spec.shards - 1 ? HASH_MAX : span * BigInt(i + 1) - 1n;
      s.shards.push(newShard(s, span * BigInt(i), end, undefined));
    }
    this.streams.set(name, s);
  }

  deleteStream(name: string): void {
    this.streams.delete(name);
  }

  setStatus(name: string, status: string): void {
    this.stream(name).status = status;
  }

  /** SplitShard at the middle of its range: the parent closes, two children open. Returns their ids. */
  splitShard(name: string, shardId: string): [string, string] {
    const s = this.stream(name);
    const parent = s.shards.find((sh) => sh.id === shardId && sh.open);
    if (!parent) throw new Error(`no open shard ${shardId} in ${name}`);
    parent.open = false;
    const mid = parent.start + (parent.end - parent.start) / 2n;
    const a = newShard(s, parent.start, mid, parent.id);
    const b = newShard(s, mid + 1n, parent.end, parent.id);
    s.shards.push(a, b);
    return [a.id, b.id];
  }

  /** Ids of the open shards, by hash range. */
  openShards(name: string): string[] {
    return this.stream(name).shards.filter((sh) => sh.open).map((sh) => sh.id);
  }

  /** The hash range a shard owns. */
  range(name: string, shardId: string): { start: bigint; end: bigint } {
    const sh = this.stream(name).shards.find((x) => x.id === shardId);
    if (!sh) throw new Error(`no shard ${shardId} in ${name}`);
    return { start: sh.start, end: sh.end };
  }

  /** Stored records of a stream (of one shard), in the order each shard stored them, shard by shard. */
  records(name: string, shardId?: string): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const sh of this.stream(name).shards) if (shardId === undefined || sh.id === shardId) out.push(...sh.records);
    return out;
  }

  /** Where Kinesis routes a record now. */
  shardFor(name: string, partitionKey: string, explicitHashKey?: string): string {
    return this.route(this.stream(name), partitionKey, explicitHashKey).id;
  }

  async putRecords(input: PutRecordsInput, signal: AbortSignal): Promise<PutRecordsOutput> {
    this.live();
    const s = this.target(input);
    const n = ++this.calls.putRecords;
    const records = input.Records ?? [];
    const call: PutCall = {
      n,
      stream: s.name,
      entries: records.map((r) => {
        const data = Buffer.from(r.Data ?? new Uint8Array());
        const partitionKey = r.PartitionKey ?? '';
        return { data, partitionKey, explicitHashKey: r.ExplicitHashKey, shardId: this.route(s, partitionKey, r.ExplicitHashKey).id };
      }),
    };
    this.putCalls.push(call);
    const script = this.onPut?.(call) ?? {};
    if (script.delayMs) await sleep(script.delayMs, signal);
    else if (signal.aborted) throw signal.reason;
    if (script.error && !script.storedFirst) throw script.error;
    const out: PutRecordsResultEntry[] = call.entries.map((e, i) => {
      const code = script.entries?.[i];
      if (code) return { ErrorCode: code, ErrorMessage: code };
      const shard = s.shards.find((sh) => sh.id === e.shardId);
      if (!shard) throw new Error('unreachable: routed to no shard');
      const rec: StoredRecord = { shardId: shard.id, sequenceNumber: String(++this.seq).padStart(20, '0'), partitionKey: e.partitionKey, explicitHashKey: e.explicitHashKey, data: e.data, call: n };
      shard.records.push(rec);
      return { ShardId: shard.id, SequenceNumber: rec.sequenceNumber };
    });
    if (script.error) throw script.error;
    return { Records: out, FailedRecordCount: out.filter((e) => e.ErrorCode).length };
  }

  async describeStreamSummary(input: DescribeStreamSummaryInput, signal: AbortSignal): Promise<DescribeStreamSummaryOutput> {
    this.live();
    this.calls.describeStreamSummary++;
    if (signal.aborted) throw signal.reason;
    const name = input.StreamName ?? arnName(input.StreamARN);
    const err = this.onDescribe?.(name);
    if (err) throw err;
    const s = this.target(input);
    return {
      StreamDescriptionSummary: {
        StreamName: s.name,
        StreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${s.name}`,
        StreamStatus: s.status as never,
        RetentionPeriodHours: 24,
        StreamCreationTimestamp: new Date(0),
        EnhancedMonitoring: [],
        OpenShardCount: s.shards.filter((sh) => sh.open).length,
        MaxRecordSizeInKiB: s.maxRecordKiB,
      },
    };
  }

  async listShards(input: ListShardsInput, signal: AbortSignal): Promise<ListShardsOutput> {
    this.live();
    this.calls.listShards++;
    if (signal.aborted) throw signal.reason;
    let name: string;
    let from = 0;
    if (input.NextToken) {
      [name, from] = parseToken(input.NextToken);
    } else {
      name = input.StreamName ?? arnName(input.StreamARN);
    }
    const err = this.onListShards?.(name);
    if (err) throw err;
    const s = this.stream(name);
    const page = Math.min(this.pageSize, input.MaxResults ?? Infinity);
    const shards: Shard[] = s.shards.slice(from, from + page).map((sh) => ({
      ShardId: sh.id,
      ParentShardId: sh.parent,
      HashKeyRange: { StartingHashKey: sh.start.toString(), EndingHashKey: sh.end.toString() },
      SequenceNumberRange: { StartingSequenceNumber: '0', EndingSequenceNumber: sh.open ? undefined : String(this.seq) },
    }));
    const next = from + page < s.shards.length ? `${name}|${from + page}` : undefined;
    return { Shards: shards, NextToken: next };
  }

  destroy(): void {
    this.destroyed = true;
  }

  private live(): void {
    if (this.destroyed) throw new Error('ScriptedKinesis used after destroy()');
  }

  private stream(name: string): StreamState {
    const s = this.streams.get(name);
    if (!s) throw kinesisError('ResourceNotFoundException', `Stream ${name} not found`);
    return s;
  }

  private target(input: { StreamName?: string; StreamARN?: string }): StreamState {
    return this.stream(input.StreamName ?? arnName(input.StreamARN));
  }

  private route(s: StreamState, partitionKey: string, explicitHashKey: string | undefined): ShardState {
    const h = explicitHashKey !== undefined ? BigInt(explicitHashKey) : hashKeyOf(partitionKey);
    const shard = s.shards.find((sh) => sh.open && sh.start <= h && h <= sh.end);
    if (!shard) throw new Error(`no open shard owns hash ${h}`);
    return shard;
  }
}

function newShard(s: StreamState, start: bigint, end: bigint, parent: string | undefined): ShardState {
  return { id: `shardId-${String(s.nextShard++).padStart(12, '0')}`, start, end, parent, open: true, records: [] };
}

function arnName(arn: string | undefined): string {
  return arn?.split('/').pop() ?? '';
}

function parseToken(token: string): [string, number] {
  const i = token.lastIndexOf('|');
  return [token.slice(0, i), Number(token.slice(i + 1))];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
