// Turns a PointBatch into packed records: partition key, encoded bytes and shard of every point,
// skipping points the record format cannot carry (unencodable() lists them for the HTTP layer).
import { isUtf8 } from 'node:buffer';
import type { DeliverySettings } from '../config/types.js';
import type { PointBatch } from '../parse/types.js';
import { worstCaseCompressedSize } from './compress.js';
import { partitionKeyFunction, type PartitionKeyFn } from './partition-key.js';
import { PointBytes } from './point-bytes.js';
import type { Holder, PackedRecord, RecordPacker } from './record-packer.js';
import { pointEncoder, type PointEncoder } from './record-format.js';
import { SeriesKeyCache, type SeriesEntry } from './series-cache.js';
import { HashKeyCache, type ShardMap } from './shard-map.js';

/** Lines this much under the limit cannot be too big in any format but json: skip the exact check. */
const SAFE_MARGIN = 2048;

/** A point no record can carry, and why: the HTTP layer reports it as an invalid line. */
export interface Unencodable {
  readonly index: number;
  readonly kind: 'too_large' | 'invalid_utf8';
  readonly reason: string;
}

/**
 * JSON strings are Unicode: bytes that are not UTF-8 would become U+FFFD, two names could collapse into
 * one key and a field would vanish. Line records carry the bytes as InfluxDB keeps them; json refuses them.
 */
const INVALID_UTF8_REASON = 'invalid UTF-8 in a name, tag or string: json records cannot carry it losslessly (send UTF-8, or use KINFLUX_RECORD_FORMAT=line, which keeps the bytes)';

/**
 * Every point that fits: its key, group and where its bytes are. Line records point into the parse output
 * (`source` is the batch's buffer: nothing is copied or allocated per point here); json records are written
 * back to back into `json`. The packer copies each point's bytes once, into its record.
 */
export interface EncodedPoints {
  readonly keys: string[];
  readonly groups: string[];
  /** Point i's bytes are [starts[i], ends[i]) of source(). */
  readonly starts: number[];
  readonly ends: number[];
  /** Sum of the points' lengths. */
  readonly bytes: number;
  readonly byGroup: Map<string, number>;
  /** The batch's buffer (line records), or the json points written by the encoder. */
  readonly batchData: Buffer;
  readonly json: PointBytes | undefined;
}

/** The buffer that EncodedPoints' offsets index. */
export function encodedSource(enc: EncodedPoints): Buffer {
  return enc.json ? enc.json.bytes() : enc.batchData;
}

/** CPU per slice of a sliced encode: well under the ~50 ms an event loop may be held. */
export const SLICE_MS = 10;

type MutableEncoded = { -readonly [K in keyof EncodedPoints]: EncodedPoints[K] };

const emptyEncoded = (batch: PointBatch, json: boolean): MutableEncoded => ({
  keys: [],
  groups: [],
  starts: [],
  ends: [],
  bytes: 0,
  byGroup: new Map(),
  batchData: batch.data,
  json: json ? new PointBytes() : undefined,
});

export class BatchEncoder {
  private readonly keyOf: PartitionKeyFn;
  private readonly encode: PointEncoder;
  private readonly hashes: HashKeyCache;
  /** The default `series` method finds key and shard by the series bytes (no string per point). */
  private readonly series: SeriesKeyCache | undefined;

  constructor(private readonly s: DeliverySettings) {
    this.keyOf = partitionKeyFunction(s.partitionKey);
    this.series = s.partitionKey.method === 'series' ? new SeriesKeyCache(s.seriesCacheMaxBytes) : undefined;
    // Other methods cache each key's hash within the same byte bound; random keys never repeat: no cache.
    this.hashes = new HashKeyCache(s.partitionKey.method === 'random' ? 0 : s.seriesCacheMaxBytes);
    this.encode = pointEncoder(s.recordFormat, s.jsonTimestampUnits);
  }

  /** True when this encoded point could not fit in a record of `limit` bytes even alone. */
  private tooBig(key: string, length: number, limit: number): boolean {
    return worstCaseCompressedSize(this.s.compression, length) + Buffer.byteLength(key) > limit;
  }

  private surelyFits(lineLength: number, limit: number): boolean {
    return this.s.recordFormat === 'line' && lineLength + SAFE_MARGIN < limit * 0.99;
  }

  /** True when the format cannot carry point i's bytes (json and invalid UTF-8); `batchValid` skips the check. */
  private badText(batch: PointBatch, i: number, batchValid: boolean): boolean {
    return !batchValid && !isUtf8(batch.data.subarray(batch.starts[i], batch.starts[i + 1]));
  }

  /** True when no point of the batch can have bad text: line records, or a batch valid as a whole (one pass). */
  private textValid(batch: PointBatch): boolean {
    return this.s.recordFormat !== 'json' || isUtf8(batch.data);
  }

