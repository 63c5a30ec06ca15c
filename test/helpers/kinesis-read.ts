// Reads every record back from a stream (ListShards, GetShardIterator TRIM_HORIZON, GetRecords until
// caught up), for tests that check what kinflux really stored. Also a client for kinesis-local.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { StoredRecord } from '../../src/cli/read-stream.js';
import { createKinesisClient } from '../../src/deliver/kinesis/client.js';

export type { StoredRecord } from '../../src/cli/read-stream.js';

/** A client for kinesis-local (or a proxy in front of it): static credentials, plain HTTP keep-alive. */
export function localClient(endpoint: string): KinesisClient {
  return createKinesisClient(
    { region: 'us-east-1', endpoint, roleArn: undefined },
    { staticCredentials: { accessKeyId: 'AKIAKINFLUXTEST', secretAccessKey: 'kinflux-test' } },
  );
}

/** Readers shared with `kinflux read`. */
export { listShards, readAllRecords as readStream } from '../../src/cli/read-stream.js';

/** Line-format records split back into lines (without newlines). */
export function recordLines(records: readonly StoredRecord[]): string[] {
  const lines: string[] = [];
  for (const r of records) {
    for (const l of r.data.toString('utf8').split('\n')) if (l.length) lines.push(l);
  }
  return lines;
}
