// `kinflux read [stream] [--payload]`: prints every record of a stream from its start, to see what kinflux wrote.
// Records are printed page by page (no stream is held in memory); a reader that closes the pipe (`| head -3`) ends
// the command quietly with 0, and an unreachable Kinesis is said in one line.
import { once } from 'node:events';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { Settings } from '../config/types.js';
import { createKinesisClient } from '../deliver/kinesis/client.js';
import { isStreamArn, streamParams } from '../deliver/kinesis/stream-target.js';
import { EMULATOR_CREDENTIALS } from '../emulator/kinesis-local.js';
import { escapeControls, formatRecord, viewRecord, type StoredRecord } from './record-text.js';

export type { StoredRecord } from './record-text.js';

/** Every shard of the stream, open and closed. */
export async function listShards(client: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let next: string | undefined;
  do {
    const page = await client.send(new ListShardsCommand(next ? { NextToken: next } : streamParams(stream)));
    shards.push(...(page.Shards ?? []));
    next = page.NextToken;
  } while (next);
  return shards;
}

/** Every record currently in the stream, page by page, shard by shard, oldest first. */
export async function* recordPages(client: KinesisClient, stream: string): AsyncGenerator<StoredRecord[]> {
  for (const shard of await listShards(client, stream)) {
    const shardId = shard.ShardId ?? '';
    const it = await client.send(new GetShardIteratorCommand({ ...streamParams(stream), ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    let iterator = it.ShardIterator;
    // Stop at the tip: an empty page with nothing behind means the shard is read (a closed shard ends by itself).
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000, ...(isStreamArn(stream) ? { StreamARN: stream } : {}) }));
      const records = (page.Records ?? []).map((r) => ({
        shardId,
        sequenceNumber: r.SequenceNumber ?? '',
        partitionKey: r.PartitionKey ?? '',
        data: Buffer.from(r.Data ?? new Uint8Array()),
      }));
      if (records.length) yield records;
      if (!records.length && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
}

/** Every record currently in the stream, shard by shard, oldest first. */
export async function readAllRecords(client: KinesisClient, stream: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for await (const page of recordPages(client, stream)) out.push(...page);
  return out;
}

/** stdout that reports a closed reader (EPIPE) as `false` instead of an uncaught error with a stack. */
class Output {
  closed = false;
  error: Error | undefined;
  constructor(private readonly out: NodeJS.WriteStream) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = true;
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') this.error = err;
    });
  }
  async write(text: string): Promise<boolean> {
    if (this.closed) return false;
    if (!this.out.write(text)) await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]).catch(() => undefined);
    return !this.closed;
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function connectionCode(err: unknown): string | undefined {
  const seen = [err, (err as { cause?: unknown })?.cause, ...((err as { errors?: unknown[] })?.errors ?? [])];
  for (const e of seen) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
  }
  return undefined;
}

/** One line for an error: a connection failure says where and what to do, anything else its message. */
export function describeReadError(err: unknown, settings: Settings): string {
  const code = connectionCode(err);
  if (!code) return escapeControls(((err as Error)?.message ?? String(err)).split('\n')[0]);
  if (settings.embedded) {
    return `cannot reach the embedded Kinesis at http://127.0.0.1:${settings.embeddedPort} (${code}): it runs only while kinflux runs; start kinflux (npm start) in another terminal, or set KINFLUX_EMBEDDED_PORT to the port its log names`;
  }
  const where = settings.kinesis.endpoint ? `${settings.kinesis.endpoint} (KINFLUX_KINESIS_ENDPOINT)` : `Kinesis in ${settings.kinesis.region ?? '?'} (AWS_REGION)`;
  return `cannot reach ${escapeControls(where)} (${code}): check the setting and the network`;
}

export async function readStreamCommand(settings: Settings, streamArg: string | undefined, opts: { payloadOnly?: boolean } = {}): Promise<number> {
  const stream = streamArg ?? settings.stream;
  const kinesis = settings.embedded ? { region: 'us-east-1', endpoint: `http://127.0.0.1:${settings.embeddedPort}`, roleArn: undefined } : settings.kinesis;
  const client = createKinesisClient(kinesis, settings.embedded ? { staticCredentials: EMULATOR_CREDENTIALS } : {});
  const out = new Output(process.stdout);
  try {
    read: for await (const page of recordPages(client, stream)) {
      for (const r of page) {
        let text: string;
        if (opts.payloadOnly) {
          const v = viewRecord(r);
          if (v.note !== undefined) process.stderr.write(`kinflux read: ${r.shardId} seq=${r.sequenceNumber}: ${v.note}\n`);
          text = v.payload;
        } else text = formatRecord(r);
        if (!(await out.write(text))) break read;
      }
    }
    if (out.error) {
      process.stderr.write(`kinflux read: cannot write the output: ${out.error.message}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`kinflux read: ${describeReadError(err, settings)}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
