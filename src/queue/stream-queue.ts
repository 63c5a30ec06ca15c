// One stream's queue: open records being filled (RecordPacker), sealed records waiting per shard
// (one FIFO line per group, so a throttled or backing-off shard does not hold up the others), and the
// byte/point accounting that bounds memory: queued plus in flight, released when a record is done.
import type { PackedRecord } from '../encode/record-packer.js';
import { RecordPacker } from '../encode/record-packer.js';
import { Deque } from './deque.js';
import type { ShardPacer } from '../pacing/shard-pacer.js';
import { recordWeight } from '../pacing/admission.js';
import type { Ticket } from './ticket.js';

/** A sealed record, encoded (and compressed) and ready to be put, with its retry state. */
export interface QueuedRecord {
  readonly packed: PackedRecord<Ticket>;
  readonly data: Buffer;
  /** Bytes counted against PutRecords limits: data plus partition key. */
  readonly size: number;
  /** Shard the record is predicted to land on; undefined without a shard map. */
  readonly shardId: string | undefined;
  attempts: number;
  /** Not to be sent before this time (ms since epoch): backoff. */
  notBefore: number;
}

export interface TakeLimits {
  maxRecords: number;
  maxBytes: number;
}

/** True when every submit holding points of this record has been answered: nobody waits for it. */
export function isOrphan(r: { packed: PackedRecord<Ticket> }): boolean {
  for (const t of r.packed.holders) if (!t.settled) return false;
  return true;
}

export class StreamQueue {
  readonly packer: RecordPacker<Ticket>;
  private readonly lines = new Map<string, Deque<QueuedRecord>>();
  /** Tickets not yet settled, so that a fatal stream error can answer them all at once. */
  readonly live = new Set<Ticket>();
  private readyCount = 0;
  private readySize = 0;
  /** Raw point bytes and points admitted and not yet done (accepted or dropped). */
  bytes = 0;
  points = 0;
  /**
   * The same raw bytes per group (shard): the backlog admission weighs against the shard's rate. With one point
   * per record, each point weighs at least its share of the record limit (recordWeight).
   */
  private readonly groupBytes = new Map<string, number>();
  /** Records per group in a PutRecords call now: later records of the group wait for them (order). */
  private readonly busy = new Map<string, number>();

  /** `onePointRecords`: records hold one point each (`none`), weighed by the record limit too (recordWeight). */
  constructor(
    packer: RecordPacker<Ticket>,
    private readonly onePointRecords = false,
  ) {
    this.packer = packer;
  }

  get ready(): { count: number; bytes: number } {
    return { count: this.readyCount, bytes: this.readySize };
  }

  /** Nothing left at all: no open record, nothing ready, no point admitted and not yet done. */
  get idle(): boolean {
    return this.bytes === 0 && this.readyCount === 0 && !this.packer.hasOpen;
  }

  admitted(points: number, bytes: number, byGroup?: ReadonlyMap<string, number>): void {
    this.points += points;
    this.bytes += bytes;
    if (byGroup) for (const [g, n] of byGroup) this.groupBytes.set(g, (this.groupBytes.get(g) ?? 0) + n);
  }

  /** Raw bytes of this group admitted and not yet done: open, sealed, or in flight. */
  backlog(group: string): number {
    return this.groupBytes.get(group) ?? 0;
  }

  /**
   * Releases a record's share of the bound (accepted, or dropped), and its buffer to the packer's pool: called once
   * per record, when no call holds it (answered, or never sent), so its data is read no more.
   */
  release(rec: PackedRecord<Ticket>): void {
    this.points -= rec.parts.length;
    this.bytes -= rec.rawBytes;
    rec.parts.recycle();
    // One point per record: each weighed as admitted, by the record limit too (pacing/admission.ts).
    const weight = this.onePointRecords ? recordWeight(rec.rawBytes) : rec.rawBytes;
    const left = (this.groupBytes.get(rec.group) ?? 0) - weight;
    if (left > 0) this.groupBytes.set(rec.group, left);
    else this.groupBytes.delete(rec.group);
  }

