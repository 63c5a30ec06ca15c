// Turns a PointBatch into packed records: partition key, encoded bytes and shard of every point,
// skipping points that can never fit in a record (oversized() lists them for the HTTP layer).
import type { DeliverySettings } from '../config/types.js';
import type { PointBatch } from '../parse/types.js';
import { worstCaseCompressedSize } from './compress.js';
import { partitionKeyFunction, type PartitionKeyFn } from './partition-key.js';
import type { Holder, PackedRecord, RecordPacker } from './record-packer.js';
import { pointEncoder, type PointEncoder } from './record-format.js';
import { SeriesKeyCache } from './series-cache.js';
import { HashKeyCache, type ShardMap } from './shard-map.js';

/** Lines this much under the limit cannot be too big in any format but json: skip the exact check. */
const SAFE_MARGIN = 2048;

export interface EncodedBatch<H extends Holder> {
  points: number;
  bytes: number;
  sealed: PackedRecord<H>[];
}

export class BatchEncoder {
  private readonly keyOf: PartitionKeyFn;
  private readonly encode: PointEncoder;
  private readonly hashes = new HashKeyCache();
  /** The default `series` method finds key and shard by the series bytes (no string per point). */
  private readonly series: SeriesKeyCache | undefined;

  constructor(private readonly s: DeliverySettings) {
    this.keyOf = partitionKeyFunction(s.partitionKey);
    this.series = s.partitionKey.method === 'series' ? new SeriesKeyCache() : undefined;
    this.encode = pointEncoder(s.recordFormat, s.jsonTimestampUnits);
  }

  /** True when this encoded point could not fit in a record of `limit` bytes even alone. */
  private tooBig(key: string, data: Buffer, limit: number): boolean {
    return worstCaseCompressedSize(this.s.compression, data.length) + Buffer.byteLength(key) > limit;
  }

  private surelyFits(lineLength: number, limit: number): boolean {
    return this.s.recordFormat === 'line' && lineLength + SAFE_MARGIN < limit * 0.99;
  }

  oversized(batch: PointBatch, limit: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < batch.count; i++) {
      if (this.surelyFits(batch.starts[i + 1] - batch.starts[i], limit)) continue;
      if (this.tooBig(this.keyOf(batch, i), this.encode(batch, i), limit)) out.push(i);
    }
    return out;
  }

  /** Adds every point that fits to the packer, grouped by shard (or by partition key without a map). */
  pack<H extends Holder>(batch: PointBatch, holder: H, packer: RecordPacker<H>, map: ShardMap | undefined, limit: number): EncodedBatch<H> {
    const sealed: PackedRecord<H>[] = [];
    let points = 0;
    let bytes = 0;
    const series = this.series;
    for (let i = 0; i < batch.count; i++) {
      let key: string;
      let group: string;
      if (series) {
        const e = series.lookup(batch.data, batch.starts[i], batch.seriesLengths[i]);
        key = e.key;
        group = map ? series.shardIdOf(e, map) : e.group;
      } else {
        key = this.keyOf(batch, i);
        group = map ? map.shardIdOf(this.hashes.get(key)) : `key:${key}`;
      }
      const data = this.encode(batch, i);
      if (!this.surelyFits(data.length, limit) && this.tooBig(key, data, limit)) continue;
      packer.add(group, key, data, holder, sealed);
      points++;
      bytes += data.length;
    }
    return { points, bytes, sealed };
  }
}
