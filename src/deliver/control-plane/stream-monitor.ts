// What kinflux knows about each stream: whether it can be written (for /health, /ready and fast
// 503s), its max record size and its shard map. Described at startup, every healthIntervalMs, and
// soon after any error the senders report. This file schedules the checks (one at a time per stream,
// spaced, requests made meanwhile folded into one) and is the face the engine and the senders use;
// a check itself is in stream-check.ts, the listing in shard-listing.ts, pass/fail in stream-health.ts,
// the control plane's spacing in limits.ts.
import type { Metrics } from '../../metrics/registry.js';
import type { ShardRange } from '../../encode/shard-map.js';
import { KinesisUnreachableError, StreamNotFoundError } from '../errors.js';
import type { KinesisPort } from '../kinesis/port.js';
import type { Logger } from '../../log/logger.js';
import { checkStream, type CheckDeps } from './stream-check.js';
import { StreamHealthTracker } from './stream-health.js';
import { uncheckedStream, type StreamHealth, type StreamState } from './stream-state.js';

/** How often a record waiting for its landing shard's range looks again (checks themselves stay spaced). */
const RANGE_POLL_MS = 100;

export class StreamMonitor {
  readonly states = new Map<string, StreamState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  private readonly healthTracker: StreamHealthTracker;
  private readonly checkDeps: CheckDeps;
  private stopped = false;

  constructor(
    kinesis: KinesisPort,
    streams: readonly string[],
    private readonly intervalMs: number,
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    for (const stream of streams) this.states.set(stream, uncheckedStream(stream));
    this.healthTracker = new StreamHealthTracker(intervalMs, metrics, logger);
    this.checkDeps = { kinesis, intervalMs, logger, health: this.healthTracker, describeCalls: new Map() };
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
          await checkStream(this.checkDeps, s);
          if (s.notFound && !tolerateAbsent) throw new StreamNotFoundError(s.stream);
          if (s.notFound) {
            this.logger.warn({ stream: s.stream }, 'stream not found; starting with it failed (writes get 503 until it exists)');
            return;
          }
          if (s.status === 'pass' || this.stopped) return;
          if (Date.now() >= deadline) {
            if (s.unreachable && !tolerateAbsent) throw new KinesisUnreachableError(s.stream, startupTimeoutMs, s.message);
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
      if (!this.stopped) await checkStream(this.checkDeps, s, periodic);
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
    this.healthTracker.fatal(s, code, message);
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
   * The hash range of a shard a record landed on. A shard's range never changes, so a known one is answered
   * at once; an unknown one (a child born in a reshard) is listed first, as often as the checks' spacing and
   * the listing's backoff allow, for as long as `wanted()` (someone still waits for the record: never past
   * its writes' deadline). Undefined when it stopped being wanted first, or cannot be listed (no permission).
   * Meanwhile the stream is marked as waiting for its map (health: StreamHealthTracker.mapBlocked).
   */
  async shardRange(stream: string, shardId: string, wanted: () => boolean): Promise<ShardRange | undefined> {
    const s = this.states.get(stream);
    if (!s) return undefined;
    while (!s.shardRanges.has(shardId) && !s.listShardsDenied && !this.stopped && wanted()) {
      if (s.mapWantedSince === 0) s.mapWantedSince = Date.now();
      s.mapStale = true;
      this.requestCheck(stream);
      await new Promise((r) => setTimeout(r, RANGE_POLL_MS));
    }
    return s.shardRanges.get(shardId);
  }

  /**
   * A PutRecords had entries accepted: the stream can be written, whatever the control plane said. No
   * describe follows (a describe per put would feed a throttled control plane).
   */
  notePutOk(stream: string): void {
    const s = this.states.get(stream);
    if (s) this.healthTracker.putOk(s);
  }

  /** A whole PutRecords call failed with a retryable error (network, 5xx, throttling): check the stream soon. */
  notePutError(stream: string, code: string): void {
    const s = this.states.get(stream);
    if (!s) return;
    this.healthTracker.putFailed(s, code);
    this.requestCheck(stream);
  }

  /** DescribeStreamSummary calls sent for this stream so far. */
  describes(stream: string): number {
    return this.checkDeps.describeCalls.get(stream) ?? 0;
  }

  health(): StreamHealth[] {
    return [...this.states.values()].map((s) => ({ stream: s.stream, status: s.status, message: s.message }));
  }
}
