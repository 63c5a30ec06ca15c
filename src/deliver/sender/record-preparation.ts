// A sealed record becomes Kinesis data here: KPL or line bytes, compressed on the thread pool when
// compression is on, checked against the record limit (split when too large), and queued for its shard. The
// compression ratio seen lately lets the sender pack compressed records near the limit and pace them on
// their compressed size.
import type { PackedRecord } from '../../encode/record-packer.js';
import { recordData } from '../../encode/record-packer.js';
import { compressPayload } from '../../encode/compress.js';
import type { StreamQueue } from '../../queue/stream-queue.js';
import type { Ticket } from '../../queue/ticket.js';
import { describeError } from '../errors.js';
import type { StreamSenderDeps } from './stream-sender.js';

/** What preparation needs of its stream's sender. */
export interface PreparationHost {
  /** A compressed record was queued (the sender may wait for the records compressed alongside). */
  compressed(): void;
  /** The record can never be delivered: its submits are answered 503 and it is released. */
  fail(rec: PackedRecord<Ticket>, message: string): void;
}

export class RecordPreparation {
  /** Records on the thread pool, and other work under way that keeps the sender from being idle. */
  preparing = 0;
  /** Raw bytes per compressed byte seen lately, so compressed records can be packed near the limit. */
  ratio = 2;

  constructor(
    private readonly d: StreamSenderDeps,
    private readonly queue: StreamQueue,
    private readonly recordLimit: () => number,
    private readonly host: PreparationHost,
  ) {}

  /** Raw bytes to pack per record: the limit itself, or more when compression will shrink it. */
  packBudget(): number {
    const limit = this.recordLimit();
    if (this.d.settings.compression === 'none') return limit;
    return Math.floor(limit * Math.min(4, Math.max(1, this.ratio * 0.85)));
  }

  /**
   * Encodes (KPL) and compresses a sealed record, then queues it. Synchronous without compression, so
   * that records sealed together leave in one request; compression runs on the thread pool.
   */
  prepare(rec: PackedRecord<Ticket>, front = false): void {
    const s = this.d.settings;
    const raw = recordData(s.aggregation, rec.parts, rec.keys);
    if (s.compression === 'none') {
      this.enqueue(rec, raw, front);
      return;
    }
    this.preparing++;
    compressPayload(s.compression, raw).then(
      (data) => {
        this.preparing--;
        this.ratio = this.ratio * 0.8 + (raw.length / Math.max(1, data.length)) * 0.2;
        this.enqueue(rec, data);
        this.host.compressed();
      },
      (err: unknown) => {
        this.preparing--;
        this.d.logger.error({ stream: this.d.stream, err: describeError(err) }, 'compression failed');
        this.host.fail(rec, 'record compression failed');
      },
    );
  }

  /** Splits a record that is too large for Kinesis; a single point that still does not fit fails its submits. */
  split(rec: PackedRecord<Ticket>, code: string, front = false): void {
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
    this.host.fail(rec, `Kinesis refused a point of this write (${code})`);
  }

  private enqueue(rec: PackedRecord<Ticket>, data: Buffer, front = false): void {
    const size = data.length + Buffer.byteLength(rec.partitionKey);
    if (size > this.recordLimit()) {
      this.split(rec, 'RecordTooLarge', front);
      return;
    }
    // A hash range (no shard map) is not a shard id: nothing to check the landing shard against.
    const shardId = rec.explicitHashKey !== undefined && !this.queue.packer.opts.groupHashKey?.has(rec.group) ? rec.group : undefined;
    this.queue.push({ packed: rec, data, size, shardId, attempts: 0, notBefore: 0 }, front);
  }
}
