// `kinflux read [stream]`: prints every record of a stream from its start, to see what kinflux wrote.
import { gunzipSync, inflateSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { Settings } from '../config/types.js';
import { createKinesisClient } from '../deliver/kinesis/client.js';
import { isStreamArn, streamParams } from '../deliver/kinesis/stream-target.js';
import { EMULATOR_CREDENTIALS } from '../emulator/kinesis-local.js';

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
}

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

/** Every record currently in the stream, shard by shard, oldest first. */
export async function readAllRecords(client: KinesisClient, stream: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (const shard of await listShards(client, stream)) {
    const shardId = shard.ShardId ?? '';
    const it = await client.send(new GetShardIteratorCommand({ ...streamParams(stream), ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    let iterator = it.ShardIterator;
    // Stop at the tip: an empty page with nothing behind means the shard is read (a closed shard ends by itself).
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000, ...(isStreamArn(stream) ? { StreamARN: stream } : {}) }));
      for (const r of page.Records ?? []) {
        out.push({ shardId, sequenceNumber: r.SequenceNumber ?? '', partitionKey: r.PartitionKey ?? '', data: Buffer.from(r.Data ?? new Uint8Array()) });
      }
      if (!page.Records?.length && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/**
 * Largest payload one record may inflate to when printed. kinflux's records hold at most 1 MiB before
 * compression; anything inflating past this is not a kinflux record, and a bomb must not take the reader's memory.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Undoes KINFLUX_COMPRESSION on one record's payload, inflating at most maxBytes (a RangeError beyond). */
export function decompressRecord(data: Buffer, compression: Settings['delivery']['compression'], maxBytes = MAX_INFLATED_BYTES): Buffer {
  if (compression === 'gzip') return gunzipSync(data, { maxOutputLength: maxBytes });
  if (compression === 'zlib') return inflateSync(data, { maxOutputLength: maxBytes });
  return data;
}

/**
 * Makes text safe for a terminal: C0 controls except newline and tab, DEL and C1 controls (ESC, BEL, CSI, OSC…)
 * are written as \xNN or \uNNNN, so a record cannot retitle, clear or reprogram the terminal that prints it.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** What `kinflux read` prints for one record: a header line, then the payload, terminal-safe. */
export function formatRecord(r: StoredRecord, compression: Settings['delivery']['compression'], maxBytes = MAX_INFLATED_BYTES): string {
  const header = `# ${r.shardId} seq=${r.sequenceNumber} key=${escapeControls(r.partitionKey).replace(/\n/g, '\\n')} bytes=${r.data.length}\n`;
  let payload: Buffer;
  try {
    payload = decompressRecord(r.data, compression, maxBytes);
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
    return header + (tooBig ? `(not printed: the payload inflates beyond ${maxBytes} bytes)\n` : `(not printed: cannot decompress as ${compression}: ${(err as Error).message})\n`);
  }
  if (payload.subarray(0, 4).equals(KPL_MAGIC)) return header + '(KPL aggregated record: de-aggregate it with aws-kinesis-agg or the KCL)\n';
  const text = escapeControls(payload.toString('utf8'));
  return header + (text.endsWith('\n') || text === '' ? text : text + '\n');
}


export async function readStreamCommand(settings: Settings, streamArg: string | undefined): Promise<number> {
  const stream = streamArg ?? settings.stream;
  const kinesis = settings.embedded
    ? { region: 'us-east-1', endpoint: `http://127.0.0.1:${settings.embeddedPort}`, roleArn: undefined }
    : settings.kinesis;
  const client = createKinesisClient(kinesis, settings.embedded ? { staticCredentials: EMULATOR_CREDENTIALS } : {});
  try {
    for (const r of await readAllRecords(client, stream)) process.stdout.write(formatRecord(r, settings.delivery.compression));
    return 0;
  } catch (err) {
    process.stderr.write(`kinflux read: ${escapeControls((err as Error).message)}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
