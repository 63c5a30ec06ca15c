// The parts of aws-kinesis-agg the tests use. Its own index.d.ts imports aws-sdk v2 types and does
// not declare RecordAggregator, so it is loaded with createRequire and typed here.
export interface AggUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer | string;
}

export interface AggDeaggregatedRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  sequenceNumber: string;
  subSequenceNumber?: number;
  /** base64 */
  data: string;
}

export interface AggRecordAggregator {
  addUserRecord(r: AggUserRecord): void;
  build(): { partitionKey: string; data: Buffer; ExplicitHashKey?: string };
  length(): number;
}

export interface AwsKinesisAgg {
  deaggregateSync(
    record: { partitionKey: string; data: string; sequenceNumber: string; explicitPartitionKey?: string },
    computeChecksums: boolean,
    cb: (err: Error | null | undefined, records?: AggDeaggregatedRecord[]) => void,
  ): void;
  RecordAggregator: new () => AggRecordAggregator;
}
