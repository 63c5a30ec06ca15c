// ListShards into a stream's shard map (where points are packed) and its known hash ranges (every shard ever
// listed, closed ones too, so a record that lands on a child of a reshard can be placed). ListShards has its
// own per-stream limit, so it backs off on its own; a failed listing keeps the previous map.
import type { Shard } from '@aws-sdk/client-kinesis';
import { shardMapFromListShards } from '../../encode/shard-map.js';
import type { Logger } from '../../log/logger.js';
import { jitter, nextBackoff } from '../../pacing/backoff.js';
import { describeError, errorCode } from '../kinesis/error-codes.js';
import type { KinesisPort } from '../kinesis/port.js';
import { CONTROL_BACKOFF, CONTROL_TIMEOUT_MS } from './limits.js';
import type { StreamState } from './stream-state.js';
import { streamParams } from '../kinesis/stream-target.js';

/** The longest pause between listings while records wait for the map (see StreamState.mapWantedSince). */
const WANTED_LIST_BACKOFF_MS = 4000;

export async function refreshShards(kinesis: KinesisPort, s: StreamState, logger: Logger): Promise<void> {
  if (Date.now() < s.listAt) return; // backing off: the previous map stays
  try {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      // With a NextToken the stream must not be named again.
      const input = token ? { NextToken: token } : { ...streamParams(s.stream), MaxResults: 1000 };
      const out = await kinesis.listShards(input, AbortSignal.timeout(CONTROL_TIMEOUT_MS));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
    s.shardMap = shardMapFromListShards(shards);
    for (const sh of shards) {
      const r = sh.HashKeyRange;
      if (sh.ShardId && r?.StartingHashKey && r.EndingHashKey) {
        s.shardRanges.set(sh.ShardId, { shardId: sh.ShardId, start: BigInt(r.StartingHashKey), end: BigInt(r.EndingHashKey) });
      }
    }
    s.openShardCount = s.shardMap.shards.length;
    s.mapStale = false;
    s.mapWantedSince = 0;
    s.listBackoffMs = 0;
  } catch (err) {
    if (errorCode(err) === 'AccessDeniedException') {
      s.listShardsDenied = true;
      s.shardMap = undefined;
      s.mapStale = false;
      logger.warn({ stream: s.stream }, 'ListShards not permitted: records are grouped by equal hash ranges instead of by shard');
    } else {
      s.listBackoffMs = nextBackoff(CONTROL_BACKOFF, s.listBackoffMs);
      // Writes waiting for the map (a reshard) are answered 503 meanwhile: try again soon, not a minute later
      // (ListShards allows 100 calls/s per stream, so a fleet listing every few seconds is far from it).
      if (s.mapWantedSince > 0) s.listBackoffMs = Math.min(s.listBackoffMs, WANTED_LIST_BACKOFF_MS);
      s.listAt = Date.now() + jitter(s.listBackoffMs);
      logger.warn({ stream: s.stream, err: describeError(err), backoffMs: s.listBackoffMs }, 'ListShards failed; keeping the previous shard map');
    }
  }
}
