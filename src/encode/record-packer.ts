// Packs encoded points into Kinesis records, one open record per group (a shard, or a partition key
// when the shard map is unknown), sealing a record when the next point would push it past the size
// budget. Each record remembers which holders (submits) put points in it, so that a submit can be
// answered when every record holding its points is accepted.
import type { Aggregation } from '../config/types.js';
import { BufferPool } from './buffer-pool.js';
import { KplAggregate } from './kpl-format.js';
import { PointBytes } from './point-bytes.js';
import { hashKeyOf } from './shard-map.js';

/** Something that waits for the records holding its points; told once per record that holds it. */
export interface Holder {
  hold(): void;
}

export interface PackedRecord<H extends Holder> {
  /** Shard id (a hash range's id without ListShards): records of one group are paced and retried together. */
  readonly group: string;
  readonly partitionKey: string;
  /** Decimal 128-bit hash pinning the record to its shard; undefined without a shard map. */
  readonly explicitHashKey: string | undefined;
  /** Encoded points, in order, in one buffer, and their own partition keys (needed to re-pack when a record is split). */
  readonly parts: PointBytes;
  readonly keys: string[];
  /** Sum of parts' lengths: the bytes this record holds in the queue. */
  rawBytes: number;
  readonly holders: H[];
}

/** How records are keyed: the stream's shard map decides it, and it may appear or vanish while the stream runs. */
export interface RecordKeying {
  /** Whether records carry ExplicitHashKey (a shard map is known). */
  explicitHashKey: boolean;
  /**
   * A fixed ExplicitHashKey per group, instead of the first point's hash (without ListShards: points are
   * packed by hash range, and every record of a range goes with the same key, so a series keeps one shard).
   */
  groupHashKey?: ReadonlyMap<string, string>;
}

export interface PackerOptions {
  aggregation: Aggregation;
  /** The keying now, asked each time a record is built (sealed, split or derived). */
  keying: () => RecordKeying;
  /**
   * Line records' buffers come from a pool keeping at most this many idle bytes (buffer-pool.ts), and go back to it
   * when their record is done (StreamQueue.release). Absent or 0: no pool.
   */
  poolBytes?: number;
}

/** Bytes a record of these points would have on the wire before compression, partition key included. */
export function recordSizeOf(aggregation: Aggregation, parts: PointBytes, keys: readonly string[]): number {
  if (aggregation === 'kpl' && parts.length > 1) {
    const agg = new KplAggregate();
    for (let i = 0; i < parts.length; i++) agg.add(keys[i], parts.at(i));
    return agg.size + 1; // outer key "a"
  }
  return parts.byteLength + Buffer.byteLength(keys[0] ?? '');
}

/**
 * The record's data, before compression: with line records a view of the points' buffer (their bytes are
 * already back to back). KPL with one user record sends it plain, as the KPL does.
 */
export function recordData(aggregation: Aggregation, parts: PointBytes, keys: readonly string[]): Buffer {
  if (aggregation === 'kpl' && parts.length > 1) {
    const agg = new KplAggregate();
    for (let i = 0; i < parts.length; i++) agg.add(keys[i], parts.at(i));
    return agg.build();
  }
  return parts.bytes();
}

/**
 * Record-level keys: the first point's key routes the record where all its points hash. A KPL aggregate
 * has the outer key "a", so it always carries the first key's hash as ExplicitHashKey, map or no map:
 * without it the record would land on MD5("a")'s shard, and the KCL would drop every sub-record.
 * Without a shard map, line records carry their hash range's fixed key instead (a series keeps one shard).
 */
function recordKeys(aggregation: Aggregation, keys: readonly string[], opts: RecordKeying, group: string): { pk: string; ehk: string | undefined } {
  const first = keys[0];
  const aggregate = aggregation === 'kpl' && keys.length > 1;
  const fixed = opts.explicitHashKey && aggregation !== 'kpl' ? opts.groupHashKey?.get(group) : undefined;
  if (fixed !== undefined) return { pk: first, ehk: fixed };
  return { pk: aggregate ? 'a' : first, ehk: opts.explicitHashKey || aggregate ? hashKeyOf(first).toString() : undefined };
}

interface OpenRecord<H extends Holder> {
  parts: PointBytes;
  keys: string[];
  rawBytes: number;
  /** Wire size so far (lines: data + first key; kpl: aggregate + outer key). */
  size: number;
  kpl: KplAggregate | undefined;
  holders: H[];
  lastHolder: H | undefined;
}

/** Groups whose last record size is remembered (a stream has at most a few thousand shards). */
const MAX_SIZE_HINTS = 16_384;

export class RecordPacker<H extends Holder> {
  private readonly open = new Map<string, OpenRecord<H>>();
  /** Bytes of each group's last sealed record: the next one's buffer starts that large (no regrowth in a steady flow). */
  private readonly lastBytes = new Map<string, number>();

  /** Buffers of line records (with opts.poolBytes). */
  private readonly pool: BufferPool | undefined;

  /** `budget` is the largest record (data + partition key) to build; it may change with the stream's limits. */
  constructor(
    private readonly opts: PackerOptions,
    public budget: number,
  ) {
    // Only line records: their data is a view of the buffer until their call is answered, and nothing else keeps one.
    this.pool = opts.aggregation === 'lines' && opts.poolBytes ? new BufferPool(opts.poolBytes) : undefined;
  }

