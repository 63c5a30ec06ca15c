// A Kinesis endpoint that accepts every PutRecords at once, for measuring kinflux's own cost without the
// emulator's (kinesis-local tops out near 2.5 MB/s on this machine). For benchmarks only: tests use real emulators.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

const SHARDS = 4;
const SPAN = 2n ** 128n / BigInt(SHARDS);
const shards = Array.from({ length: SHARDS }, (_, i) => ({
  ShardId: `shardId-${String(i).padStart(12, '0')}`,
  HashKeyRange: { StartingHashKey: String(SPAN * BigInt(i)), EndingHashKey: String(i === SHARDS - 1 ? 2n ** 128n - 1n : SPAN * BigInt(i + 1) - 1n) },
  SequenceNumberRange: { StartingSequenceNumber: '1' },
}));
const shardOf = (entry) => {
  const key = entry.ExplicitHashKey ? BigInt(entry.ExplicitHashKey) : BigInt('0x' + createHash('md5').update(entry.PartitionKey).digest('hex'));
  return shards[Number(key / SPAN) < SHARDS ? Number(key / SPAN) : SHARDS - 1].ShardId;
};

const EHK = Buffer.from('"ExplicitHashKey":"');
const PK = Buffer.from('"PartitionKey":');
const count = (buf, needle) => {
  let n = 0;
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) n++;
  return n;
};

export function startFakeKinesis() {
  let seq = 0;
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (b) => parts.push(b));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      const raw = Buffer.concat(parts);
      if (action === 'PutRecords') {
        // Scanned, not parsed: the sink must cost little next to the gateway it measures.
        const shardIds = [];
        for (let at = raw.indexOf(EHK); at >= 0; at = raw.indexOf(EHK, at + 1)) {
          const start = at + EHK.length;
          shardIds.push(shardOf({ ExplicitHashKey: raw.toString('latin1', start, raw.indexOf(34, start)) }));
        }
        if (shardIds.length === 0) shardIds.push(...Array(count(raw, PK)).fill(shards[0].ShardId));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(JSON.stringify({ FailedRecordCount: 0, Records: shardIds.map((ShardId) => ({ SequenceNumber: String(++seq), ShardId })) }));
      }
      const body = JSON.parse(raw.toString() || '{}');
      let out;
      if (action === 'DescribeStreamSummary') {
        out = { StreamDescriptionSummary: { StreamName: body.StreamName, StreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${body.StreamName}`, StreamStatus: 'ACTIVE', OpenShardCount: SHARDS, RetentionPeriodHours: 24, StreamCreationTimestamp: 0, EnhancedMonitoring: [], EncryptionType: 'NONE' } };
      } else if (action === 'ListShards') {
        out = { Shards: shards };
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ endpoint: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() })),
  );
}
