// Delivery of one stream: submits become points in per-shard records (encode), records wait in the
// stream queue until the flush rule (see pump) says go, PutRecords calls (at most maxInflightPerStream)
// carry them, and each record's outcome resolves, retries, splits or fails the submits holding it.
//
// Retry policy: only failed entries are retried, matched by index, after full-jitter backoff, until
// every submit holding the record has been answered. A record whose submits were all answered
// (deadline, shutdown, fatal error) is dropped: nobody was promised it, the clients got 503 and
// will resend, and dropping keeps memory bounded under a long outage.
import type { KinesisClient, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { DeliverySettings } from '../config/types.js';
import type { Metrics } from '../metrics/registry.js';
import type { PointBatch } from '../parse/types.js';
import { BatchEncoder, type Unencodable } from '../encode/batch-encoder.js';
import { compressPayload } from '../encode/compress.js';
import { recordData, RecordPacker, type PackedRecord } from '../encode/record-packer.js';
import { hashKeyOf } from '../encode/shard-map.js';
import { ShardMap } from '../encode/shard-map.js';
import { retryDelay } from '../queue/backoff.js';
import { ShardPacer } from '../queue/shard-pacer.js';
import { admissionPolicy, admissionWait, deadlineMs, type AdmissionPart, type AdmissionPolicy } from '../queue/admission.js';
import { StreamQueue, isOrphan, type QueuedRecord } from '../queue/stream-queue.js';
import { Ticket } from '../queue/ticket.js';
import { DeliveryError, WriteTooLargeError, answer, classify, describeError, errorCode, type DeliveryFailure } from './errors.js';
import type { Logger } from '../log/logger.js';
import { streamMetrics, type StreamMetrics } from './stream-metrics.js';
import type { StreamMonitor } from './stream-monitor.js';
import type { StreamState } from './stream-state.js';
import { streamParams } from './stream-target.js';
import { putRecordsCall } from './put-records-call.js';
import { RateLimitedWarning } from '../log/rate-limited-warning.js';
import { Alarm } from './alarm.js';

export const MAX_RECORDS_PER_REQUEST = 500;
/** Wait on an idle pipe: merges writes that arrive within a few ms of each other. */
const IDLE_LINGER_MS = 5;
/** Without ListShards (and without a shard count): hash ranges points are packed by. */
const DEFAULT_HASH_RANGES = 16;
const THROTTLED = 'ProvisionedThroughputExceededException';
/** Telegraf's default HTTP timeout, when the settings do not name the clients' timeout. */
const TELEGRAF_TIMEOUT_MS = 5000;

export interface StreamSenderDeps {
  stream: string;
  settings: DeliverySettings;
  client: KinesisClient;
  metrics: Metrics;
  logger: Logger;
  monitor: StreamMonitor;
  state: StreamState;
}

export class StreamSender {
  readonly queue: StreamQueue;
  private readonly s: DeliverySettings;
  private readonly pacer: ShardPacer;
  private readonly admission: AdmissionPolicy;
  private readonly encoder: BatchEncoder;
  private readonly params: ReturnType<typeof streamParams>;
  private readonly abort = new AbortController();
  private inflight = 0;
  private preparing = 0;
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
  private ranges: { n: number; map: ShardMap; keys: Map<string, string> } | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Each group's share of a write's encoded bytes lately, and encoded bytes per canonical body byte (saturated()). */
  private readonly shares = new Map<string, number>();
  private encodedPerBodyByte = 1;
  /** Raw bytes per compressed byte seen lately, so compressed records can be packed near the limit. */
  private ratio = 2;
  /** Records that landed on another shard than predicted (tests check this stays 0). */
  shardMismatches = 0;
  private readonly m: StreamMetrics;
  private readonly retryWarning: RateLimitedWarning;

  constructor(private readonly d: StreamSenderDeps) {
    this.retryWarning = new RateLimitedWarning(d.logger, 'Kinesis refused records (throttling or failures); retrying them with backoff');
    this.s = d.settings;
    this.m = streamMetrics(d.metrics, d.stream);
    this.pacer = new ShardPacer(d.settings.shardRateLimitPercent, (r) => this.m.shardRate(r.shard).set(r.bytesPerSecond));
    this.admission = admissionPolicy(d.settings.deliveryTimeoutMs, d.settings.clientTimeoutMs ?? TELEGRAF_TIMEOUT_MS);
    this.encoder = new BatchEncoder(d.settings);
    this.params = streamParams(d.stream);
    this.queue = new StreamQueue(new RecordPacker<Ticket>({ aggregation: d.settings.aggregation, explicitHashKey: false }, this.recordLimit()));
  }

  /** Largest record: the stream's max record size, partition key included, and never above the request cap. */
  recordLimit(): number {
    return Math.min(this.d.state.maxRecordBytes, this.s.putRequestMaxBytes);
  }

  /** Raw bytes to pack per record: the limit itself, or more when compression will shrink it. */
  private packBudget(): number {
    const limit = this.recordLimit();
    if (this.s.compression === 'none') return limit;
    return Math.floor(limit * Math.min(4, Math.max(1, this.ratio * 0.85)));
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
    const enc = this.encoder.encodePoints(batch, map, this.recordLimit());
    if (this.pacer.enabled && enc.bytes > 0) this.noteSpread(enc.byGroup, enc.bytes, batch.data.length);
    const verdict = this.admit(enc.byGroup, enc.bytes, enc.data.length);
    if (verdict instanceof Error) {
      this.m.refusedEarly(verdict instanceof WriteTooLargeError ? '413' : '503').inc();
      return Promise.reject(verdict);
    }
    const ticket = new Ticket(batch.count, (t) => q.live.delete(t));
    q.live.add(ticket);
    ticket.timer = setTimeout(() => this.reject(ticket, 'deadline'), deadlineMs(this.admission, verdict));
    const packer = q.packer;
    packer.opts.explicitHashKey = true;
    packer.opts.groupHashKey = keys;
    packer.budget = this.packBudget();
    const sealed = this.encoder.place(enc, ticket, packer);
    q.admitted(enc.data.length, enc.bytes, enc.byGroup);
    this.gauges();
    for (const rec of sealed) this.prepare(rec);
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
    const n = this.d.state.openShardCount ?? DEFAULT_HASH_RANGES;
    if (this.ranges?.n !== n) {
      const space = 2n ** 128n;
      const span = space / BigInt(n);
      const ranges = Array.from({ length: n }, (_, i) => ({
        shardId: `range-${i}`,
        start: span * BigInt(i),
        end: i === n - 1 ? space - 1n : span * BigInt(i + 1) - 1n,
      }));
      this.ranges = { n, map: new ShardMap(ranges), keys: new Map(ranges.map((r) => [r.shardId, String(r.start + span / 2n)])) };
    }
    return { map: this.ranges.map, keys: this.ranges.keys };
  }

  /**
   * When a write would be refused by admission, say so before its body is read and parsed, taking it to
   * touch every shard (Telegraf's batches do) with `bodyBytes` spread as recent writes spread theirs (a
   * tenth less, so an estimate that errs refuses late rather than wrongly). Without a size: an empty write,
   * refused only where the backlog alone is past the horizon. Undefined otherwise, or without pacing.
   * (A write refused after parsing cost its read, parse and encode: at 16 writes/s on 4 shards most 503s
   * were of that kind, ~2–3 CPU-ms each; README "Pacing cost".)
   */
  saturated(bodyBytes = 0): DeliveryError | undefined {
    if (!this.pacer.enabled) return undefined;
    const { map } = this.groupMap();
    const now = Date.now();
    const est = bodyBytes * this.encodedPerBodyByte * 0.9;
    const parts = map.shards.map(({ shardId }) => ({ group: shardId, bytes: est * (this.shares.get(shardId) ?? 0), backlog: this.queue.backlog(shardId) }));
    const verdict = admissionWait(parts, this.pacer, now, this.admission);
    if (!verdict.refuse) return undefined;
    this.m.refusedEarly('503').inc();
    return this.overloaded(verdict.seconds);
  }

  /** Moving averages of how writes spread over the groups, and of their encoded size per body byte. */
  private noteSpread(byGroup: ReadonlyMap<string, number>, bytes: number, bodyBytes: number): void {
    for (const [g, v] of this.shares) {
      if (v < 1e-4 && !byGroup.has(g)) this.shares.delete(g);
      else this.shares.set(g, v * 0.8);
    }
    for (const [g, w] of byGroup) this.shares.set(g, (this.shares.get(g) ?? 0) + (0.2 * w) / bytes);
    if (bodyBytes > 0) this.encodedPerBodyByte = this.encodedPerBodyByte * 0.8 + (0.2 * bytes) / bodyBytes;
  }

  /** The 503 of a write refused for the backlog: Retry-After when it will have drained enough. */
  private overloaded(seconds: number): DeliveryError {
    return answer(() => new DeliveryError('overloaded', this.d.stream, undefined, Math.max(1, Math.ceil(seconds))));
  }

  /**
   * Admission: refuses now (before any point is sent) a write the shards cannot take soon enough at the
   * rates they take now (src/queue/admission.ts): 503 with Retry-After when the backlog is what stands in
   * the way, 413 when even an empty shard at its ceiling could not take the write's share in time.
   */
  private admit(byGroup: ReadonlyMap<string, number>, bytes: number, points: number): Error | number {
    if (!this.pacer.enabled || points === 0) return 0;
    const deadlineS = this.admission.deadlineS;
    const ceiling = this.pacer.ceilingBytesPerSecond;
    const parts: AdmissionPart[] = [];
    for (const [group, w] of byGroup) {
      if (w > ceiling * deadlineS) {
        // The same mix of series, scaled down to what this shard can take within the deadline.
        const fitBytes = Math.floor((ceiling * deadlineS * bytes) / w);
        const fitLines = Math.max(1, Math.floor((points * ceiling * deadlineS) / w));
        return new WriteTooLargeError(
          this.d.stream,
          fitBytes,
          fitLines,
          `write too large to deliver within the ${this.admission.maxDeadlineMs} ms a write may wait: ${w} bytes of it go to one shard, ` +
            `which takes at most ${Math.floor(ceiling * deadlineS)} bytes in that time; send at most ${fitLines} lines (about ${fitBytes} bytes) per write`,
        );
      }
      parts.push({ group, bytes: w, backlog: this.queue.backlog(group) });
    }
    const verdict = admissionWait(parts, this.pacer, Date.now(), this.admission);
    return verdict.refuse ? this.overloaded(verdict.seconds) : verdict.etaS;
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
    for (const rec of sealed) this.prepare(rec);
    this.pump();
    this.checkIdle();
  }

  /** Shutdown deadline passed: answer everyone, abort in-flight calls, stop timers. */
  stop(): void {
    this.failAll('shutting_down');
    this.abort.abort();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.wake.cancel();
    this.seal.cancel();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private refuse(reason: DeliveryFailure): Promise<void> {
    return Promise.reject(answer(() => new DeliveryError(reason, this.d.stream)));
  }

  private reject(t: Ticket, reason: DeliveryFailure, message?: string): void {
    if (t.settled) return;
    t.fail(answer(() => new DeliveryError(reason, this.d.stream, message)));
  }

  private gauges(): void {
    this.m.qPoints.set(this.queue.points);
    this.m.qBytes.set(this.queue.bytes);
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
      const shrink = this.s.compression === 'none' ? 1 : Math.max(1, this.ratio);
      let next = Infinity;
      q.packer.sealWhere((group, size) => {
        if (q.waiting(group) > 0 || q.isBusy(group)) return false;
        const wait = this.pacer.waitFor(group, Math.ceil(size / shrink), now);
        if (wait === 0) return true;
        next = Math.min(next, now + wait);
        return false;
      }, sealed);
      this.sealAt = next;
      this.wake.set(next);
    }
    for (const rec of sealed) this.prepare(rec);
  }

  /**
   * Encodes (KPL) and compresses a sealed record, then queues it. Synchronous without compression, so
   * that records sealed together leave in one request; compression runs on the thread pool.
   */
  private prepare(rec: PackedRecord<Ticket>, front = false): void {
    const raw = recordData(this.s.aggregation, rec.parts, rec.keys);
    if (this.s.compression === 'none') {
      this.enqueue(rec, raw, front);
      return;
    }
    this.preparing++;
    compressPayload(this.s.compression, raw).then(
      (data) => {
        this.preparing--;
        this.ratio = this.ratio * 0.8 + (raw.length / Math.max(1, data.length)) * 0.2;
        this.enqueue(rec, data);
        // Wait for the records compressed alongside, so they share a request.
        if (this.preparing === 0 || this.queue.ready.count >= MAX_RECORDS_PER_REQUEST) this.pump();
      },
      (err: unknown) => {
        this.preparing--;
        this.d.logger.error({ stream: this.d.stream, err: describeError(err) }, 'compression failed');
        for (const t of rec.holders) this.reject(t, 'stream_unavailable', 'record compression failed');
        this.queue.release(rec);
        this.gauges();
        this.checkIdle();
      },
    );
  }

  private enqueue(rec: PackedRecord<Ticket>, data: Buffer, front = false): void {
    const size = data.length + Buffer.byteLength(rec.partitionKey);
    if (size > this.recordLimit()) {
      this.splitRecord(rec, 'RecordTooLarge', front);
      return;
    }
    // A hash range (no shard map) is not a shard id: nothing to check the landing shard against.
    const shardId = rec.explicitHashKey !== undefined && !this.queue.packer.opts.groupHashKey?.has(rec.group) ? rec.group : undefined;
    this.queue.push({ packed: rec, data, size, shardId, attempts: 0, notBefore: 0 }, front);
  }

  /** Splits a record that is too large for Kinesis; a single point that still does not fit fails its submits. */
  private splitRecord(rec: PackedRecord<Ticket>, code: string, front = false): void {
    if (rec.parts.length > 1) {
      const [a, b] = this.queue.packer.split(rec);
      // A retried record's halves go back to the front of its line, first half first (order per series).
      if (front) {
        this.prepare(b, true);
        this.prepare(a, true);
      } else {
        this.prepare(a);
        this.prepare(b);
      }
      return;
    }
    this.d.logger.warn({ stream: this.d.stream, code }, 'Kinesis refused a single-point record');
    for (const t of rec.holders) this.reject(t, 'stream_unavailable', `Kinesis refused a point of this write (${code})`);
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
      const pipeIdle = this.inflight === 0 && this.preparing === 0;
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
    this.m.failures('Expired').inc();
    this.queue.release(r.packed);
    this.gauges();
  }

  private isIdle(): boolean {
    return this.queue.idle && this.inflight === 0 && this.preparing === 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async put(records: QueuedRecord[]): Promise<void> {
    this.inflight++;
    try {
      await this.send(records);
    } catch (err) {
      // Never expected: every outcome is handled in send. Keep the records moving rather than lose them.
      this.d.logger.error({ stream: this.d.stream, err: describeError(err) }, 'delivery bug');
      for (const r of records) this.retry(r, 'InternalError');
    } finally {
      for (const r of records) this.queue.landed(r);
      this.inflight--;
      // Nagle per shard: what gathered in a shard's open record while its call was out may go now.
      if (this.queue.packer.hasOpen) this.flushDue = true;
      this.pump();
    }
  }

  /** One PutRecords call for these records, and the handling of every entry's outcome. */
  private async send(records: QueuedRecord[]): Promise<void> {
    const started = performance.now();
    // A stalled call must not outlive the submits waiting for it; a slow one should not be cut short
    // (a cut call may still land, and its retry is then a duplicate).
    const putTimeout = Math.max(1000, this.s.deliveryTimeoutMs);
    let entries: PutRecordsResultEntry[];
    try {
      entries = await putRecordsCall(this.d.client, this.params, records, putTimeout, this.abort.signal);
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
        this.splitRecord(records[0].packed, code);
      } else {
        if (code === THROTTLED) for (const r of records) this.throttled(r);
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
      if (e.ErrorCode === THROTTLED) this.throttled(r);
      const kind = classify(e.ErrorCode);
      if (kind === 'split') this.splitRecord(r.packed, e.ErrorCode, true);
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
    this.gauges();
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
      this.shardMismatches++;
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
   * A KPL aggregate landed on `landed`, not on the predicted shard (the map predates a reshard). Its
   * sub-records whose hash keys `landed` does not own are re-packed by the current map and sent again;
   * its holders are answered only when those are stored too. Without the landing shard's range, all
   * are sent again (duplicates, never loss).
   */
  private async resendMisplaced(r: QueuedRecord, landed: string): Promise<void> {
    this.preparing++; // not idle meanwhile
    const rec = r.packed;
    try {
      const range = await this.d.monitor.shardRange(this.d.stream, landed);
      if (isOrphan(r)) return;
      const map = this.d.state.shardMap;
      const groups = new Map<string, { parts: Buffer[]; keys: string[] }>();
      let owned = 0;
      for (let i = 0; i < rec.parts.length; i++) {
        const h = hashKeyOf(rec.keys[i]);
        if (range && h >= range.start && h <= range.end) {
          owned++;
          continue;
        }
        const group = map ? map.shardIdOf(h) : `key:${rec.keys[i]}`;
        let g = groups.get(group);
        if (!g) groups.set(group, (g = { parts: [], keys: [] }));
        g.parts.push(rec.parts[i]);
        g.keys.push(rec.keys[i]);
      }
      this.m.delivered.inc(owned);
      this.d.logger.debug({ stream: this.d.stream, landed, predicted: r.shardId, resent: rec.parts.length - owned }, 'KPL record landed off its shard; re-sending its misplaced sub-records');
      const packer = this.queue.packer;
      packer.opts.explicitHashKey = map !== undefined;
      for (const [group, g] of groups) {
        const again = packer.derive(group, g.parts, g.keys, rec.holders);
        this.queue.admitted(again.parts.length, again.rawBytes, new Map([[group, again.rawBytes]]));
        this.prepare(again);
      }
    } finally {
      this.preparing--;
      this.queue.release(rec);
      for (const t of rec.holders) t.recordAccepted();
      this.gauges();
      this.pump();
    }
  }

  private retry(r: QueuedRecord, code: string): void {
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
    if (code === THROTTLED && this.s.compression === 'none' && r.packed.parts.length > 1 && r.size > this.pacer.splitAbove(r.packed.group)) {
      this.splitRecord(r.packed, code, true);
      return;
    }
    r.notBefore = Date.now() + retryDelay(code, r.attempts, this.s.deliveryTimeoutMs, code === THROTTLED && this.pacer.enabled);
    this.queue.push(r, true);
    this.wake.set(r.notBefore);
  }

  /** After a fatal error the records' submits are answered; whatever is left is an orphan. */
  private afterFailure(r: QueuedRecord, code: string): void {
    if (isOrphan(r)) this.drop(r);
    else this.retry(r, code);
  }

  private fatal(code: string, message: string): void {
    this.d.logger.warn({ stream: this.d.stream, code }, 'stream not writable; failing its pending writes');
    this.d.monitor.markFatal(this.d.stream, code, `not writable: ${message}`);
    this.failAll('stream_unavailable', `stream "${this.d.stream}" is not available: ${code}`);
  }
}