  /** Bytes kept for reuse by the buffer pool (tests, bounds). */
  get pooledBytes(): number {
    return this.pool?.idleBytes ?? 0;
  }


  get hasOpen(): boolean {
    return this.open.size > 0;
  }

  /** Adds one encoded point, a whole Buffer (see addBytes). */
  add(group: string, key: string, data: Buffer, holder: H, sealed: PackedRecord<H>[]): void {
    this.addBytes(group, key, data, 0, data.length, holder, sealed);
  }

  /**
   * Adds one encoded point, bytes [start, end) of `src` (copied into the record). Pushes the record it sealed to
   * make room, if any, onto `sealed`. A point bigger than the budget still gets a record of its own: callers
   * filter those out beforehand.
   */
  addBytes(group: string, key: string, src: Buffer, start: number, end: number, holder: H, sealed: PackedRecord<H>[]): void {
    const length = end - start;
    if (this.opts.aggregation === 'none') {
      holder.hold();
      const one = new PointBytes(length);
      one.push(src, start, end);
      sealed.push(this.toRecord(group, one, [key], length, [holder]));
      return;
    }
    // KPL sizes its aggregate from the user records themselves (off the default path).
    const data = this.opts.aggregation === 'kpl' ? src.subarray(start, end) : undefined;
    let rec = this.open.get(group);
    if (rec) {
      const next = rec.kpl && data ? rec.kpl.sizeWith(key, data) + 1 : rec.size + length;
      if (next > this.budget) {
        sealed.push(this.seal(group, rec));
        rec = undefined;
      }
    }
    if (!rec) {
      const hint = this.lastBytes.get(group);
      const capacity = hint === undefined ? undefined : Math.min(this.budget, hint + (hint >> 3));
      rec = { parts: new PointBytes(capacity, this.budget, this.pool), keys: [], rawBytes: 0, size: 0, kpl: undefined, holders: [], lastHolder: undefined };
      if (this.opts.aggregation === 'kpl') rec.kpl = new KplAggregate();
      else rec.size = Buffer.byteLength(key);
      this.open.set(group, rec);
    }
    rec.parts.push(src, start, end);
    rec.keys.push(key);
    rec.rawBytes += length;
    if (rec.kpl && data) {
      rec.kpl.add(key, data);
      rec.size = rec.kpl.size + 1;
    } else {
      rec.size += length;
    }
    // Points of one submit arrive consecutively, so comparing with the last holder de-duplicates.
    if (rec.lastHolder !== holder) {
      rec.lastHolder = holder;
      if (!rec.holders.includes(holder)) {
        rec.holders.push(holder);
        holder.hold();
      }
    }
  }

  /**
   * Seals the open records `ready` says may go now (their shard has allowance and nothing ahead of them);
   * the others keep filling. Visits open records only, one per group: never the backlog.
   */
  sealWhere(ready: (group: string, size: number) => boolean, sealed: PackedRecord<H>[]): void {
    for (const [group, rec] of this.open) if (ready(group, rec.size)) sealed.push(this.seal(group, rec));
  }

  /** Seals every open record (linger expired, flush, shutdown). */
  sealAll(sealed: PackedRecord<H>[]): void {
    for (const [group, rec] of this.open) sealed.push(this.seal(group, rec));
  }

  private seal(group: string, rec: OpenRecord<H>): PackedRecord<H> {
    this.open.delete(group);
    if (this.lastBytes.size >= MAX_SIZE_HINTS && !this.lastBytes.has(group)) this.lastBytes.clear(); // groups are shards: a bound, not a cache policy
    this.lastBytes.set(group, rec.parts.byteLength);
    return this.toRecord(group, rec.parts, rec.keys, rec.rawBytes, rec.holders);
  }

  private toRecord(group: string, parts: PointBytes, keys: string[], rawBytes: number, holders: H[], keying = this.opts.keying()): PackedRecord<H> {
    const k = recordKeys(this.opts.aggregation, keys, keying, group);
    return { group, partitionKey: k.pk, explicitHashKey: k.ehk, parts, keys, rawBytes, holders };
  }

  /**
   * A record of some of another record's points (re-sent after a reshard put them on a shard that
   * does not own them). Every holder of the original waits for it too, as in split(). `keying`: the
   * packer's own unless given.
   */
  derive(group: string, parts: PointBytes, keys: string[], holders: readonly H[], keying?: RecordKeying): PackedRecord<H> {
    for (const h of holders) h.hold();
    return this.toRecord(group, parts, keys, parts.byteLength, [...holders], keying);
  }

  /**
   * Splits a record Kinesis refused as too large into two halves. Every holder now waits for both
   * halves (it may only have points in one; waiting for the other as well is merely conservative).
   */
  split(rec: PackedRecord<H>): [PackedRecord<H>, PackedRecord<H>] {
    const mid = rec.parts.length >> 1;
    const halves: Array<[PointBytes, string[]]> = [
      [rec.parts.slice(0, mid), rec.keys.slice(0, mid)],
      [rec.parts.slice(mid), rec.keys.slice(mid)],
    ];
    for (const h of rec.holders) h.hold();
    const [a, b] = halves.map(([parts, keys]) =>
      this.toRecord(rec.group, parts, keys, parts.byteLength, [...rec.holders]),
    );
    return [a, b];
  }
}
