// Reads a KPL aggregated record (magic F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf) back into its
// user records, as aws-kinesis-agg and the KCL do. The inverse of src/encode/kpl-format.ts, written by hand for the
// same reason (two tables and one repeated message); it reads any producer's aggregates, explicit hash keys and tags
// included, and never trusts a length it has not checked against the bytes.
import { createHash } from 'node:crypto';
import { KPL_MAGIC } from '../encode/kpl-format.js';

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
}

export type Deaggregated = { ok: true; records: UserRecord[] } | { ok: false; reason: string };

export function isKplAggregate(data: Buffer): boolean {
  return data.length >= KPL_MAGIC.length + 16 && data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC);
}

class Reader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) throw new Error('varint out of range');
        return n;
      }
      scale *= 128;
    }
    throw new Error('varint too long');
  }
  bytes(): Buffer {
    const len = this.varint();
    if (len > this.end - this.pos) throw new Error('length past the end of the record');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1 || wireType === 5) {
      const len = wireType === 1 ? 8 : 4;
      if (len > this.end - this.pos) throw new Error('truncated fixed field');
      this.pos += len;
    } else throw new Error(`unknown wire type ${wireType}`);
  }
}

interface RawRecord {
  pk: number;
  ehk: number | undefined;
  data: Buffer;
}

function readRecord(body: Buffer): RawRecord {
  const r = new Reader(body, 0, body.length);
  let pk: number | undefined;
  let ehk: number | undefined;
  let data: Buffer | undefined;
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 1 && wire === 0) pk = r.varint();
    else if (field === 2 && wire === 0) ehk = r.varint();
    else if (field === 3 && wire === 2) data = r.bytes();
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
    const r = new Reader(proto, 0, proto.length);
    const keys: string[] = [];
    const hashKeys: string[] = [];
    const raw: RawRecord[] = [];
    while (!r.done) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 1 && wire === 2) keys.push(r.bytes().toString('utf8'));
      else if (field === 2 && wire === 2) hashKeys.push(r.bytes().toString('utf8'));
      else if (field === 3 && wire === 2) raw.push(readRecord(r.bytes()));
      else r.skip(wire);
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
