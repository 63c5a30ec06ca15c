// Delivery of one stream: submits pass admission (admission-gate.ts) and become points in per-shard records
// (encode), sealed records become Kinesis data (record-preparation.ts) and wait in the stream queue until the
// flush rule (see pump) says go, PutRecords calls (at most maxInflightPerStream) carry them, and each record's
// outcome (put-outcomes.ts) resolves, retries, splits or fails the submits holding it. This file is the loop:
// when open records are sealed (linger, allowance, Nagle per shard), when calls go, and the sender's lifecycle.
import type { DeliverySettings } from '../../config/types.js';
import type { Metrics } from '../../metrics/registry.js';
import type { PointBatch } from '../../parse/types.js';
import { BatchEncoder, type EncodedPoints, type Unencodable } from '../../encode/batch-encoder.js';
import { RecordPacker, type PackedRecord, type RecordKeying } from '../../encode/record-packer.js';
import type { ShardMap } from '../../encode/shard-map.js';
import { ShardPacer } from '../../pacing/shard-pacer.js';
import { StreamQueue, type QueuedRecord } from '../../queue/stream-queue.js';
import { Ticket } from '../../queue/ticket.js';
import { DeliveryError, WriteTooLargeError, answer, type DeliveryFailure } from '../errors.js';
import { describeError } from '../kinesis/error-codes.js';
import type { Logger } from '../../log/logger.js';
import { queueGauges, streamMetrics, type StreamMetrics } from './stream-metrics.js';
import type { StreamMonitor } from '../control-plane/stream-monitor.js';
import type { StreamState } from '../control-plane/stream-state.js';
import { Alarm } from './alarm.js';
import { AdmissionGate } from './admission-gate.js';
import { HashRangeGroups } from './hash-range-groups.js';
import { PutOutcomes } from './put-outcomes.js';
import { RecordPreparation } from './record-preparation.js';
import type { KinesisPort } from '../kinesis/port.js';
import { weighRecords } from '../../pacing/admission.js';
import { MAX_RECORDS_PER_REQUEST } from '../kinesis/put-records-call.js';

/** Wait on an idle pipe: merges writes that arrive within a few ms of each other. */
const IDLE_LINGER_MS = 5;

export interface StreamSenderDeps {
  stream: string;
  settings: DeliverySettings;
  kinesis: KinesisPort;
  metrics: Metrics;
  logger: Logger;
  monitor: StreamMonitor;
  state: StreamState;
}

/** Idle record buffers kept per stream for reuse (encode/buffer-pool.ts): about one PutRecords call's worth. */
const RECORD_POOL_BYTES = 4 * 1024 * 1024;

/** Batches of more points than this are weighed before their encode and encoded in slices (batch-encoder.ts). */
const SLICED_POINTS = 20_000;

export class StreamSender {
  readonly queue: StreamQueue;
  private readonly s: DeliverySettings;
  private readonly pacer: ShardPacer;
  private readonly gate: AdmissionGate;
  private readonly outcomes: PutOutcomes;
  private readonly prep: RecordPreparation;
  private readonly encoder: BatchEncoder;
  private inflight = 0;
  private flushDue = false;
  private draining = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  /**
   * Pumps again when due: backoff, pacing of sealed records, and the allowance an open record is held
   * back for (sealAt). One timer for all of them.
   */
  private readonly wake = new Alarm(() => {
    if (Date.now() >= this.sealAt) this.flushDue = true;
    else this.wake.set(this.sealAt);
    this.pump();
  });
  /** When the earliest open record held back for its shard's allowance may be sealed (Infinity: none held). */
  private sealAt = Infinity;
  /** Seals (what may go of) the open records after the linger on an idle pipe. */
  private readonly seal = new Alarm(() => {
    this.flushDue = true;
    this.pump();
  });
  /** Without a shard map: equal hash ranges standing in for shards, and their fixed hash keys. */
  private readonly ranges = new HashRangeGroups();
  private idleWaiters: Array<() => void> = [];
  private readonly m: StreamMetrics;
  /** How records are keyed: set by each submit from the stream's shard map (or hash ranges). */
  private keying: RecordKeying = { explicitHashKey: false };
  constructor(private readonly d: StreamSenderDeps) {
    this.s = d.settings;
    this.m = streamMetrics(d.metrics, d.stream);
    this.pacer = new ShardPacer(d.settings.shardRateLimitPercent, (r) => this.m.shardRate(r.shard).set(r.bytesPerSecond));
    this.encoder = new BatchEncoder(d.settings);
    const keying = (): RecordKeying => this.keying;
    this.queue = new StreamQueue(new RecordPacker<Ticket>({ aggregation: d.settings.aggregation, keying, poolBytes: RECORD_POOL_BYTES }, this.recordLimit()), d.settings.aggregation === 'none');
    this.gate = new AdmissionGate(d.stream, d.settings, this.pacer, this.queue);
    const prepDeps = { stream: d.stream, settings: d.settings, logger: d.logger, recordLimit: () => this.recordLimit(), keying };
    this.prep = new RecordPreparation(prepDeps, this.queue, {
      compressed: () => {
        // Wait for the records compressed alongside, so they share a request.
        if (this.preparing() === 0 || this.queue.ready.count >= MAX_RECORDS_PER_REQUEST) this.pump();
      },
      fail: (rec, message) => this.failRecord(rec, message),
    });
    this.outcomes = new PutOutcomes(d, this.m, this.pacer, this.queue, this.prep, {
      failAll: (reason, message) => this.failAll(reason, message),
      pump: () => this.pump(),
    });
  }

