// `kinflux read --help`: apart from read-stream.ts, so printing it loads no AWS SDK.
export const READ_HELP = `Usage: kinflux read [stream] [--payload] [--help]

Prints every record of a Kinesis stream, oldest first, shard by shard: a header line
  # <shard> seq=<sequence number> key=<partition key> bytes=<record size>[ gzip| zlib][ kpl=<user records>]
then the record's payload. Compressed records (gzip, zlib) are recognised by their first bytes and
inflated (at most 64 MiB each); KPL aggregates are de-aggregated, their MD5 checked, and each user
record printed. Control characters other than newline and tab are printed escaped (\\x1b, \\u0085…),
so a record cannot drive the terminal.

  stream          the stream name or ARN (default: KINFLUX_STREAM, "metrics" in embedded mode)
  -p, --payload   print the payloads only, no header lines (notes about records go to stderr)

It reads the same Kinesis the gateway writes to: the embedded emulator on 127.0.0.1:KINFLUX_EMBEDDED_PORT
when neither AWS_REGION nor KINFLUX_KINESIS_ENDPOINT is set (it runs only while kinflux runs), else that
Kinesis with the AWS credential chain. Piping into a reader that stops early (| head) is fine.
Exit codes: 0 read, 1 Kinesis error, 2 bad setting or command line.`;
