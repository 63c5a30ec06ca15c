// What the HTTP layer needs from the rest of kinflux: narrow ports, so routes stay testable and unaware of Kinesis.
import type { Settings } from '../config/types.js';
import type { Metrics } from '../metrics/registry.js';
import type { PointBatch } from '../parse/types.js';
import type { Unencodable } from '../encode/batch-encoder.js';
import type { Router } from '../route/router.js';
import type { TokenChecker } from './auth.js';

export interface StreamCheck {
  readonly stream: string;
  readonly status: 'pass' | 'fail';
  readonly message: string;
}

/** The delivery engine as the routes see it. */
export interface DeliveryPort {
  submit(stream: string, batch: PointBatch): Promise<void>;
  /** Points the stream's record format cannot carry (too large, or not UTF-8 for json), with reasons. */
  unencodable(stream: string, batch: PointBatch): Unencodable[];
  health(): StreamCheck[];
  isReady(): boolean;
  /**
   * A refusal when a shard of the stream is backlogged past admission: a write touching it would be
   * refused, so it is answered before its body is parsed (a flood of refused writes then costs little CPU).
   * `bodyBytes`: the write's plain body size when known (Content-Length, no Content-Encoding), 0 otherwise.
   */
  saturated?(stream: string, bodyBytes?: number): Error | undefined;
}

export interface HttpDeps {
  readonly settings: Settings;
  readonly metrics: Metrics;
  readonly delivery: DeliveryPort;
  readonly router: Router;
  readonly tokens: TokenChecker;
  /** The Prometheus text for /metrics: this process's registry, or every worker's under KINFLUX_WORKERS. */
  readonly metricsText: () => Promise<string>;
  /** True from SIGTERM on: /ready turns 503 so load balancers stop sending. */
  readonly shuttingDown: () => boolean;
  /** More /health checks than the streams' (under KINFLUX_WORKERS: the workers' supervision). */
  readonly extraChecks?: () => Array<{ name: string; status: 'pass' | 'fail'; message: string }>;
}

/** Reported in X-Influxdb-Version: 1.x clients need a 1.x version to talk to us; the suffix says who answers. */
export const INFLUX_VERSION = '1.8.10-kinflux';
