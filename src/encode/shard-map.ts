// Kinesis routes a record by MD5(partition key) read as a 128-bit big-endian integer, or by its
// ExplicitHashKey, into the open shard whose hash range holds it. Predicting that lets records be
// packed per shard, which is what makes many points per record safe for shard-affine consumers.
import { createHash } from 'node:crypto';

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

/** Series keys repeat from request to request; caching their hash saves an MD5 per point. */
export class HashKeyCache {
  private readonly map = new Map<string, bigint>();
  constructor(private readonly maxEntries = 200_000) {}
  get(key: string): bigint {
    let h = this.map.get(key);
    if (h === undefined) {
      h = hashKeyOf(key);
      // Crude bound: dropping everything is cheap and keeps memory flat under key churn (random keys).
      if (this.map.size >= this.maxEntries) this.map.clear();
      this.map.set(key, h);
    }
    return h;
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
