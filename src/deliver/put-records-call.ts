// One PutRecords call: the request from queued records, a per-call timeout, and a check that the answer
// has one entry per record (entries are matched to records by index).
import { PutRecordsCommand, type KinesisClient, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { QueuedRecord } from '../queue/stream-queue.js';
import { streamParams } from './stream-target.js';

export async function putRecordsCall(
  client: KinesisClient,
  params: ReturnType<typeof streamParams>,
  records: readonly QueuedRecord[],
  timeoutMs: number,
  abort: AbortSignal,
): Promise<PutRecordsResultEntry[]> {
  const out = await client.send(
    new PutRecordsCommand({
      ...params,
      Records: records.map((r) => ({ Data: r.data, PartitionKey: r.packed.partitionKey, ExplicitHashKey: r.packed.explicitHashKey })),
    }),
    { abortSignal: AbortSignal.any([abort, AbortSignal.timeout(timeoutMs)]) },
  );
  const entries = out.Records ?? [];
  if (entries.length !== records.length) {
    throw Object.assign(new Error(`PutRecords answered ${entries.length} entries for ${records.length}`), { name: 'ResponseMismatch' });
  }
  return entries;
}
