// What kinflux knows about each stream: whether it can be written (for /health, /ready and fast
// 503s), its max record size and its shard map. Described at startup, every healthIntervalMs, and
// soon after any error the senders report.
import { DescribeStreamSummaryCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { Metrics } from '../metrics/registry.js';
import { ShardMap, shardMapFromListShards, type ShardRange } from '../encode/shard-map.js';
import { StreamNotFoundError, describeError, errorCode } from './errors.js';
import type { Logger } from '../log/logger.js';
import { streamParams } from './stream-target.js';

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const CONTROL_TIMEOUT_MS = 5000;
/** Error-triggered checks are spaced at least this much (DescribeStreamSummary allows 20 TPS per account). */
const MIN_CHECK_GAP_MS = 1000;

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
  /** A PutRecords AccessDenied/KMS error keeps the stream failed until this time, then writes are tried again. */
  writeDeniedUntil: number;
}

export class StreamMonitor {
  readonly states = new Map<string, StreamState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  private readonly lastCheck = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly client: KinesisClient,
    streams: readonly string[],
    private readonly intervalMs: number,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    for (const stream of streams) {
      this.states.set(stream, {
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
        writeDeniedUntil: 0,
      });
    }
  }

  state(stream: string): StreamState | undefined {
    return this.states.get(stream);
  }

  /** Describes every stream until each passes; throws StreamNotFoundError, or when Kinesis stays unreachable. */
  async start(startupTimeoutMs: number): Promise<void> {
    const deadline = Date.now() + startupTimeoutMs;
    await Promise.all(
      [...this.states.values()].map(async (s) => {
        for (;;) {
          await this.check(s);
          if (s.notFound) throw new StreamNotFoundError(s.stream);
          if (s.status === 'pass' || this.stopped) return;
          if (Date.now() >= deadline) {
            if (s.unreachable) throw new Error(`Kinesis unreachable for stream "${s.stream}" within ${startupTimeoutMs} ms: ${s.message}`);
            this.logger.warn({ stream: s.stream, reason: s.message }, 'stream not writable yet; starting with it failed');
            return;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    );
    this.timer = setInterval(() => {
      for (const s of this.states.values()) this.requestCheck(s.stream, true);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-checks a stream soon (errors) or now (periodic); never more than one check per stream at once. */
  requestCheck(stream: string, periodic = false): void {
    const s = this.states.get(stream);
    if (!s || this.stopped) return;
    if (this.running.has(stream)) {
      this.queued.add(stream);
      return;
    }
    const wait = periodic ? 0 : Math.max(0, (this.lastCheck.get(stream) ?? 0) + MIN_CHECK_GAP_MS - Date.now());
    const run = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      await this.check(s, periodic);
    })().finally(() => {
      this.running.delete(stream);
      if (this.queued.delete(stream)) this.requestCheck(stream);
    });
    this.running.set(stream, run);
  }

  /** PutRecords said the stream is gone or not writable: fail it now, check again soon. */
  markFatal(stream: string, code: string, message: string): void {
    const s = this.states.get(stream);
    if (!s) return;
    s.blocked = true;
    if (code === 'ResourceNotFoundException') {
      s.notFound = true;
      s.mapStale = true;
    } else {
      s.writeDeniedUntil = Date.now() + this.intervalMs;
    }
    this.setHealth(s, 'fail', message);
    this.requestCheck(stream);
  }

  /** A record landed on another shard than predicted: the map is out of date (resharding). */
  markMapStale(stream: string): void {
    const s = this.states.get(stream);
    if (!s || s.mapStale) return;
    s.mapStale = true;
    this.requestCheck(stream);
  }

  /**
   * The hash range of a shard a record landed on. A shard's range never changes, so a known one is
   * answered at once; an unknown one (a child born in a reshard) is listed first.
   */
  async shardRange(stream: string, shardId: string): Promise<ShardRange | undefined> {
    const s = this.states.get(stream);
    if (!s) return undefined;
    if (!s.shardRanges.has(shardId) && !s.listShardsDenied) {
      s.mapStale = true;
      this.requestCheck(stream);
      // A check already running may have listed before the reshard: wait for the one queued after it too.
      for (let i = 0; i < 2 && !s.shardRanges.has(shardId); i++) await this.running.get(stream);
    }
    return s.shardRanges.get(shardId);
  }

  /** A PutRecords succeeded: if health said unreachable, it is out of date. */
  notePutOk(stream: string): void {
    const s = this.states.get(stream);
    if (s?.unreachable) this.requestCheck(stream);
  }

  health(): StreamHealth[] {
    return [...this.states.values()].map((s) => ({ stream: s.stream, status: s.status, message: s.message }));
  }

  private setHealth(s: StreamState, status: 'pass' | 'fail', message: string): void {
    if (s.status !== status) {
      // Called as methods: pino's log functions need their `this`.
      if (status === 'pass') this.logger.info({ stream: s.stream, status, reason: message }, 'stream up');
      else this.logger.warn({ stream: s.stream, status, reason: message }, 'stream down');
    }
    s.status = status;
    s.message = message;
    this.metrics.streamUp.labels(s.stream).set(status === 'pass' ? 1 : 0);
  }

  private async check(s: StreamState, periodic = false): Promise<void> {
    this.lastCheck.set(s.stream, Date.now());
    let describeDenied = false;
    try {
      const out = await this.client.send(new DescribeStreamSummaryCommand(streamParams(s.stream)), {
        abortSignal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
      });
      const d = out.StreamDescriptionSummary;
      s.unreachable = false;
      s.notFound = false;
      s.maxRecordBytes = (d?.MaxRecordSizeInKiB ?? DEFAULT_MAX_RECORD_BYTES / 1024) * 1024;
      const status = d?.StreamStatus ?? 'UNKNOWN';
      if (status !== 'ACTIVE' && status !== 'UPDATING') {
        s.blocked = true;
        s.mapStale = true;
        this.setHealth(s, 'fail', `stream is ${status}`);
        return;
      }
      if (d?.OpenShardCount !== undefined && d.OpenShardCount !== s.openShardCount) s.mapStale = true;
      s.openShardCount = d?.OpenShardCount;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ResourceNotFoundException') {
        s.notFound = true;
        s.blocked = true;
        s.unreachable = false;
        s.mapStale = true;
        this.setHealth(s, 'fail', 'stream not found');
        return;
      }
      if (code !== 'AccessDeniedException') {
        s.unreachable = true;
        this.setHealth(s, 'fail', `Kinesis unreachable: ${describeError(err)}`);
        return;
      }
      // A producer role may be allowed PutRecords only: assume writable, keep the 1 MiB default.
      describeDenied = true;
      s.unreachable = false;
    }
    // Periodic checks list the shards even when the count is unchanged: a split plus a merge keeps it.
    if ((s.mapStale || periodic) && !s.listShardsDenied) await this.refreshShards(s);
    if (Date.now() < s.writeDeniedUntil) return; // PutRecords was denied lately: stay failed until the next period
    s.blocked = false;
    this.setHealth(s, 'pass', describeDenied ? 'ok (DescribeStreamSummary not permitted; assuming writable)' : 'ok');
  }

  private async refreshShards(s: StreamState): Promise<void> {
    try {
      const shards: Shard[] = [];
      let token: string | undefined;
      do {
        // With a NextToken the stream must not be named again.
        const input = token ? { NextToken: token } : { ...streamParams(s.stream), MaxResults: 1000 };
        const out = await this.client.send(new ListShardsCommand(input), { abortSignal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
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
    } catch (err) {
      if (errorCode(err) === 'AccessDeniedException') {
        s.listShardsDenied = true;
        s.shardMap = undefined;
        s.mapStale = false;
        this.logger.warn({ stream: s.stream }, 'ListShards not permitted: records are grouped by partition key instead of by shard');
      } else {
        this.logger.warn({ stream: s.stream, err: describeError(err) }, 'ListShards failed; keeping the previous shard map');
      }
    }
  }
}