  /** Records on the thread pool, and misplaced sub-records being re-sent: work that keeps the pipe busy. */
  private preparing(): number {
    return this.prep.preparing + this.outcomes.resending;
  }

  /** Largest record: the stream's max record size, partition key included, and never above the request cap. */
  recordLimit(): number {
    return Math.min(this.d.state.maxRecordBytes, this.s.putRequestMaxBytes);
  }

  unencodable(batch: PointBatch): Unencodable[] {
    return this.encoder.unencodable(batch, this.recordLimit());
  }

  submit(batch: PointBatch): Promise<void> {
    const q = this.queue;
    if (q.bytes > 0 && q.bytes + batch.data.length > this.s.queueMaxBytes) {
      return this.refuse('queue_full');
    }
    const { map, keys } = this.groupMap();
    // Too large for the stream even spread evenly over its shards: 413 from the parse result, before the encode.
    const early = batch.count > SLICED_POINTS ? this.gate.saturated(() => map, batch.data.length) : undefined;
    if (early instanceof WriteTooLargeError) {
      this.m.refusedEarly('413').inc();
      return Promise.reject(early);
    }
    // A large batch is encoded in slices that yield, so the event loop is never held for long.
    if (batch.count > SLICED_POINTS) {
      return this.encoder.encodePointsSliced(batch, map, this.recordLimit()).then((enc) => this.admitEncoded(batch, enc, keys));
    }
    return this.admitEncoded(batch, this.encoder.encodePoints(batch, map, this.recordLimit()), keys);
  }

  private admitEncoded(batch: PointBatch, enc: EncodedPoints, keys: Map<string, string> | undefined): Promise<void> {
    const q = this.queue;
    // One point per record: the record limit bounds a shard before its byte limit does; weigh both.
    const { byGroup, bytes } = this.s.aggregation === 'none' ? weighRecords(enc.groups, enc.starts, enc.ends) : enc;
    if (this.pacer.enabled && bytes > 0) this.gate.noteSpread(byGroup, bytes, batch.data.length);
    const verdict = this.gate.admit(byGroup, bytes, enc.keys.length);
    if (verdict instanceof Error) {
      this.m.refusedEarly(verdict instanceof WriteTooLargeError ? '413' : '503').inc();
      return Promise.reject(verdict);
    }
    const ticket = new Ticket(batch.count, (t) => q.live.delete(t));
    q.live.add(ticket);
    ticket.timer = setTimeout(() => this.reject(ticket, 'deadline'), this.gate.deadlineMs(verdict));
    const packer = q.packer;
    this.keying = { explicitHashKey: true, groupHashKey: keys };
    packer.budget = this.prep.packBudget();
    const sealed = this.encoder.place(enc, ticket, packer);
    q.admitted(enc.keys.length, enc.bytes, byGroup);
    this.gauges();
    for (const rec of sealed) this.prep.prepare(rec);
    if (!this.lingerTimer) this.lingerTimer = setTimeout(() => this.onLinger(), this.s.lingerMs);
    ticket.resolveIfEmpty();
    this.pump();
    return ticket.promise;
  }

  /**
   * The shard map, or without one (ListShards not permitted) equal hash ranges, one per open shard when
   * DescribeStreamSummary tells the count: records still fill up, each range's records carry one fixed
   * ExplicitHashKey (so a series always lands on one shard, in order), and each range is paced on its own.
   */
  private groupMap(): { map: ShardMap; keys: Map<string, string> | undefined } {
    const real = this.d.state.shardMap;
    if (real) return { map: real, keys: undefined };
    return this.ranges.for(this.d.state.openShardCount);
  }

  /** A write of `bodyBytes` would be refused by admission (admission-gate.ts): its 503 or 413, before its body is read. */
  saturated(bodyBytes = 0): DeliveryError | WriteTooLargeError | undefined {
    const refusal = this.gate.saturated(() => this.groupMap().map, bodyBytes);
    if (refusal) this.m.refusedEarly(refusal instanceof WriteTooLargeError ? '413' : '503').inc();
    return refusal;
  }

