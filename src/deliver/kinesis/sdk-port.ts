// The KinesisPort of the product: the SDK client from client.ts (HTTP/1.1 keep-alive, native base64, one
// attempt per call), one command per port call.
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { KinesisPort } from './port.js';

export function sdkKinesisPort(client: KinesisClient): KinesisPort {
  return {
    putRecords: (input, signal) => client.send(new PutRecordsCommand(input), { abortSignal: signal }),
    describeStreamSummary: (input, signal) => client.send(new DescribeStreamSummaryCommand(input), { abortSignal: signal }),
    listShards: (input, signal) => client.send(new ListShardsCommand(input), { abortSignal: signal }),
    destroy: () => client.destroy(),
  };
}
