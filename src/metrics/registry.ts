// The contract's metric catalogue (names are fixed by CONTRACT.md; labels may grow).
// One instance per app, so tests can run several servers in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { seriesCachesHeldBytes } from '../encode/series-cache.js';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'code'>;
  readonly httpDuration: Histogram<'route'>;
  readonly pointsReceived: Counter<'stream'>;
  readonly pointsRejected: Counter<'reason'>;
  readonly remoteWriteDropped: Counter<'kind'>;
  readonly pointsDelivered: Counter<'stream'>;
  readonly recordsSent: Counter<'stream'>;
  readonly bytesSent: Counter<'stream'>;
  readonly putRequests: Counter<'stream' | 'outcome'>;
  readonly putDuration: Histogram<'stream'>;
  readonly recordFailures: Counter<'stream' | 'code'>;
  readonly retries: Counter<'stream'>;
  readonly unknownOutcomes: Counter<'stream'>;
  readonly pointsPerRecord: Histogram<'stream'>;
  readonly queuePoints: Gauge<'stream'>;
  readonly queueBytes: Gauge<'stream'>;
  readonly streamUp: Gauge<'stream'>;
  readonly shardRate: Gauge<'stream' | 'shard'>;
  readonly shardThrottles: Counter<'stream' | 'shard'>;
  readonly writesRefusedEarly: Counter<'stream' | 'code'>;
  readonly seriesCacheBytes: Gauge;
}

export function createMetrics(opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // These gauges end in _total, which promtool rejects; their unsuffixed twins (by type) carry the same numbers.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'kinflux_http_requests_total',
      help: 'HTTP requests answered, by route and status code.',
      labelNames: ['route', 'code'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'kinflux_http_request_duration_seconds',
      help: 'Time from request to response, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pointsReceived: new Counter({
      name: 'kinflux_points_received_total',
      help: 'Valid points accepted for delivery, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    pointsRejected: new Counter({
      name: 'kinflux_points_rejected_total',
      help: 'Points refused, by reason (parse, too_large, not_found, queue_full, deadline, unavailable, ...).',
      labelNames: ['reason'],
      registers,
    }),
    remoteWriteDropped: new Counter({
      name: 'kinflux_remote_write_dropped_total',
      help: "remote_write data dropped as Telegraf's prometheusremotewrite parser drops it, by kind (stale_marker, nan, exemplar, metadata).",
      labelNames: ['kind'],
      registers,
    }),
    pointsDelivered: new Counter({
      name: 'kinflux_points_delivered_total',
      help: 'Points stored in Kinesis (their record was accepted by PutRecords), by stream.',
      labelNames: ['stream'],
      registers,
    }),
    recordsSent: new Counter({
      name: 'kinflux_kinesis_records_sent_total',
      help: 'Kinesis records accepted by PutRecords, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    bytesSent: new Counter({
      name: 'kinflux_kinesis_bytes_sent_total',
      help: 'Payload bytes (data plus partition key) of accepted records, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    putRequests: new Counter({
      name: 'kinflux_kinesis_put_requests_total',
      help: 'PutRecords calls, by stream and outcome (ok, partial, error).',
      labelNames: ['stream', 'outcome'],
      registers,
    }),
    putDuration: new Histogram({
      name: 'kinflux_kinesis_put_duration_seconds',
      help: 'PutRecords call latency, by stream.',
      labelNames: ['stream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    recordFailures: new Counter({
      name: 'kinflux_kinesis_record_failures_total',
      help: 'Records that failed, by stream and error code (per-entry codes and whole-call errors).',
      labelNames: ['stream', 'code'],
      registers,
    }),
    retries: new Counter({
      name: 'kinflux_kinesis_retries_total',
      help: 'Records re-sent after a failure, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    unknownOutcomes: new Counter({
      name: 'kinflux_kinesis_unknown_outcomes_total',
      help: 'Records re-sent after a PutRecords call whose outcome is unknown (connection reset or timeout after sending): Kinesis may hold them twice.',
      labelNames: ['stream'],
      registers,
    }),
    pointsPerRecord: new Histogram({
      name: 'kinflux_kinesis_points_per_record',
      help: 'Points packed into each record sent, by stream.',
      labelNames: ['stream'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    queuePoints: new Gauge({
      name: 'kinflux_queue_points',
      help: 'Points waiting in the stream queue or in flight, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    queueBytes: new Gauge({
      name: 'kinflux_queue_bytes',
      help: 'Bytes waiting in the stream queue or in flight, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    streamUp: new Gauge({
      name: 'kinflux_stream_up',
      help: '1 when the stream exists and is writable, else 0.',
      labelNames: ['stream'],
      aggregator: 'min', // with KINFLUX_WORKERS, up only when every worker can write
      registers,
    }),
    shardRate: new Gauge({
      name: 'kinflux_shard_allowed_bytes_per_second',
      help: 'Bytes/s this process currently paces a shard to (learnt from throttling; ceiling: KINFLUX_SHARD_RATE_LIMIT_PERCENT of 1 MiB/s), by stream and shard.',
      labelNames: ['stream', 'shard'],
      registers,
    }),
    shardThrottles: new Counter({
      name: 'kinflux_shard_throttles_total',
      help: 'Records answered ProvisionedThroughputExceededException, by stream and shard.',
      labelNames: ['stream', 'shard'],
      registers,
    }),
    writesRefusedEarly: new Counter({
      name: 'kinflux_writes_refused_early_total',
      help: 'Writes refused before any point was sent: 503 (the shards cannot take them before the deadline now) or 413 (they never could), by stream and code.',
      labelNames: ['stream', 'code'],
      registers,
    }),
    seriesCacheBytes: new Gauge({
      name: 'kinflux_series_cache_bytes',
      help: "Bytes held by this process's series-key caches, by their estimate (bound: KINFLUX_SERIES_CACHE_MAX_BYTES per stream).",
      registers,
      collect() {
        this.set(seriesCachesHeldBytes());
      },
    }),
  };
}

/** Reasons a point is refused that every gateway can meet (the rest appear at their first event). */
const KNOWN_REJECT_REASONS = ['parse', 'batch_rejected', 'too_many_lines', 'write_too_large', 'queue_full', 'overloaded', 'deadline', 'stream_unavailable', 'shutting_down'];

/**
 * Series whose labels are known at start, exported at 0: a dashboard panel and rate() see them before their first
 * event instead of "No data" (Prometheus cannot tell a counter that never moved from one that is not exported).
 */
export function exportKnownSeriesAtZero(m: Metrics, streams: readonly string[]): void {
  for (const reason of KNOWN_REJECT_REASONS) m.pointsRejected.inc({ reason }, 0);
  for (const stream of streams) {
    for (const c of [m.pointsReceived, m.pointsDelivered, m.recordsSent, m.bytesSent, m.retries, m.unknownOutcomes]) c.inc({ stream }, 0);
    for (const outcome of ['ok', 'partial', 'error']) m.putRequests.inc({ stream, outcome }, 0);
    for (const code of ['503', '413']) m.writesRefusedEarly.inc({ stream, code }, 0);
  }
}
