// The catalogue's delivery metrics bound to one stream's label, resolved once instead of on every
// record. Points received/rejected are counted by the HTTP layer, which knows every reason.
import type { Metrics } from '../../metrics/registry.js';

export function streamMetrics(mm: Metrics, stream: string) {
  const l = { stream };
  return {
    delivered: mm.pointsDelivered.labels(l),
    records: mm.recordsSent.labels(l),
    bytes: mm.bytesSent.labels(l),
    retries: mm.retries.labels(l),
    unknownOutcomes: mm.unknownOutcomes.labels(l),
    perRecord: mm.pointsPerRecord.labels(l),
    qPoints: mm.queuePoints.labels(l),
    qBytes: mm.queueBytes.labels(l),
    duration: mm.putDuration.labels(l),
    puts: (outcome: 'ok' | 'partial' | 'error') => mm.putRequests.labels({ stream, outcome }),
    failures: (code: string) => mm.recordFailures.labels({ stream, code }),
    shardRate: (shard: string) => mm.shardRate.labels({ stream, shard }),
    throttles: (shard: string) => mm.shardThrottles.labels({ stream, shard }),
    refusedEarly: (code: '503' | '413') => mm.writesRefusedEarly.labels({ stream, code }),
  };
}

export type StreamMetrics = ReturnType<typeof streamMetrics>;

/** The queue gauges, after records entered or left the queue. */
export function queueGauges(m: StreamMetrics, q: { readonly points: number; readonly bytes: number }): void {
  m.qPoints.set(q.points);
  m.qBytes.set(q.bytes);
}