  /** Records waiting in this group's line (sealed, not in flight). */
  waiting(group: string): number {
    return this.lines.get(group)?.length ?? 0;
  }

  /** Whether records of this group are in a PutRecords call now. */
  isBusy(group: string): boolean {
    return this.busy.has(group);
  }

  /** A call holding this record has answered (whatever the outcome): its group may send again. */
  landed(r: QueuedRecord): void {
    this.unhold(r.packed.group);
  }

  /** The group sends nothing until unhold(): older records of it are on their way back to its line (a retry being re-compressed). */
  hold(group: string): void {
    this.busy.set(group, (this.busy.get(group) ?? 0) + 1);
  }

  unhold(group: string): void {
    const n = (this.busy.get(group) ?? 0) - 1;
    if (n > 0) this.busy.set(group, n);
    else this.busy.delete(group);
  }

  /** Queues a record for sending; `front` for a retry, which keeps its place before newer records. */
  push(r: QueuedRecord, front = false): void {
    let line = this.lines.get(r.packed.group);
    if (!line) {
      line = new Deque<QueuedRecord>();
      this.lines.set(r.packed.group, line);
    }
    if (front) line.unshift(r);
    else line.push(r);
    this.readyCount++;
    this.readySize += r.size;
  }

  /**
   * Takes records for one PutRecords request, group by group (shard by shard), honouring backoff and
   * pacing. A group with records in flight is skipped. A call carries one record per group (`onePerGroup`:
   * records holding many series, so a partial failure can never let a later record of a series land before
   * an earlier one), or, with one point per record, as many of the group's records as the limits and the
   * pacer allow, the same partition key more than once as Kinesis allows (a shard moves as many records per
   * round trip as it may, not one per series; Kinesis may then fail an earlier point of a series and store a
   * later one of the same call: README "Order"). Orphans met on the way are handed to `drop`. Returns the
   * records and when to look again (Infinity: not waiting on time).
   */
  take(
    limits: TakeLimits,
    now: number,
    pacer: ShardPacer,
    drop: (r: QueuedRecord) => void,
    onePerGroup: boolean,
  ): { records: QueuedRecord[]; wakeAt: number } {
    const records: QueuedRecord[] = [];
    let bytes = 0;
    let wakeAt = Infinity;
    const visited: string[] = [];
    outer: for (const [group, line] of this.lines) {
      visited.push(group);
      if (this.busy.has(group)) continue;
      for (let r = line.peek(); r; r = line.peek()) {
        if (isOrphan(r)) {
          line.shift();
          this.unready(r);
          drop(r);
          continue;
        }
        if (r.notBefore > now) {
          wakeAt = Math.min(wakeAt, r.notBefore);
          break;
        }
        if (records.length >= limits.maxRecords || (records.length > 0 && bytes + r.size > limits.maxBytes)) break outer;
        const wait = pacer.reserve(group, r.size, now);
        if (wait > 0) {
          wakeAt = Math.min(wakeAt, now + wait);
          break;
        }
        line.shift();
        this.unready(r);
        records.push(r);
        bytes += r.size;
        this.busy.set(group, (this.busy.get(group) ?? 0) + 1);
        if (onePerGroup) break;
      }
    }
    // Round robin: the groups served go to the back, so a busy shard cannot starve the others.
    for (const group of visited) {
      const line = this.lines.get(group);
      if (!line) continue;
      this.lines.delete(group);
      if (line.length > 0) this.lines.set(group, line);
    }
    return { records, wakeAt };
  }

  /** Removes every queued record that nobody waits for any more (after a fatal error or at shutdown). */
  dropOrphans(drop: (r: QueuedRecord) => void): void {
    for (const [group, line] of this.lines) {
      const keep = new Deque<QueuedRecord>();
      for (let r = line.shift(); r; r = line.shift()) {
        if (isOrphan(r)) {
          this.unready(r);
          drop(r);
        } else keep.push(r);
      }
      if (keep.length) this.lines.set(group, keep);
      else this.lines.delete(group);
    }
  }

  private unready(r: QueuedRecord): void {
    this.readyCount--;
    this.readySize -= r.size;
  }
}
