// A sealed record becomes Kinesis data here: KPL or line bytes, compressed on the thread pool when
// compression is on, checked against the record limit (split when too large), and queued for its shard. The
// compression ratio seen lately lets the sender pack compressed records near the limit and pace them on
// their compressed size. The thread pool finishes records in any order; a shard's records are queued in the
// order they were sealed (order per series), each waiting for those sealed before it.
import type { DeliverySettings } from '../../config/types.js';
import type { PackedRecord, RecordKeying } from '../../encode/record-packer.js';
import { recordData } from '../../encode/record-packer.js';
import { compressPayload } from '../../encode/compress.js';
import type { Logger } from '../../log/logger.js';
import type { StreamQueue } from '../../queue/stream-queue.js';
import type { Ticket } from '../../queue/ticket.js';
import { describeError } from '../kinesis/error-codes.js';

/** What preparation uses of its stream. */
export interface PreparationDeps {
  readonly stream: string;
  readonly settings: Pick<DeliverySettings, 'aggregation' | 'compression'>;
  readonly logger: Logger;
  /** Largest record: data plus partition key. */
  readonly recordLimit: () => number;
  /** The stream's record keying now (a hash range, without a shard map, is not a shard id). */
  readonly keying: () => RecordKeying;
}

/** What preparation needs of its stream's sender. */
export interface PreparationHost {
  /** A compressed record was queued (the sender may wait for the records compressed alongside). */
  compressed(): void;
  /** The record can never be delivered: its submits are answered 503 and it is released. */
  fail(rec: PackedRecord<Ticket>, message: string): void;
}

/** A record of a shard on the thread pool, in seal order: queued once it and every slot before it are done. */
interface Slot {
  readonly rec: PackedRecord<Ticket>;
  data: Buffer | undefined;
  failed: boolean;
}

export class RecordPreparation {
  /** Records on the thread pool: work under way that keeps the sender from being idle. */
  private onPool = 0;
  /** Raw bytes per compressed byte seen lately, so compressed records can be packed near the limit. */
  ratio = 2;
  /**
   * Per shard, records being compressed in the order they must be queued: `back` (new records, pushed at the
   * back of the shard's line) and `front` (retried ones, older than anything queued: put back at its front;
   * the shard sends nothing meanwhile, or a newer record would overtake them).
   */
  private readonly back = new Map<string, Slot[]>();
  private readonly front = new Map<string, Slot[]>();

  constructor(
    private readonly d: PreparationDeps,
    private readonly queue: StreamQueue,
    private readonly host: PreparationHost,
  ) {}

  get preparing(): number {
    return this.onPool;
  }

  /** Raw bytes to pack per record: the limit itself, or more when compression will shrink it. */
  packBudget(): number {
    const limit = this.d.recordLimit();
    if (this.d.settings.compression === 'none') return limit;
    return Math.floor(limit * Math.min(4, Math.max(1, this.ratio * 0.85)));
  }

  /** Records of this group still being compressed (a newer record sealed now would only wait behind them). */
  pendingIn(group: string): number {
    return (this.back.get(group)?.length ?? 0) + (this.front.get(group)?.length ?? 0);
  }

  /**
   * Encodes (KPL) and compresses a sealed record, then queues it after the records of its shard sealed before
   * it (`front`: a retried record, before everything queued). Synchronous without compression, so that records
   * sealed together leave in one request; compression runs on the thread pool.
   */
  prepare(rec: PackedRecord<Ticket>, front = false): void {
    const raw = recordData(this.d.settings.aggregation, rec.parts, rec.keys);
    if (this.d.settings.compression === 'none') {
      this.place(rec, raw, front);
      return;
    }
    const slots = this.slotsOf(rec.group, front);
    const slot: Slot = { rec, data: undefined, failed: false };
    slots.push(slot);
    if (front && slots.length === 1) this.queue.hold(rec.group);
    this.compress(slot, raw, front);
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

  private slotsOf(group: string, front: boolean): Slot[] {
    const map = front ? this.front : this.back;
    let slots = map.get(group);
    if (!slots) map.set(group, (slots = []));
    return slots;
  }

  private compress(slot: Slot, raw: Buffer, front: boolean): void {
    this.onPool++;
    compressPayload(this.d.settings.compression, raw).then(
      (data) => {
        this.onPool--;
        this.ratio = this.ratio * 0.8 + (raw.length / Math.max(1, data.length)) * 0.2;
        slot.data = data;
        this.flush(slot.rec.group, front);
        this.host.compressed();
      },
      (err: unknown) => {
        this.onPool--;
        this.d.logger.error({ stream: this.d.stream, err: describeError(err) }, 'compression failed');
        slot.failed = true;
        this.flush(slot.rec.group, front);
        this.host.compressed();
      },
    );
  }

  /** Queues the group's compressed records from the first on, up to the first one still on the thread pool. */
  private flush(group: string, front: boolean): void {
    const map = front ? this.front : this.back;
    const slots = map.get(group);
    if (!slots) return;
    while (slots.length > 0) {
      const slot = slots[0];
      if (slot.failed) {
        slots.shift();
        this.host.fail(slot.rec, 'record compression failed');
        continue;
      }
      if (!slot.data) break;
      const rec = slot.rec;
      if (this.size(rec, slot.data) > this.d.recordLimit() && rec.parts.length > 1) {
        // Came out too large: its halves take its place, in the order they must be queued.
        const [a, b] = this.queue.packer.split(rec);
        const halves = front ? [b, a] : [a, b];
        const fresh = halves.map((h): Slot => ({ rec: h, data: undefined, failed: false }));
        slots.splice(0, 1, ...fresh);
        for (const f of fresh) this.compress(f, recordData(this.d.settings.aggregation, f.rec.parts, f.rec.keys), front);
        break;
      }
      slots.shift();
      this.place(rec, slot.data, front);
    }
    if (slots.length === 0) {
      map.delete(group);
      if (front) this.queue.unhold(group);
    }
  }

  private size(rec: PackedRecord<Ticket>, data: Buffer): number {
    return data.length + Buffer.byteLength(rec.partitionKey);
  }

  private place(rec: PackedRecord<Ticket>, data: Buffer, front: boolean): void {
    const size = this.size(rec, data);
    if (size > this.d.recordLimit()) {
      this.split(rec, 'RecordTooLarge', front);
      return;
    }
    // A hash range (no shard map) is not a shard id: nothing to check the landing shard against.
    const shardId = rec.explicitHashKey !== undefined && !this.d.keying().groupHashKey?.has(rec.group) ? rec.group : undefined;
    this.queue.push({ packed: rec, data, size, shardId, attempts: 0, notBefore: 0 }, front);
  }
}
