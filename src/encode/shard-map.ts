// Kinesis routes a record by MD5(partition key) read as a 128-bit big-endian integer, or by its
// ExplicitHashKey, into the open shard whose hash range holds it. Predicting that lets records be
// packed per shard, which is what makes many points per record safe for shard-affine consumers.
import { createHash } from 'node:crypto';
import { DEFAULT_SERIES_CACHE_BYTES } from '../config/schema.js';

export interface ShardRange {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** MD5 of the UTF-8 key as an unsigned 128-bit integer, exactly as Kinesis computes it. */
export function hashKeyOf(partitionKey: string): bigint {
  const d = createHash('md5').update(partitionKey, 'utf8').digest();
  return (d.readBigUInt64BE(0) << 64n) | d.readBigUInt64BE(8);
}

/**
 * Per entry beyond the key's characters (2 bytes each at most): the string's header, the 128-bit bigint, the
 * Map's slot and its spare room.
 */
const HASH_ENTRY_OVERHEAD_BYTES = 112;

/**
 * Partition keys repeat from request to request; caching their hash saves an MD5 per point. Bounded in bytes
 * (keys are client-chosen: tag values of up to 256 characters): when the next key would pass `maxBytes` the
 * map is emptied, which keeps memory flat under key churn and gives it back. 0 caches nothing (random keys).
 */
export class HashKeyCache {
  private map = new Map<string, bigint>();
  private bytes = 0;
  /** `maxBytes`: KINFLUX_SERIES_CACHE_MAX_BYTES, the series cache's bound. */
  constructor(private readonly maxBytes = DEFAULT_SERIES_CACHE_BYTES) {}
  get(key: string): bigint {
    let h = this.map.get(key);
    if (h === undefined) {
      h = hashKeyOf(key);
      const cost = 2 * key.length + HASH_ENTRY_OVERHEAD_BYTES;
      if (cost > this.maxBytes) return h;
      if (this.bytes + cost > this.maxBytes) {
        // A new Map rather than clear(): the old one's table, grown to its largest, goes with it.
        this.map = new Map();
        this.bytes = 0;
      }
      this.map.set(key, h);
      this.bytes += cost;
    }
    return h;
  }
  /** Estimated bytes held. */
  get heldBytes(): number {
    return this.bytes;
  }
}

/** Open shards of a stream, sorted by hash range, for binary search. */
export class ShardMap {
  readonly shards: readonly ShardRange[];
  constructor(ranges: readonly ShardRange[]) {
    this.shards = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    if (this.shards.length === 0) throw new Error('a shard map needs at least one open shard');
  }

  /** Index into `shards` of the shard owning `hash`. Gaps (mid-reshard) go to the nearest lower shard. */
  indexOf(hash: bigint): number {
    const s = this.shards;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid].start <= hash) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  shardIdOf(hash: bigint): string {
    return this.shards[this.indexOf(hash)].shardId;
  }
}

/** Builds a map from ListShards output, keeping open shards only (closed parents have an ending sequence number). */
export function shardMapFromListShards(
  shards: ReadonlyArray<{
    ShardId?: string;
    HashKeyRange?: { StartingHashKey?: string; EndingHashKey?: string };
    SequenceNumberRange?: { EndingSequenceNumber?: string };
  }>,
): ShardMap {
  const open: ShardRange[] = [];
  for (const s of shards) {
    if (!s.ShardId || !s.HashKeyRange?.StartingHashKey || !s.HashKeyRange.EndingHashKey) continue;
    if (s.SequenceNumberRange?.EndingSequenceNumber) continue;
    open.push({ shardId: s.ShardId, start: BigInt(s.HashKeyRange.StartingHashKey), end: BigInt(s.HashKeyRange.EndingHashKey) });
  }
  return new ShardMap(open);
}
