// The delivery engine's facade: what the HTTP layer and the app use. One StreamSender per stream
// does the work; the StreamMonitor knows whether each stream can be written.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DeliverySettings, KinesisSettings } from '../config/types.js';
import type { Metrics } from '../metrics/registry.js';
import type { PointBatch } from '../parse/types.js';
import type { Unencodable } from '../encode/batch-encoder.js';
import { DeliveryError, WriteTooLargeError } from './errors.js';
import { createKinesisClient } from './kinesis/client.js';
import type { KinesisPort } from './kinesis/port.js';
import { sdkKinesisPort } from './kinesis/sdk-port.js';
import type { Logger } from '../log/logger.js';
import { StreamMonitor } from './control-plane/stream-monitor.js';
import type { StreamHealth } from './control-plane/stream-state.js';
import { StreamSender } from './sender/stream-sender.js';

export { DeliveryError, KinesisUnreachableError, StreamNotFoundError, WriteTooLargeError } from './errors.js';
export type { DeliveryFailure } from './errors.js';
export type { Logger } from '../log/logger.js';
export type { StreamHealth } from './control-plane/stream-state.js';

export interface DeliveryEngineOptions {
  settings: DeliverySettings;
  kinesis: KinesisSettings;
  /** Every stream name or ARN the routes use. */
  streams: string[];
  metrics: Metrics;
  logger: Logger;
  /** The SDK client to use; otherwise created by createKinesisClient. */
  client?: KinesisClient;
  /** Kinesis itself, when not through an SDK client (tests: an in-process Kinesis). */
  port?: KinesisPort;
}

export class DeliveryEngine {
  private readonly kinesis: KinesisPort;
  private readonly monitor: StreamMonitor;
  private readonly senders = new Map<string, StreamSender>();
  private shuttingDown = false;
  private started = false;

  constructor(private readonly opts: DeliveryEngineOptions) {
    this.kinesis = opts.port ?? sdkKinesisPort(opts.client ?? createKinesisClient(opts.kinesis));
    const streams = [...new Set(opts.streams)];
    this.monitor = new StreamMonitor(this.kinesis, streams, opts.settings.healthIntervalMs, opts.metrics, opts.logger);
    for (const stream of streams) {
      const state = this.monitor.state(stream);
      if (!state) continue;
      this.senders.set(
        stream,
        new StreamSender({ stream, settings: opts.settings, kinesis: this.kinesis, metrics: opts.metrics, logger: opts.logger, monitor: this.monitor, state }),
      );
    }
  }

  /**
   * Describes every stream (max record size, status) and lists its shards. Retries while Kinesis is
   * unreachable, up to settings.startupTimeoutMs. Throws StreamNotFoundError for an absent stream, unless
   * tolerateAbsent: then that stream starts failed (writes 503, /health fail), as if it vanished later.
   */
  async start(opts: { tolerateAbsent?: boolean } = {}): Promise<void> {
    await this.monitor.start(this.opts.settings.startupTimeoutMs, opts.tolerateAbsent === true);
    this.started = true;
  }

  /**
   * Resolves once PutRecords has accepted every record holding a point of this batch; rejects with
   * DeliveryError otherwise. Points that unencodable() reports are skipped: the caller reports them.
   */
  submit(stream: string, batch: PointBatch): Promise<void> {
    const sender = this.senders.get(stream);
    if (this.shuttingDown) return this.refuse(stream, 'shutting_down');
    if (!sender) return this.refuse(stream, 'stream_unavailable', `stream "${stream}" is not configured`);
    const state = this.monitor.state(stream);
    if (state?.blocked) return this.refuse(stream, 'stream_unavailable', `stream "${stream}" is not available: ${state.message}`);
    return sender.submit(batch);
  }

  /** Points no record can carry: too big for any record, or not UTF-8 for json (the HTTP layer reports them as rejected lines). */
  unencodable(stream: string, batch: PointBatch): Unencodable[] {
    return this.senders.get(stream)?.unencodable(batch) ?? [];
  }

  /**
   * The answer to give before parsing: 503 when a shard of the stream is backlogged past admission, 413 when a
   * body this size could never be delivered before its deadline; else undefined.
   */
  saturated(stream: string, bodyBytes = 0): DeliveryError | WriteTooLargeError | undefined {
    if (this.shuttingDown) return undefined;
    return this.senders.get(stream)?.saturated(bodyBytes);
  }

  health(): StreamHealth[] {
    return this.monitor.health();
  }

  /**
   * Whether a write to this stream can be acknowledged now. The one per-stream rule behind /ready: a state in
   * which no write to a stream can be acknowledged belongs here.
   */
  canAcknowledge(stream: string): boolean {
    return this.started && !this.shuttingDown && this.monitor.state(stream)?.status === 'pass';
  }

  /**
   * /ready: some stream can take writes. A stream that is absent or unwritable fails only its own routes (503
   * naming it) and /health; taking the pod out of the load balancer would stop the other streams' writes too.
   */
  isReady(): boolean {
    return [...this.senders.keys()].some((s) => this.canAcknowledge(s));
  }

  /**
   * Stops accepting, sends everything queued or in flight within timeoutMs, then answers whatever is
   * left with shutting_down (so nothing undelivered was ever acknowledged), stops timers, closes the Kinesis port.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const senders = [...this.senders.values()];
    for (const s of senders) s.drain();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([Promise.all(senders.map((s) => s.whenIdle())).then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.opts.logger.warn({ timeoutMs }, 'shutdown deadline reached; answering the rest with 503');
    for (const s of senders) s.stop();
    this.monitor.stop();
    this.kinesis.destroy();
  }

  /** Refused before anything of the write was packed: nothing of it was sent. */
  private refuse(stream: string, reason: DeliveryError['reason'], message?: string): Promise<void> {
    return Promise.reject(new DeliveryError(reason, stream, message, undefined, { nothingSent: true }));
  }
}

