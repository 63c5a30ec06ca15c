// What kinflux knows about one stream, in one record that the monitor's parts (describe, listing, health)
// update and the stream's sender reads on every write (blocked, shard map, max record size).
import type { ShardMap, ShardRange } from '../../encode/shard-map.js';

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

export interface StreamHealth {
  stream: string;
  status: 'pass' | 'fail';
  message: string;
}

export interface StreamState {
  readonly stream: string;
  status: 'pass' | 'fail';
  message: string;
  /** Writes are refused at once: absent, not ACTIVE/UPDATING, or PutRecords was denied. */
  blocked: boolean;
  notFound: boolean;
  unreachable: boolean;
  maxRecordBytes: number;
  /** Undefined until listed, or when ListShards is not permitted: then records are grouped by partition key. */
  shardMap: ShardMap | undefined;
  /** Hash ranges of every listed shard, closed ones included: where a record landed, and what it owns. */
  shardRanges: Map<string, ShardRange>;
  listShardsDenied: boolean;
  openShardCount: number | undefined;
  mapStale: boolean;
  /**
   * Since when a record's holders wait for a shard not listed yet (a child born in a reshard; 0: none): until
   * a listing answers, the writes it holds cannot be acknowledged. Cleared by a listing.
   */
  mapWantedSince: number;
  /** A PutRecords AccessDenied/KMS error keeps the stream failed until this time, then writes are tried again. */
  writeDeniedUntil: number;
  /** When a PutRecords last had an entry accepted (0: never). */
  lastPutOkAt: number;
  /** When whole PutRecords calls started failing (network, 5xx) with none accepted since (0: not failing). */
  putFailingSince: number;
  /** No check before this time (MIN_CHECK_GAP_MS after the last one). */
  nextCheckAt: number;
  /** No describe before this time: the backoff after a throttled or failed describe. */
  describeAt: number;
  /** The current backoff (0 after a describe that answered). */
  backoffMs: number;
  /** No ListShards before this time: the backoff after a throttled or failed listing. */
  listAt: number;
  listBackoffMs: number;
}

/** A stream not checked yet: failed until its first describe (or put) says otherwise. */
export function uncheckedStream(stream: string): StreamState {
  return {
    stream,
    status: 'fail',
    message: 'not checked yet',
    blocked: false,
    notFound: false,
    unreachable: false,
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
    shardMap: undefined,
    shardRanges: new Map(),
    listShardsDenied: false,
    openShardCount: undefined,
    mapStale: true,
    mapWantedSince: 0,
    writeDeniedUntil: 0,
    lastPutOkAt: 0,
    putFailingSince: 0,
    nextCheckAt: 0,
    describeAt: 0,
    backoffMs: 0,
    listAt: 0,
    listBackoffMs: 0,
  };
}
