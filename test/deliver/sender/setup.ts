// A stream's sender on the in-process Kinesis (test/kit/scripted-kinesis.ts): the real sender, monitor,
// queue and pacer, no socket, no external process. Batches are built from canonical lines.
import { gunzipSync } from 'node:zlib';
import type { DeliverySettings } from '../../../src/config/types.js';
import { StreamMonitor } from '../../../src/deliver/control-plane/stream-monitor.js';
import { StreamSender } from '../../../src/deliver/sender/stream-sender.js';
import type { Logger } from '../../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import type { PointBatch } from '../../../src/parse/types.js';
import { batchFromLines } from '../../encode/batch-from-lines.js';
import type { ScriptedKinesis } from '../../kit/scripted-kinesis.js';

export const settings: DeliverySettings = {
  partitionKey: { method: 'series' },
  recordFormat: 'line',
  jsonTimestampUnits: 'ms',
  aggregation: 'lines',
  compression: 'none',
  lingerMs: 5,
  queueMaxBytes: 64 * 1024 * 1024,
  deliveryTimeoutMs: 4000,
  maxInflightPerStream: 4,
  putRequestMaxBytes: 5 * 1024 * 1024,
  shardRateLimitPercent: 0,
  healthIntervalMs: 60_000,
  startupTimeoutMs: 2000,
};

export const quietLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface Harness {
  sender: StreamSender;
  monitor: StreamMonitor;
  metrics: Metrics;
  stop(): void;
}

export async function senderOn(kinesis: ScriptedKinesis, stream: string, overrides: Partial<DeliverySettings> = {}): Promise<Harness> {
  const s = { ...settings, ...overrides };
  const metrics = createMetrics({ processMetrics: false });
  const monitor = new StreamMonitor(kinesis, [stream], s.healthIntervalMs, metrics, quietLogger);
  await monitor.start(s.startupTimeoutMs);
  const state = monitor.state(stream);
  if (!state) throw new Error('no state');
  const sender = new StreamSender({ stream, settings: s, kinesis, metrics, logger: quietLogger, monitor, state });
  return {
    sender,
    monitor,
    metrics,
    stop: () => {
      sender.stop();
      monitor.stop();
    },
  };
}

/** `n` lines of `series` series (host=h0..), each with a unique seq field: seq is the line's place in the write. */
export function seqLines(n: number, series: number, tag = 'w', from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `cpu,host=h${(from + i) % series} seq="${tag}${from + i}",v=${i}i ${1_700_000_000_000_000_000n + BigInt(from + i)}`);
}

export function batch(lines: readonly string[]): PointBatch {
  return batchFromLines(lines);
}

/** Lines of line-format records (gunzipped when `gzip`), in storage order. */
export function storedLines(records: ReadonlyArray<{ data: Buffer }>, gzip = false): string[] {
  return records.flatMap((r) => (gzip ? gunzipSync(r.data) : r.data).toString('utf8').split('\n').filter((l) => l.length > 0));
}

export function seqNumber(line: string): number {
  const m = /seq="[a-z]*(\d+)"/.exec(line);
  if (!m) throw new Error(`no seq in ${line}`);
  return Number(m[1]);
}

export function hostOf(line: string): string {
  return /host=([^, ]+)/.exec(line)?.[1] ?? '';
}

/** Every series' points in the order they were written, per shard: a list of inversions (empty when in order). */
export function inversions(kinesis: ScriptedKinesis, stream: string, gzip = false): string[] {
  const bad: string[] = [];
  for (const shard of new Set(kinesis.records(stream).map((r) => r.shardId))) {
    const last = new Map<string, number>();
    for (const line of storedLines(kinesis.records(stream, shard), gzip)) {
      const h = hostOf(line);
      const n = seqNumber(line);
      const prev = last.get(h);
      if (prev !== undefined && n < prev) bad.push(`${shard} ${h}: ${n} after ${prev}`);
      last.set(h, n);
    }
  }
  return bad;
}