  /** Stop lingering: send everything as fast as limits allow (shutdown). */
  drain(): void {
    this.draining = true;
    this.flushDue = true;
    this.pump();
    this.checkIdle();
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Answers every waiting submit with `reason` and drops what nobody waits for. */
  failAll(reason: DeliveryFailure, message?: string): void {
    for (const t of [...this.queue.live]) this.reject(t, reason, message);
    this.queue.dropOrphans((r) => this.drop(r));
    // Open records now hold orphans only: seal and drop them.
    const sealed: PackedRecord<Ticket>[] = [];
    this.queue.packer.sealAll(sealed);
    for (const rec of sealed) this.prep.prepare(rec);
    this.pump();
    this.checkIdle();
  }

  /** Shutdown deadline passed: answer everyone, abort in-flight calls, stop timers. */
  stop(): void {
    this.failAll('shutting_down');
    this.outcomes.abortCalls();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.wake.cancel();
    this.seal.cancel();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private refuse(reason: DeliveryFailure): Promise<void> {
    // Refused before anything of the write was packed: nothing of it can be stored.
    return Promise.reject(answer(() => new DeliveryError(reason, this.d.stream, undefined, undefined, { nothingSent: true })));
  }

  private reject(t: Ticket, reason: DeliveryFailure, message?: string): void {
    if (t.settled) return;
    t.fail(answer(() => new DeliveryError(reason, this.d.stream, message)));
  }

  private gauges(): void {
    queueGauges(this.m, this.queue);
  }

  private onLinger(): void {
    this.lingerTimer = undefined;
    this.flushDue = true;
    this.pump();
  }

  /**
   * Seals the open records whose shard has nothing waiting or in flight ahead of them and the allowance
   * to send them now. The others keep filling: behind their shard's call (the landing flushes again),
   * or until their shard's allowance covers them (the wake-up at sealAt), or until they are full. So a
   * shard that waits for allowance gathers its points in one growing record, not in records sealed
   * early that queue up behind each other; one timer wakes the sender, and each pass visits the open
   * records (one per shard), never the backlog. Without pacing every such record is sealed at once.
   */
  private sealDue(): void {
    const q = this.queue;
    const sealed: PackedRecord<Ticket>[] = [];
    if (this.draining) {
      q.packer.sealAll(sealed);
      this.sealAt = Infinity;
    } else {
      const now = Date.now();
      // Compressed records are paced on their compressed size: estimate it from the recent ratio.
      const shrink = this.s.compression === 'none' ? 1 : Math.max(1, this.prep.ratio);
      let next = Infinity;
      q.packer.sealWhere((group, size) => {
        // Records of the shard still compressing count as waiting: the new one would only queue behind them.
        if (q.waiting(group) > 0 || q.isBusy(group) || this.prep.pendingIn(group) > 0) return false;
        const wait = this.pacer.waitFor(group, Math.ceil(size / shrink), now);
        if (wait === 0) return true;
        next = Math.min(next, now + wait);
        return false;
      }, sealed);
      this.sealAt = next;
      this.wake.set(next);
    }
    for (const rec of sealed) this.prep.prepare(rec);
  }

  /** Answers a record's submits 503 and releases it: it can never be delivered. */
  private failRecord(rec: PackedRecord<Ticket>, message: string): void {
    for (const t of rec.holders) this.reject(t, 'stream_unavailable', message);
    this.queue.release(rec);
    this.gauges();
    this.checkIdle();
  }

  private pump(): void {
    const q = this.queue;
    while (this.inflight < this.s.maxInflightPerStream) {
      // Sealed records are full (or the linger sealed them): they go as soon as a call slot is free. With
      // no call in flight a long linger only adds latency (Nagle's rule): points gather while calls are
      // out, which is when it pays; a few ms on an idle pipe still merge writes that arrive together.
      const pipeIdle = this.inflight === 0 && this.preparing() === 0;
      if (pipeIdle && !this.flushDue && q.ready.count === 0 && q.packer.hasOpen) {
        this.seal.set(Date.now() + Math.min(this.s.lingerMs, IDLE_LINGER_MS));
        break;
      }
      if (this.flushDue) {
        // Consumed here: open records the pass leaves (their shard has records waiting or in flight) keep
        // filling until a call of their shard lands, or until they are full.
        this.flushDue = this.draining;
        if (q.packer.hasOpen) this.sealDue();
      }
      if (q.ready.count === 0) break;
      const { records, wakeAt } = q.take(
        { maxRecords: MAX_RECORDS_PER_REQUEST, maxBytes: this.s.putRequestMaxBytes },
        Date.now(),
        this.pacer,
        (r) => this.drop(r),
        this.s.aggregation !== 'none',
      );
      this.wake.set(wakeAt);
      if (records.length === 0) break;
      void this.put(records);
    }
    this.checkIdle();
  }

  private drop(r: QueuedRecord): void {
    this.outcomes.drop(r);
  }

  private isIdle(): boolean {
    return this.queue.idle && this.inflight === 0 && this.preparing() === 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async put(records: QueuedRecord[]): Promise<void> {
    this.inflight++;
    try {
      await this.outcomes.send(records);
    } catch (err) {
      // Never expected: every outcome is handled in send. Keep the records moving rather than lose them.
      this.d.logger.error({ stream: this.d.stream, err: describeError(err) }, 'delivery bug');
      for (const r of records) this.outcomes.retry(r, 'InternalError');
    } finally {
      for (const r of records) this.queue.landed(r);
      this.inflight--;
      this.wake.set(this.outcomes.retryDue());
      // Nagle per shard: what gathered in a shard's open record while its call was out may go now.
      if (this.queue.packer.hasOpen) this.flushDue = true;
      this.pump();
    }
  }
}
