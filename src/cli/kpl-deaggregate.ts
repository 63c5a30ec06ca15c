// Reads a KPL aggregated record (magic F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf) back into its
// user records, as aws-kinesis-agg and the KCL do. The inverse of src/encode/kpl-format.ts, on the protobuf wire
// reader the inputs use (src/decode/protobuf.ts: every length checked against the bytes); it reads any producer's
// aggregates, explicit hash keys and tags included.
import { createHash } from 'node:crypto';
import { KPL_MAGIC } from '../encode/kpl-format.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../decode/protobuf.js';

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
}

export type Deaggregated = { ok: true; records: UserRecord[] } | { ok: false; reason: string };

export function isKplAggregate(data: Buffer): boolean {
  return data.length >= KPL_MAGIC.length + 16 && data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC);
}

interface RawRecord {
  pk: number;
  ehk: number | undefined;
  data: Buffer;
}

function readRecord(proto: Buffer, r: ProtoReader): RawRecord {
  let pk: number | undefined;
  let ehk: number | undefined;
  let data: Buffer | undefined;
  while (r.more()) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === WIRE_VARINT) pk = r.uint32();
    else if (field === 2 && wire === WIRE_VARINT) ehk = r.uint32();
    else if (field === 3 && wire === WIRE_LEN) (r.len(), (data = proto.subarray(r.s, r.e)));
    else r.skip(wire); // tags (4) and anything newer
  }
  if (pk === undefined) throw new Error('a user record has no partition_key_index');
  if (data === undefined) throw new Error('a user record has no data');
  return { pk, ehk, data };
}

/** The user records of a KPL aggregate, or why it cannot be read (bad MD5, broken protobuf, index out of range). */
export function deaggregate(data: Buffer): Deaggregated {
  if (!isKplAggregate(data)) return { ok: false, reason: 'not a KPL aggregate (no magic F3 89 9A C2)' };
  const protoEnd = data.length - 16;
  const proto = data.subarray(KPL_MAGIC.length, protoEnd);
  if (!createHash('md5').update(proto).digest().equals(data.subarray(protoEnd))) {
    return { ok: false, reason: 'KPL aggregate with a bad MD5 (corrupted or not an aggregate)' };
  }
  try {
    const r = new ProtoReader(proto);
    const keys: string[] = [];
    const hashKeys: string[] = [];
    const raw: RawRecord[] = [];
    while (r.more()) {
      const tag = r.tag();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire !== WIRE_LEN || field < 1 || field > 3) {
        r.skip(wire);
        continue;
      }
      r.len();
      if (field === 1) keys.push(proto.toString('utf8', r.s, r.e));
      else if (field === 2) hashKeys.push(proto.toString('utf8', r.s, r.e));
      else raw.push(readRecord(proto, new ProtoReader(proto, r.s, r.e)));
    }
    const records = raw.map((x) => {
      if (x.pk >= keys.length) throw new Error(`partition_key_index ${x.pk} past the table (${keys.length})`);
      if (x.ehk !== undefined && x.ehk >= hashKeys.length) throw new Error(`explicit_hash_key_index ${x.ehk} past the table (${hashKeys.length})`);
      return { partitionKey: keys[x.pk], explicitHashKey: x.ehk === undefined ? undefined : hashKeys[x.ehk], data: x.data };
    });
    return { ok: true, records };
  } catch (err) {
    return { ok: false, reason: `broken KPL aggregate: ${(err as Error).message}` };
  }
}
