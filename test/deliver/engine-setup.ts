// Shared setup of the engine tests: settings, an engine on a given endpoint, Telegraf batches.
import type { DeliverySettings } from '../../src/config/types.js';
import { DeliveryEngine } from '../../src/deliver/engine.js';
import type { Logger } from '../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import type { PointBatch } from '../../src/parse/types.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import { localClient } from '../helpers/kinesis-read.js';

export const baseSettings: DeliverySettings = {
  partitionKey: { method: 'series' },
  recordFormat: 'line',
  jsonTimestampUnits: 'ms',
  aggregation: 'lines',
  compression: 'none',
  lingerMs: 20,
  queueMaxBytes: 64 * 1024 * 1024,
  deliveryTimeoutMs: 15_000,
  maxInflightPerStream: 4,
  putRequestMaxBytes: 5 * 1024 * 1024,
  shardRateLimitPercent: 0,
  healthIntervalMs: 1000,
  startupTimeoutMs: 5000,
};

export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (o, m) => console.error('engine error', o, m ?? ''),
};

export function makeEngine(
  endpoint: string,
  streams: string[],
  settings: Partial<DeliverySettings> = {},
): { engine: DeliveryEngine; metrics: Metrics } {
  const metrics = createMetrics({ processMetrics: false });
  const engine = new DeliveryEngine({
    settings: { ...baseSettings, ...settings },
    kinesis: { region: 'us-east-1', endpoint, roleArn: undefined },
    streams,
    metrics,
    logger: quietLogger,
    client: localClient(endpoint),
  });
  return { engine, metrics };
}

/** Lines from the repo's Telegraf generator (canonical already: sorted tags, ns timestamps). */
export { telegrafLineList as telegrafLines } from '../kit/telegraf-lines.js';

/** Splits lines into request-sized batches, tagging each line with a unique field so it can be traced. */
export function uniqueBatches(lines: readonly string[], perBatch: number, tag = 'r'): PointBatch[] {
  const out: PointBatch[] = [];
  for (let i = 0; i < lines.length; i += perBatch) {
    out.push(
      batchFromLines(
        lines.slice(i, i + perBatch).map((l, j) => {
          const sp = l.lastIndexOf(' ');
          return `${l.slice(0, sp)},seq="${tag}${i + j}"${l.slice(sp)}`;
        }),
      ),
    );
  }
  return out;
}

/** The `seq` field of a line written by uniqueBatches. */
export function seqOf(line: string): string | undefined {
  return /,seq="([^"]+)" \d+$/.exec(line)?.[1];
}

export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  let sum = 0;
  for (const v of m?.values ?? []) {
    if (Object.entries(labels).every(([k, val]) => v.labels[k] === val)) sum += v.value;
  }
  return sum;
}

export { localClient };
