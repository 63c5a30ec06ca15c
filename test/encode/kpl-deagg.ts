// De-aggregates KPL records with the reference implementation (aws-kinesis-agg).
import { createRequire } from 'node:module';
import type { AwsKinesisAgg } from './aws-kinesis-agg.js';

export const agg = createRequire(import.meta.url)('aws-kinesis-agg') as AwsKinesisAgg;

export function deaggregate(partitionKey: string, data: Buffer): Array<{ partitionKey: string; data: Buffer }> {
  let out: Array<{ partitionKey: string; data: Buffer }> = [];
  let error: Error | null | undefined;
  agg.deaggregateSync({ partitionKey, data: data.toString('base64'), sequenceNumber: '1' }, true, (err, records) => {
    error = err;
    out = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') }));
  });
  if (error) throw error;
  return out;
}
