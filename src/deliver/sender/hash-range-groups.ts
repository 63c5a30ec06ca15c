// Without ListShards there is no shard map, yet records must still fill up and be paced per shard. Equal hash
// ranges stand in for the shards (one per open shard when DescribeStreamSummary tells the count): points are
// packed per range, each range's records carry one fixed ExplicitHashKey (so a series always lands on one
// shard, in order), and each range is paced on its own.
import { ShardMap } from '../../encode/shard-map.js';

/** Ranges when not even the shard count is known. */
const DEFAULT_HASH_RANGES = 16;

export interface HashRanges {
  readonly n: number;
  /** The ranges as a shard map, ids `range-<i>`. */
  readonly map: ShardMap;
  /** Each range's ExplicitHashKey: its middle. */
  readonly keys: Map<string, string>;
}

/** The ranges for `openShards` (undefined: not known), built again only when that count changes. */
export class HashRangeGroups {
  private ranges: HashRanges | undefined;

  for(openShards: number | undefined): HashRanges {
    const n = openShards ?? DEFAULT_HASH_RANGES;
    if (this.ranges?.n !== n) {
      const space = 2n ** 128n;
      const span = space / BigInt(n);
      const ranges = Array.from({ length: n }, (_, i) => ({
        shardId: `range-${i}`,
        start: span * BigInt(i),
        end: i === n - 1 ? space - 1n : span * BigInt(i + 1) - 1n,
      }));
      this.ranges = { n, map: new ShardMap(ranges), keys: new Map(ranges.map((r) => [r.shardId, String(r.start + span / 2n)])) };
    }
    return this.ranges;
  }
}