  unencodable(batch: PointBatch, limit: number): Unencodable[] {
    const out: Unencodable[] = [];
    const valid = this.textValid(batch);
    for (let i = 0; i < batch.count; i++) {
      if (this.badText(batch, i, valid)) {
        out.push({ index: i, kind: 'invalid_utf8', reason: INVALID_UTF8_REASON });
        continue;
      }
      const bytes = batch.starts[i + 1] - batch.starts[i];
      if (this.surelyFits(bytes, limit)) continue;
      if (this.tooBig(this.keyOf(batch, i), this.encode(batch, i).length, limit)) {
        out.push({ index: i, kind: 'too_large', reason: `point of ${bytes} bytes does not fit in a Kinesis record` });
      }
    }
    return out;
  }

  /**
   * Partition key, group (the shard in `map`: the stream's, or hash ranges without ListShards) and encoded bytes of every point
   * that fits, plus the bytes per group: enough to decide admission before anything is packed.
   */
  encodePoints(batch: PointBatch, map: ShardMap, limit: number): EncodedPoints {
    const out = emptyEncoded(batch, this.s.recordFormat === 'json');
    try {
      this.encodeRange(batch, map, limit, 0, batch.count, this.textValid(batch), out, []);
    } finally {
      // The cache must not keep this batch's buffer alive once the request is answered.
      this.series?.release();
    }
    return out;
  }

  /**
   * encodePoints in slices of about `sliceMs` of CPU, yielding to the event loop between them: a batch of a
   * million points takes seconds to key, hash and encode, and /ping and other writes must not wait for it
   * (issue 20: one /ping took 8.3 s). Other batches may be encoded between the slices; the series cache
   * finds its view of each batch's buffer again after a switch.
   */
  async encodePointsSliced(batch: PointBatch, map: ShardMap, limit: number, sliceMs = SLICE_MS): Promise<EncodedPoints> {
    const out = emptyEncoded(batch, this.s.recordFormat === 'json');
    const valid = this.textValid(batch);
    const byId: SeriesEntry[] = [];
    try {
      let step = 1024;
      for (let from = 0; from < batch.count; ) {
        const t0 = performance.now();
        const to = Math.min(batch.count, from + step);
        this.encodeRange(batch, map, limit, from, to, valid, out, byId);
        from = to;
        if (from >= batch.count) break;
        // Grow or shrink the step so that a slice takes about sliceMs.
        const ms = performance.now() - t0;
        step = Math.max(256, Math.min(1 << 20, Math.round(step * (ms > 0 ? sliceMs / ms : 2))));
        this.series?.release();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.series?.release();
    }
    return out;
  }

  /**
   * Encodes points [from, to) of `batch` into `out`. `byId`: the series entry of each of the batch's series ids
   * found so far (PointBatch.seriesIds: points of one id have the same series bytes, so the same entry).
   */
  private encodeRange(batch: PointBatch, map: ShardMap, limit: number, from: number, to: number, valid: boolean, out: MutableEncoded, byId: SeriesEntry[]): void {
    const series = this.series;
    const ids = batch.seriesIds;
    const { keys, groups, starts, ends, byGroup, json } = out;
    for (let i = from; i < to; i++) {
      if (this.badText(batch, i, valid)) continue; // unencodable() reported it
      let key: string;
      let group: string;
      if (series) {
        const id = ids !== undefined ? ids[i] : 0;
        let e = id !== 0 && id < byId.length ? byId[id] : undefined;
        if (e === undefined) {
          e = series.lookup(batch.data, batch.starts[i], batch.seriesLengths[i]);
          if (id !== 0) byId[id] = e;
        }
        key = e.key;
        group = series.shardIdOf(e, map);
      } else {
        key = this.keyOf(batch, i);
        group = map.shardIdOf(this.hashes.get(key));
      }
      // Line records: the canonical line where the parser wrote it. json: written into `json`, back to back.
      const d = json ? this.encode(batch, i) : undefined;
      const start = json ? json.byteLength : batch.starts[i];
      const length = d ? d.length : batch.starts[i + 1] - start;
      if (!this.surelyFits(length, limit) && this.tooBig(key, length, limit)) continue;
      if (json && d) json.push(d, 0, length);
      keys.push(key);
      groups.push(group);
      starts.push(start);
      ends.push(start + length);
      out.bytes += length;
      byGroup.set(group, (byGroup.get(group) ?? 0) + length);
    }
  }

  /** Adds encoded points to the packer (each point's bytes copied into its record); returns the records sealed to make room. */
  place<H extends Holder>(enc: EncodedPoints, holder: H, packer: RecordPacker<H>): PackedRecord<H>[] {
    const sealed: PackedRecord<H>[] = [];
    const src = encodedSource(enc);
    const { groups, keys, starts, ends } = enc;
    for (let i = 0; i < keys.length; i++) packer.addBytes(groups[i], keys[i], src, starts[i], ends[i], holder, sealed);
    return sealed;
  }
}
