// What kinflux knows about each stream: whether it can be written (for /health, /ready and fast
// 503s), its max record size and its shard map. Described at startup, every healthIntervalMs, and
// soon after any error the senders report.
//
// A fleet shares the account's control-plane limits (DescribeStreamSummary: 20 calls/s per account), so the
// calls are bounded per stream whatever the traffic: at most one check per MIN_CHECK_GAP_MS, and after a
// throttled describe (LimitExceededException) the next describe waits a backoff that doubles (with jitter)
// up to MAX_BACKOFF_MS. A throttled describe says nothing about the stream, so it never changes health; PutRecords
// outcomes do: a successful put makes a stream that was only in doubt writable again, and puts failing for a
// whole health interval fail it. ListShards has its own, per-stream limit and is not held back by the backoff.
import { DescribeStreamSummaryCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { Metrics } from '../metrics/registry.js';
import { ShardMap, shardMapFromListShards, type ShardRange } from '../encode/shard-map.js';
import { StreamNotFoundError, describeError, errorCode } from './errors.js';
import type { Logger } from '../log/logger.js';
import { streamParams } from './stream-target.js';

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const CONTROL_TIMEOUT_MS = 5000;
/** Checks of one stream are spaced at least this much (DescribeStreamSummary allows 20 TPS per account). */
export const MIN_CHECK_GAP_MS = 1000;
/** The longest pause between describes of a stream whose describes are throttled or failing. */
export const MAX_BACKOFF_MS = 60_000;
/** Error codes of a control plane that is busy, not of a stream in trouble. */
const CONTROL_THROTTLES = new Set(['LimitExceededException', 'ThrottlingException', 'TooManyRequestsException']);

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

export class StreamMonitor {
  readonly states = new Map<string, StreamState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  /** DescribeStreamSummary calls sent, per stream. */
  private readonly describeCalls = new Map<string, number>();
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
        lastPutOkAt: 0,
        putFailingSince: 0,
        nextCheckAt: 0,
        describeAt: 0,
        backoffMs: 0,
        listAt: 0,
        listBackoffMs: 0,
      });
    }
  }

  state(stream: string): StreamState | undefined {
    return this.states.get(stream);
  }

  /** Describes every stream until each passes; throws StreamNotFoundError, or when Kinesis stays unreachable. */
  async start(startupTimeoutMs: number, tolerateAbsent = false): Promise<void> {
    const deadline = Date.now() + startupTimeoutMs;
    await Promise.all(
      [...this.states.values()].map(async (s) => {
        for (;;) {
          await this.check(s);
          if (s.notFound && !tolerateAbsent) throw new StreamNotFoundError(s.stream);
          if (s.notFound) {
            this.logger.warn({ stream: s.stream }, 'stream not found; starting with it failed (writes get 503 until it exists)');
            return;
          }
          if (s.status === 'pass' || this.stopped) return;
          if (Date.now() >= deadline) {
            if (s.unreachable && !tolerateAbsent) throw new Error(`Kinesis unreachable for stream "${s.stream}" within ${startupTimeoutMs} ms: ${s.message}`);
            this.logger.warn({ stream: s.stream, reason: s.message }, 'stream not writable yet; starting with it failed');
            return;
          }
          await new Promise((r) => setTimeout(r, Math.max(500, s.describeAt - Date.now())));
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

  /**
   * Re-checks a stream as soon as the spacing allows (describing it only once its backoff is over); never
   * more than one check per stream at once, and requests made meanwhile fold into one more check afterwards.
   */
  requestCheck(stream: string, periodic = false): void {
    const s = this.states.get(stream);
    if (!s || this.stopped) return;
    if (this.running.has(stream)) {
      // A periodic tick during a slow check is not a reason for one more.
      if (!periodic) this.queued.add(stream);
      return;
    }
    const wait = Math.max(0, s.nextCheckAt - Date.now());
    const run = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      if (!this.stopped) await this.check(s, periodic);
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

  /**
   * A PutRecords had entries accepted: the stream can be written, whatever the control plane said. No
   * describe follows (a describe per put would feed a throttled control plane).
   */
  notePutOk(stream: string): void {
    const s = this.states.get(stream);
    if (!s) return;
    s.lastPutOkAt = Date.now();
    s.putFailingSince = 0;
    if (s.status === 'fail' && !s.blocked && !s.notFound && Date.now() >= s.writeDeniedUntil) {
      s.unreachable = false;
      this.setHealth(s, 'pass', 'ok (PutRecords succeeding)');
    }
  }

  /** A whole PutRecords call failed with a retryable error (network, 5xx, throttling): check the stream soon. */
  notePutError(stream: string, code: string): void {
    const s = this.states.get(stream);
    if (!s) return;
    // Throttling means the stream is full, which is not "cannot write"; the other errors count.
    if (!CONTROL_THROTTLES.has(code) && code !== 'ProvisionedThroughputExceededException') {
      const now = Date.now();
      if (s.putFailingSince === 0) s.putFailingSince = now;
      else if (now - s.putFailingSince >= this.intervalMs && s.status === 'pass') {
        this.setHealth(s, 'fail', `PutRecords failing for ${Math.round((now - s.putFailingSince) / 1000)} s: ${code}`);
      }
    }
    this.requestCheck(stream);
  }

  /** DescribeStreamSummary calls sent for this stream so far. */
  describes(stream: string): number {
    return this.describeCalls.get(stream) ?? 0;
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

  /** After a throttled or failed describe the next one waits the doubled, jittered backoff. */
  private backOff(s: StreamState): void {
    s.backoffMs = nextBackoff(s.backoffMs);
    s.describeAt = Date.now() + jitter(s.backoffMs);
  }

  private async check(s: StreamState, periodic = false): Promise<void> {
    s.nextCheckAt = Date.now() + MIN_CHECK_GAP_MS;
    if (Date.now() < s.describeAt) {
      // Describes are backing off: health stays as the last describe and the puts left it; the shard map
      // (its own per-stream limit) is still refreshed when needed.
      // (only when stale: periodic listing waits for describes to succeed, so an outage costs no extra calls).
      if (s.mapStale && !s.listShardsDenied && !s.notFound) await this.refreshShards(s);
      return;
    }
    this.describeCalls.set(s.stream, this.describes(s.stream) + 1);
    const describedAt = Date.now();
    let describeDenied = false;
    try {
      const out = await this.client.send(new DescribeStreamSummaryCommand(streamParams(s.stream)), {
        abortSignal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
      });
      const d = out.StreamDescriptionSummary;
      s.backoffMs = 0;
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
      if (CONTROL_THROTTLES.has(code)) {
        // Says nothing about the stream: health stays as it was; only the next describe waits longer.
        this.backOff(s);
        if (s.message === 'not checked yet') s.message = `DescribeStreamSummary throttled (${code}); retrying`;
        this.logger.debug({ stream: s.stream, code, backoffMs: s.backoffMs }, 'DescribeStreamSummary throttled; backing off');
        if (s.mapStale && !s.listShardsDenied) await this.refreshShards(s);
        return;
      }
      if (code !== 'AccessDeniedException') {
        // Not a throttle: the next describe comes after the usual spacing (a stream refused for a put's
        // ResourceNotFound must be seen back soon after Kinesis returns).
        if ((s.lastPutOkAt >= describedAt || Date.now() - s.lastPutOkAt < this.intervalMs) && !s.blocked) {
          // Writes landed while this describe was out (or lately): the data plane is reachable, whatever it met.
          this.setHealth(s, 'pass', `ok (PutRecords succeeding; DescribeStreamSummary failed: ${describeError(err)})`);
          return;
        }
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
    if (Date.now() < s.listAt) return; // backing off: the previous map stays
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
      s.listBackoffMs = 0;
    } catch (err) {
      if (errorCode(err) === 'AccessDeniedException') {
        s.listShardsDenied = true;
        s.shardMap = undefined;
        s.mapStale = false;
        this.logger.warn({ stream: s.stream }, 'ListShards not permitted: records are grouped by partition key instead of by shard');
      } else {
        s.listBackoffMs = nextBackoff(s.listBackoffMs);
        s.listAt = Date.now() + jitter(s.listBackoffMs);
        this.logger.warn({ stream: s.stream, err: describeError(err), backoffMs: s.listBackoffMs }, 'ListShards failed; keeping the previous shard map');
      }
    }
  }
}

/** 2 s after a first failure, doubling up to MAX_BACKOFF_MS. */
function nextBackoff(prev: number): number {
  return Math.min(MAX_BACKOFF_MS, Math.max(2 * MIN_CHECK_GAP_MS, prev * 2));
}

/** ±25%: keeps a fleet's replicas from calling in step after a shared throttle. */
function jitter(ms: number): number {
  return ms * (0.75 + Math.random() * 0.5);
}
