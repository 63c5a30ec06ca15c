// `kinflux read --help`: apart from read-stream.ts, so printing it loads no AWS SDK.
export const READ_HELP = `Usage: kinflux read [stream] [--help]

Prints every record of a Kinesis stream, oldest first, shard by shard: a header line
  # <shard> seq=<sequence number> key=<partition key> bytes=<record size>
then the record's payload (decompressed as KINFLUX_COMPRESSION says). Control characters other than
newline and tab are printed escaped (\\x1b, \\u0085…), so a record cannot drive the terminal.

  stream   the stream name or ARN (default: KINFLUX_STREAM, "metrics" in embedded mode)

It reads the same Kinesis the gateway writes to: the embedded emulator on 127.0.0.1:KINFLUX_EMBEDDED_PORT
when neither AWS_REGION nor KINFLUX_KINESIS_ENDPOINT is set, else that Kinesis with the AWS credential chain.
Exit codes: 0 read, 1 Kinesis error, 2 bad setting or command line.`;
