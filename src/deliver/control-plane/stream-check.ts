// One check of a stream: DescribeStreamSummary (status, MaxRecordSizeInKiB, open shards), read into the
// stream's state and health, then ListShards when the map may be out of date. A throttled describe says
// nothing about the stream, so it never changes health; it only makes the next describe wait longer.
import type { Logger } from '../../log/logger.js';
import { jitter, nextBackoff } from '../../pacing/backoff.js';
import { describeError, errorCode, isControlThrottle } from '../kinesis/error-codes.js';
import type { KinesisPort } from '../kinesis/port.js';
import { CONTROL_BACKOFF, CONTROL_TIMEOUT_MS, MIN_CHECK_GAP_MS } from './limits.js';
import { refreshShards } from './shard-listing.js';
import type { StreamHealthTracker } from './stream-health.js';
import { DEFAULT_MAX_RECORD_BYTES, type StreamState } from './stream-state.js';
import { streamParams } from '../kinesis/stream-target.js';

export interface CheckDeps {
  readonly kinesis: KinesisPort;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly health: StreamHealthTracker;
  /** DescribeStreamSummary calls sent, per stream. */
  readonly describeCalls: Map<string, number>;
}

export async function checkStream(d: CheckDeps, s: StreamState, periodic = false): Promise<void> {
  s.nextCheckAt = Date.now() + MIN_CHECK_GAP_MS;
  if (Date.now() < s.describeAt) {
    // Describes are backing off: health stays as the last describe and the puts left it; the shard map
    // (its own per-stream limit) is still refreshed when needed.
    // (only when stale: periodic listing waits for describes to succeed, so an outage costs no extra calls).
    if (s.mapStale && !s.listShardsDenied && !s.notFound) await refreshShards(d.kinesis, s, d.logger);
    d.health.mapBlocked(s);
    return;
  }
  d.describeCalls.set(s.stream, (d.describeCalls.get(s.stream) ?? 0) + 1);
  const describedAt = Date.now();
  let describeDenied = false;
  try {
    const out = await d.kinesis.describeStreamSummary(streamParams(s.stream), AbortSignal.timeout(CONTROL_TIMEOUT_MS));
    const summary = out.StreamDescriptionSummary;
    s.backoffMs = 0;
    s.unreachable = false;
    s.notFound = false;
    s.maxRecordBytes = (summary?.MaxRecordSizeInKiB ?? DEFAULT_MAX_RECORD_BYTES / 1024) * 1024;
    const status = summary?.StreamStatus ?? 'UNKNOWN';
    if (status !== 'ACTIVE' && status !== 'UPDATING') {
      s.blocked = true;
      s.mapStale = true;
      d.health.set(s, 'fail', `stream is ${status}`);
      return;
    }
    if (summary?.OpenShardCount !== undefined && summary.OpenShardCount !== s.openShardCount) s.mapStale = true;
    s.openShardCount = summary?.OpenShardCount;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ResourceNotFoundException') {
      s.notFound = true;
      s.blocked = true;
      s.unreachable = false;
      s.mapStale = true;
      d.health.set(s, 'fail', 'stream not found');
      return;
    }
    if (isControlThrottle(code)) {
      // Says nothing about the stream: health stays as it was; only the next describe waits longer.
      s.backoffMs = nextBackoff(CONTROL_BACKOFF, s.backoffMs);
      s.describeAt = Date.now() + jitter(s.backoffMs);
      if (s.message === 'not checked yet') s.message = `DescribeStreamSummary throttled (${code}); retrying`;
      d.logger.debug({ stream: s.stream, code, backoffMs: s.backoffMs }, 'DescribeStreamSummary throttled; backing off');
      if (s.mapStale && !s.listShardsDenied) await refreshShards(d.kinesis, s, d.logger);
      d.health.mapBlocked(s);
      return;
    }
    if (code !== 'AccessDeniedException') {
      // The describe failing says nothing about ListShards (its own limit, maybe its own fault): the map a
      // reshard made stale is still listed.
      if (s.mapStale && !s.listShardsDenied) await refreshShards(d.kinesis, s, d.logger);
      if (d.health.mapBlocked(s)) return;
      // Not a throttle: the next describe comes after the usual spacing (a stream refused for a put's
      // ResourceNotFound must be seen back soon after Kinesis returns).
      if ((s.lastPutOkAt >= describedAt || Date.now() - s.lastPutOkAt < d.intervalMs) && !s.blocked) {
        // Writes landed while this describe was out (or lately): the data plane is reachable, whatever it met.
        d.health.set(s, 'pass', `ok (PutRecords succeeding; DescribeStreamSummary failed: ${describeError(err)})`);
        return;
      }
      s.unreachable = true;
      d.health.set(s, 'fail', `Kinesis unreachable: ${describeError(err)}`);
      return;
    }
    // A producer role may be allowed PutRecords only: assume writable, keep the 1 MiB default.
    describeDenied = true;
    s.unreachable = false;
  }
  // Periodic checks list the shards even when the count is unchanged: a split plus a merge keeps it.
  if ((s.mapStale || periodic) && !s.listShardsDenied) await refreshShards(d.kinesis, s, d.logger);
  if (d.health.mapBlocked(s)) return;
  if (Date.now() < s.writeDeniedUntil) return; // PutRecords was denied lately: stay failed until the next period
  s.blocked = false;
  d.health.set(s, 'pass', describeDenied ? 'ok (DescribeStreamSummary not permitted; assuming writable)' : 'ok');
}
