// A stream's pass/fail for /health, /ready and kinflux_stream_up, and how PutRecords outcomes move it.
// Readiness follows the ability to write: a put that lands makes a stream that was only in doubt writable
// again, puts failing for a whole health interval fail it, and a throttled control plane changes nothing.
import type { Metrics } from '../../metrics/registry.js';
import type { Logger } from '../../log/logger.js';
import { isControlThrottle, isShardThrottle } from '../kinesis/error-codes.js';
import type { StreamState } from './stream-state.js';

export class StreamHealthTracker {
  constructor(
    private readonly intervalMs: number,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  set(s: StreamState, status: 'pass' | 'fail', message: string): void {
    if (s.status !== status) {
      // Called as methods: pino's log functions need their `this`.
      if (status === 'pass') this.logger.info({ stream: s.stream, status, reason: message }, 'stream up');
      else this.logger.warn({ stream: s.stream, status, reason: message }, 'stream down');
    }
    s.status = status;
    s.message = message;
    this.metrics.streamUp.labels(s.stream).set(status === 'pass' ? 1 : 0);
  }

  /**
   * After a check: records wait for a shard the map does not list yet (a reshard) and the listing did not
   * answer, so the writes they hold cannot be acknowledged. Fails the stream (/ready 503) until a listing
   * answers; true when it did.
   */
  mapBlocked(s: StreamState): boolean {
    if (s.mapWantedSince === 0) return false;
    this.set(s, 'fail', 'a reshard moved records to shards not listed yet, and ListShards does not answer: writes cannot be acknowledged until it does');
    return true;
  }

  /** PutRecords said the stream is gone or not writable: fail it now. */
  fatal(s: StreamState, code: string, message: string): void {
    s.blocked = true;
    if (code === 'ResourceNotFoundException') {
      s.notFound = true;
      s.mapStale = true;
    } else {
      s.writeDeniedUntil = Date.now() + this.intervalMs;
    }
    this.set(s, 'fail', message);
  }

  /** A PutRecords had entries accepted: the stream can be written, whatever the control plane said. */
  putOk(s: StreamState): void {
    s.lastPutOkAt = Date.now();
    s.putFailingSince = 0;
    if (s.status === 'fail' && !s.blocked && !s.notFound && Date.now() >= s.writeDeniedUntil && s.mapWantedSince === 0) {
      s.unreachable = false;
      this.set(s, 'pass', 'ok (PutRecords succeeding)');
    }
  }

  /** A whole PutRecords call failed with a retryable error (network, 5xx, throttling). */
  putFailed(s: StreamState, code: string): void {
    // Throttling means the stream is full, which is not "cannot write"; the other errors count.
    if (isControlThrottle(code) || isShardThrottle(code)) return;
    const now = Date.now();
    if (s.putFailingSince === 0) s.putFailingSince = now;
    else if (now - s.putFailingSince >= this.intervalMs && s.status === 'pass') {
      this.set(s, 'fail', `PutRecords failing for ${Math.round((now - s.putFailingSince) / 1000)} s: ${code}`);
    }
  }
}
