// What happens to each record once a PutRecords call for it is answered: accepted (its points delivered;
// a KPL aggregate that landed off its predicted shard has its misplaced sub-records sent again), split (too
// large or invalid), failed with every waiting submit (fatal), or retried.
//
// Retry policy: only failed entries are retried, matched by index, after full-jitter backoff, back at the
// front of their shard's line in their original order (order per series), until every submit holding the
// record has been answered. A record whose submits were all answered (deadline, shutdown, fatal error) is
// dropped: nobody was promised it, the clients got 503 and will resend, and dropping keeps memory bounded
// under a long outage. Packing and the pump stay with the sender (stream-sender.ts), which asks after each
// call when the earliest retry is due (retryDue).
import type { PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { DeliverySettings } from '../../config/types.js';
import { hashKeyOf } from '../../encode/shard-map.js';
import { PointBytes } from '../../encode/point-bytes.js';
import type { Logger } from '../../log/logger.js';
import { retryDelay } from '../../pacing/backoff.js';
import type { ShardPacer } from '../../pacing/shard-pacer.js';
import { isOrphan, type QueuedRecord, type StreamQueue } from '../../queue/stream-queue.js';
import { RateLimitedWarning } from '../../log/rate-limited-warning.js';
import type { StreamMonitor } from '../control-plane/stream-monitor.js';
import type { StreamState } from '../control-plane/stream-state.js';
import type { DeliveryFailure } from '../errors.js';
import { classify, describeError, errorCode, isShardThrottle, isUnknownOutcome, retriesSlowly } from '../kinesis/error-codes.js';
import type { KinesisPort } from '../kinesis/port.js';
import { putRecordsCall } from '../kinesis/put-records-call.js';
import type { RecordPreparation } from './record-preparation.js';
import { queueGauges, type StreamMetrics } from './stream-metrics.js';
import { streamParams } from '../kinesis/stream-target.js';

/** What outcomes use of their stream. */
export interface OutcomeDeps {
  readonly stream: string;
  readonly settings: Pick<DeliverySettings, 'deliveryTimeoutMs' | 'compression' | 'aggregation'>;
  readonly kinesis: KinesisPort;
  readonly logger: Logger;
  readonly monitor: Pick<StreamMonitor, 'notePutOk' | 'notePutError' | 'markMapStale' | 'markFatal' | 'shardRange'>;
  readonly state: Pick<StreamState, 'shardMap'>;
}

/** What outcomes need of their stream's sender. */
export interface OutcomeHost {
  /** The stream is not writable: answer every waiting submit. */
  failAll(reason: DeliveryFailure, message?: string): void;
  /** Records went back into the queue outside a call (misplaced sub-records): look again now. */
  pump(): void;
}

export class PutOutcomes {
  /** Misplaced sub-records being re-sent: work under way that keeps the sender from being idle. */
  private resends = 0;
  /** When the earliest record sent back for a retry since retryDue() was last asked may go (Infinity: none). */
  private retryAt = Infinity;
  private readonly s: OutcomeDeps['settings'];
  private readonly params: ReturnType<typeof streamParams>;
  private readonly abort = new AbortController();
  private readonly retryWarning: RateLimitedWarning;

  constructor(
    private readonly d: OutcomeDeps,
    private readonly m: StreamMetrics,
    private readonly pacer: ShardPacer,
    private readonly queue: StreamQueue,
    private readonly prep: RecordPreparation,
    private readonly host: OutcomeHost,
  ) {
    this.s = d.settings;
    this.params = streamParams(d.stream);
    this.retryWarning = new RateLimitedWarning(d.logger, 'Kinesis refused records (throttling or failures); retrying them with backoff');
  }

  get resending(): number {
    return this.resends;
  }

  /** When the earliest retry since the last ask is due (Infinity: none): the sender wakes then. */
  retryDue(): number {
    const at = this.retryAt;
    this.retryAt = Infinity;
    return at;
  }

  /** Shutdown deadline passed: calls still out are aborted. */
  abortCalls(): void {
    this.abort.abort();
  }

  /** One PutRecords call for these records, and the handling of every entry's outcome. */
  async send(records: QueuedRecord[]): Promise<void> {
    const started = performance.now();
    // A stalled call must not outlive the submits waiting for it; a slow one should not be cut short
    // (a cut call may still land, and its retry is then a duplicate).
    const putTimeout = Math.max(1000, this.s.deliveryTimeoutMs);
    let entries: PutRecordsResultEntry[];
    try {
      const request = records.map((r) => ({ Data: r.data, PartitionKey: r.packed.partitionKey, ExplicitHashKey: r.packed.explicitHashKey }));
      entries = await putRecordsCall(this.d.kinesis, this.params, request, putTimeout, this.abort.signal);
    } catch (err) {
      this.m.duration.observe((performance.now() - started) / 1000);
      const code = errorCode(err);
      this.m.puts('error').inc();
      this.m.failures(code).inc(records.length);
      const kind = classify(code);
      this.d.logger.debug({ stream: this.d.stream, code, records: records.length, err: describeError(err) }, 'PutRecords failed');
      if (kind === 'fatal') {
        this.fatal(code, describeError(err));
        for (const r of records) this.afterFailure(r, code);
      } else if (kind === 'split' && records.length > 1) {
        // Bisect: one of these (or their sum) is too large or invalid; find out within this call slot.
        const mid = records.length >> 1;
        await this.send(records.slice(0, mid));
        await this.send(records.slice(mid));
      } else if (kind === 'split') {
        this.prep.split(records[0].packed, code, true); // it was the head of its shard's line: its halves go back there
      } else {
        if (isShardThrottle(code)) for (const r of records) this.throttled(r);
        // Reset or timed out after sending: Kinesis may have stored them, and the retry may store them twice.
        if (isUnknownOutcome(code)) this.m.unknownOutcomes.inc(records.length);
        for (let i = records.length - 1; i >= 0; i--) this.retry(records[i], code);
        this.d.monitor.notePutError(this.d.stream, code);
      }
      return;
    }
    this.m.duration.observe((performance.now() - started) / 1000);
    let failed = 0;
    let fatalCode: string | undefined;
    const fatalRecords: QueuedRecord[] = [];
    const retryLater: Array<[QueuedRecord, string]> = [];
    for (let i = 0; i < records.length; i++) {
      const e = entries[i];
      const r = records[i];
      if (!e.ErrorCode) {
        this.accepted(r, e.ShardId);
        continue;
      }
      failed++;
      this.m.failures(e.ErrorCode).inc();
      if (isShardThrottle(e.ErrorCode)) this.throttled(r);
      const kind = classify(e.ErrorCode);
      if (kind === 'split') this.prep.split(r.packed, e.ErrorCode, true);
      else if (kind === 'fatal') {
        fatalCode = e.ErrorCode;
        fatalRecords.push(r);
      }
      else retryLater.push([r, e.ErrorCode]);
    }
    this.m.puts(failed ? 'partial' : 'ok').inc();
    if (fatalCode) {
      this.fatal(fatalCode, fatalCode);
      // Their writes were just answered 503, so these are orphans now: released, not kept.
      for (const r of fatalRecords) this.afterFailure(r, fatalCode);
    }
    // Back to the front of their shard's line in their original order.
    for (let i = retryLater.length - 1; i >= 0; i--) this.retry(retryLater[i][0], retryLater[i][1]);
    if (failed < records.length) this.d.monitor.notePutOk(this.d.stream);
    queueGauges(this.m, this.queue);
  }

  private throttled(r: QueuedRecord): void {
    this.m.throttles(r.packed.group).inc();
    this.pacer.throttled(r.packed.group, Date.now(), r.size);
  }

  private accepted(r: QueuedRecord, shardId: string | undefined): void {
    const points = r.packed.parts.length;
    this.pacer.accepted(r.packed.group, Date.now());
    this.m.records.inc();
    this.m.bytes.inc(r.size);
    this.m.perRecord.observe(points);
    if (shardId && r.shardId && shardId !== r.shardId) {
      this.d.monitor.markMapStale(this.d.stream);
      // The KCL drops de-aggregated sub-records the landing shard does not own: they are not delivered yet.
      if (this.s.aggregation === 'kpl' && points > 1) {
        void this.resendMisplaced(r, shardId);
        return;
      }
    }
    this.queue.release(r.packed);
    this.m.delivered.inc(points);
    for (const t of r.packed.holders) t.recordAccepted();
  }

  /**
   * A KPL aggregate landed on `landed`, not on the predicted shard (the map predates a reshard). Once the
   * landing shard's range is known (listed with the new map), its sub-records that shard does not own are
   * re-packed by the new map and sent again, and only those: the owned ones are delivered where they are. Its
   * holders are answered only when those are stored too. The wait for the range ends with the holders'
   * deadline: then nothing is re-sent (the writes got 503; the sub-records the shard owns are stored, the
   * others the KCL drops), so a map that cannot be listed never makes a duplicate.
   */
  private async resendMisplaced(r: QueuedRecord, landed: string): Promise<void> {
    this.resends++; // not idle meanwhile
    const rec = r.packed;
    let known = false;
    try {
      const range = await this.d.monitor.shardRange(this.d.stream, landed, () => !isOrphan(r));
      const map = this.d.state.shardMap;
      if (!range || !map || isOrphan(r)) return;
      known = true;
      const groups = new Map<string, { parts: PointBytes; keys: string[] }>();
      let owned = 0;
      for (let i = 0; i < rec.parts.length; i++) {
        const h = hashKeyOf(rec.keys[i]);
        if (h >= range.start && h <= range.end) {
          owned++;
          continue;
        }
        const group = map.shardIdOf(h);
        let g = groups.get(group);
        if (!g) groups.set(group, (g = { parts: new PointBytes(), keys: [] }));
        g.parts.pushFrom(rec.parts, i);
        g.keys.push(rec.keys[i]);
      }
      this.m.delivered.inc(owned);
      this.d.logger.debug({ stream: this.d.stream, landed, predicted: r.shardId, resent: rec.parts.length - owned }, 'KPL record landed off its shard; re-sending its misplaced sub-records');
      const keying = { explicitHashKey: true };
      for (const [group, g] of groups) {
        const again = this.queue.packer.derive(group, g.parts, g.keys, rec.holders, keying);
        this.queue.admitted(again.parts.length, again.rawBytes, new Map([[group, again.rawBytes]]));
        this.prep.prepare(again);
      }
    } finally {
      this.resends--;
      this.queue.release(rec);
      // Unknown range: every holder was answered 503 already (or the sender stops); nothing to count.
      if (known) for (const t of rec.holders) t.recordAccepted();
      queueGauges(this.m, this.queue);
      this.host.pump();
    }
  }

  /** A record nobody waits for any more leaves the queue (counted as `Expired`). */
  drop(r: QueuedRecord): void {
    this.m.failures('Expired').inc();
    this.queue.release(r.packed);
    queueGauges(this.m, this.queue);
  }

  retry(r: QueuedRecord, code: string): void {
    if (isOrphan(r)) {
      this.drop(r);
      return;
    }
    r.attempts++;
    this.m.retries.inc();
    this.retryWarning.note({ stream: this.d.stream, code });
    // Kinesis' bucket for the shard is shared with other replicas, which keep it low with their own
    // records: a big record needs it fuller than they ever leave it and would be throttled again and again
    // (and its replica starve). Halves go back at the front, in order, and the pacer spaces them. Not with
    // compression: its halves come back from the thread pool in any order.
    const shardThrottle = isShardThrottle(code);
    if (shardThrottle && this.s.compression === 'none' && r.packed.parts.length > 1 && r.size > this.pacer.splitAbove(r.packed.group)) {
      this.prep.split(r.packed, code, true);
      return;
    }
    r.notBefore = Date.now() + retryDelay(retriesSlowly(code), r.attempts, this.s.deliveryTimeoutMs, shardThrottle && this.pacer.enabled);
    this.queue.push(r, true);
    this.retryAt = Math.min(this.retryAt, r.notBefore);
  }

  /** After a fatal error the records' submits are answered; whatever is left is an orphan. */
  private afterFailure(r: QueuedRecord, code: string): void {
    if (isOrphan(r)) this.drop(r);
    else this.retry(r, code);
  }

  private fatal(code: string, message: string): void {
    this.d.logger.warn({ stream: this.d.stream, code }, 'stream not writable; failing its pending writes');
    this.d.monitor.markFatal(this.d.stream, code, `not writable: ${message}`);
    this.host.failAll('stream_unavailable', `stream "${this.d.stream}" is not available: ${code}`);
  }
}
