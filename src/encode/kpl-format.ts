// The KPL aggregated record format (awslabs/amazon-kinesis-producer aggregation-format.md):
//   magic F3 89 9A C2 | protobuf AggregatedRecord | MD5(protobuf) (16 bytes)
// so KCL, Firehose and aws-kinesis-agg de-aggregate kinflux records into one user record per point.
// The protobuf is tiny (two tables and a repeated message), so it is written by hand, no codegen.
import { createHash } from 'node:crypto';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
/** Magic plus MD5 trailer. */
export const KPL_OVERHEAD = KPL_MAGIC.length + 16;

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Bytes of a length-delimited field (one-byte tag) carrying `len` bytes. */
const delimitedSize = (len: number): number => 1 + varintSize(len) + len;
/** Bytes of message Record { partition_key_index = 1; data = 3 } (no hash key index: keys route themselves). */
const recordBodySize = (pkIndex: number, dataLen: number): number => 1 + varintSize(pkIndex) + delimitedSize(dataLen);

/** Accumulates user records of one shard and tracks the exact encoded size as it grows. */
export class KplAggregate {
  private readonly keyIndex = new Map<string, number>();
  private readonly keys: Buffer[] = [];
  private readonly records: Array<{ pk: number; data: Buffer }> = [];
  private protoSize = 0;

  get count(): number {
    return this.records.length;
  }

  /** Encoded size (magic + protobuf + MD5) if the record were built now. */
  get size(): number {
    return KPL_OVERHEAD + this.protoSize;
  }

  /** Size the aggregate would have after adding this user record. */
  sizeWith(partitionKey: string, data: Buffer): number {
    let added = 0;
    let pk = this.keyIndex.get(partitionKey);
    if (pk === undefined) {
      pk = this.keys.length;
      added += delimitedSize(Buffer.byteLength(partitionKey));
    }
    added += delimitedSize(recordBodySize(pk, data.length));
    return this.size + added;
  }

  add(partitionKey: string, data: Buffer): void {
    let pk = this.keyIndex.get(partitionKey);
    if (pk === undefined) {
      pk = this.keys.length;
      const key = Buffer.from(partitionKey, 'utf8');
      this.keyIndex.set(partitionKey, pk);
      this.keys.push(key);
      this.protoSize += delimitedSize(key.length);
    }
    this.records.push({ pk, data });
    this.protoSize += delimitedSize(recordBodySize(pk, data.length));
  }

  build(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    KPL_MAGIC.copy(out, 0);
    let pos = KPL_MAGIC.length;
    for (const key of this.keys) {
      out[pos++] = 0x0a; // field 1, length-delimited: partition_key_table
      pos = writeVarint(out, pos, key.length);
      pos += key.copy(out, pos);
    }
    for (const r of this.records) {
      out[pos++] = 0x1a; // field 3, length-delimited: records
      pos = writeVarint(out, pos, recordBodySize(r.pk, r.data.length));
      out[pos++] = 0x08; // Record field 1, varint: partition_key_index
      pos = writeVarint(out, pos, r.pk);
      out[pos++] = 0x1a; // Record field 3, length-delimited: data
      pos = writeVarint(out, pos, r.data.length);
      pos += r.data.copy(out, pos);
    }
    const md5 = createHash('md5').update(out.subarray(KPL_MAGIC.length, pos)).digest();
    md5.copy(out, pos);
    if (pos + 16 !== out.length) throw new Error(`KPL size mismatch: ${pos + 16} != ${out.length}`);
    return out;
  }
}
