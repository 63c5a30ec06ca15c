// The seam between kinflux and Kinesis: the three calls delivery makes. The product wraps the SDK client
// (sdk-port.ts); tests may give an in-process Kinesis instead (test/kit/scripted-kinesis.ts). Shapes are
// the API's own (the SDK's input and output types), and errors are thrown as the SDK throws them: `name`
// is the Kinesis error code, or `code` a socket error's (kinesis/error-codes.ts reads either).
import type {
  DescribeStreamSummaryInput,
  DescribeStreamSummaryOutput,
  ListShardsInput,
  ListShardsOutput,
  PutRecordsInput,
  PutRecordsOutput,
} from '@aws-sdk/client-kinesis';

export interface KinesisPort {
  putRecords(input: PutRecordsInput, signal: AbortSignal): Promise<PutRecordsOutput>;
  describeStreamSummary(input: DescribeStreamSummaryInput, signal: AbortSignal): Promise<DescribeStreamSummaryOutput>;
  listShards(input: ListShardsInput, signal: AbortSignal): Promise<ListShardsOutput>;
  /** Closes what the port holds open (sockets); no call is made after it. */
  destroy(): void;
}
