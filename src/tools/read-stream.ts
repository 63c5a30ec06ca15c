// `kinflux read [stream]`: prints every record of a stream from its start, to see what kinflux wrote.
import { gunzipSync, inflateSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { Settings } from '../config/types.js';
import { createKinesisClient } from '../deliver/kinesis-client.js';
import { isStreamArn, streamParams } from '../deliver/stream-target.js';
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

/** Undoes KINFLUX_COMPRESSION on one record's payload. */
export function decompressRecord(data: Buffer, compression: Settings['delivery']['compression']): Buffer {
  if (compression === 'gzip') return gunzipSync(data);
  if (compression === 'zlib') return inflateSync(data);
  return data;
}

export async function readStreamCommand(settings: Settings, args: string[]): Promise<number> {
  const stream = args.find((a) => !a.startsWith('-')) ?? settings.stream;
  const kinesis = settings.embedded
    ? { region: 'us-east-1', endpoint: `http://127.0.0.1:${settings.embeddedPort}`, roleArn: undefined }
    : settings.kinesis;
  const client = createKinesisClient(kinesis, settings.embedded ? { staticCredentials: EMULATOR_CREDENTIALS } : {});
  try {
    for (const r of await readAllRecords(client, stream)) {
      process.stdout.write(`# ${r.shardId} seq=${r.sequenceNumber} key=${r.partitionKey} bytes=${r.data.length}\n`);
      const payload = decompressRecord(r.data, settings.delivery.compression);
      process.stdout.write(payload.subarray(0, 4).equals(Buffer.from([0xf3, 0x89, 0x9a, 0xc2])) ? '(KPL aggregated record: de-aggregate it with aws-kinesis-agg or the KCL)\n' : payload.toString('utf8'));
    }
    return 0;
  } catch (err) {
    process.stderr.write(`kinflux read: ${(err as Error).message}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
