// Per-shard pacing against Kinesis' write limits (1 MiB/s and 1,000 records/s per shard) with a rate
// each replica learns from Kinesis' answers (AIMD, as TCP does with a congestion window): a
// ProvisionedThroughputExceededException cuts that shard's rate by a factor, a success while the
// shard was busy probes upward by a fixed step per second. The ceiling is the shard's limits ×
// shardRateLimitPercent (the KPL's static RateLimit); the floor keeps a replica from starving.
// Replicas that share a stream have no coordinator: each one that gets throttled backs off, the ones
// sending more are throttled more often, so their rates converge to fair shares of the shard.
//
// A token bucket per shard holds one second of the current rate; a record bigger than the bucket is
// let through when the bucket is full, and the debt is paid by waiting.
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;
export const SHARD_RECORDS_PER_SECOND = 1000;

/** Multiplicative decrease on throttling that persists (another throttle of the shard within QUIET_MS)... */
const DECREASE = 0.7;
/** ...and on an isolated one: a lone replica paced at the limit meets one now and then (timing jitter). */
const DECREASE_ISOLATED = 0.95;
const QUIET_MS = 5000;
/** Additive increase: share of the ceiling regained per second of busy, unthrottled sending. */
const INCREASE_PER_SECOND = 0.05;
/** Lowest share of the ceiling a shard is paced to. */
const FLOOR = 0.02;
/** One cut per this many ms: the entries of one answer (or calls already in flight) are one signal. */
const CUT_COOLDOWN_MS = 100;
/** A shard whose sender waited for allowance this recently is busy (its rate is what limits it). */
const BUSY_WINDOW_MS = 1000;

class Bucket {
  bytes: number;
  records: number;
  at: number;
  /** Share of the ceiling currently allowed. */
  factor = 1;
  lastCut = 0;
  lastThrottle = -Infinity;
  lastRaise: number;
  lastWait = -Infinity;
  constructor(
    readonly ceilBytes: number,
    readonly ceilRecords: number,
    now: number,
  ) {
    this.bytes = ceilBytes;
    this.records = ceilRecords;
    this.at = now;
    this.lastRaise = now;
  }

  get bytesRate(): number {
    return this.ceilBytes * this.factor;
  }

  get recordsRate(): number {
    return this.ceilRecords * this.factor;
  }

  refill(now: number): void {
    const dt = (now - this.at) / 1000;
    if (dt <= 0) return;
    this.bytes = Math.min(this.bytesRate, this.bytes + dt * this.bytesRate);
    this.records = Math.min(this.recordsRate, this.records + dt * this.recordsRate);
    this.at = now;
  }
}

export interface ShardRate {
  shard: string;
  bytesPerSecond: number;
  recordsPerSecond: number;
}

export class ShardPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ceilBytes: number;
  private readonly ceilRecords: number;

  /**
   * percent 0 disables pacing. `onRate` hears every change of a shard's allowed rate (metrics).
   */
  constructor(
    percent: number,
    private readonly onRate: (r: ShardRate) => void = () => {},
  ) {
    this.ceilBytes = (SHARD_BYTES_PER_SECOND * percent) / 100;
    this.ceilRecords = (SHARD_RECORDS_PER_SECOND * percent) / 100;
  }

  get enabled(): boolean {
    return this.ceilBytes > 0;
  }

  /** The ceiling: bytes/s a shard is never paced above. */
  get ceilingBytesPerSecond(): number {
    return this.ceilBytes;
  }

  private bucket(shard: string, now: number): Bucket {
    let b = this.buckets.get(shard);
    if (!b) {
      b = new Bucket(this.ceilBytes, this.ceilRecords, now);
      this.buckets.set(shard, b);
      this.onRate({ shard, bytesPerSecond: b.bytesRate, recordsPerSecond: b.recordsRate });
    }
    return b;
  }

  /**
   * Takes allowance for one record of `size` bytes on `shard` and returns 0, or returns how many ms
   * to wait before it may go (taking nothing).
   */
  reserve(shard: string, size: number, now: number): number {
    if (!this.enabled) return 0;
    const wait = this.waitFor(shard, size, now);
    if (wait > 0) return wait;
    const b = this.bucket(shard, now);
    b.bytes -= size;
    b.records -= 1;
    return 0;
  }

  /** Ms until a record of `size` bytes may go on `shard` (0: now), taking nothing. */
  waitFor(shard: string, size: number, now: number): number {
    if (!this.enabled) return 0;
    const b = this.bucket(shard, now);
    b.refill(now);
    const bytesOk = b.bytes >= Math.min(size, b.bytesRate);
    const recordsOk = b.records >= 1;
    if (bytesOk && recordsOk) return 0;
    b.lastWait = now; // demand above the allowance: the rate is what holds this shard back
    const needBytes = bytesOk ? 0 : Math.min(size, b.bytesRate) - b.bytes;
    const needRecords = recordsOk ? 0 : 1 - b.records;
    return Math.max(1, Math.ceil(Math.max((needBytes / b.bytesRate) * 1000, (needRecords / b.recordsRate) * 1000)));
  }

  /** Kinesis throttled a record of this shard: cut its rate (once per cooldown). */
  throttled(shard: string, now: number): void {
    if (!this.enabled) return;
    const b = this.bucket(shard, now);
    const isolated = now - b.lastThrottle > QUIET_MS;
    b.lastThrottle = now;
    if (now - b.lastCut < CUT_COOLDOWN_MS) return;
    b.refill(now);
    b.lastCut = now;
    b.lastRaise = now;
    b.factor = Math.max(FLOOR, b.factor * (isolated ? DECREASE_ISOLATED : DECREASE));
    // Tokens saved at the old rate would be spent straight into the same throttling.
    b.bytes = Math.min(b.bytes, b.bytesRate);
    b.records = Math.min(b.records, b.recordsRate);
    this.onRate({ shard, bytesPerSecond: b.bytesRate, recordsPerSecond: b.recordsRate });
  }

  /** Kinesis accepted a record of this shard: probe upward if the rate is what holds the shard back. */
  accepted(shard: string, now: number): void {
    if (!this.enabled) return;
    const b = this.buckets.get(shard);
    if (!b || b.factor >= 1) return;
    const dt = Math.min(500, now - b.lastRaise);
    b.lastRaise = now;
    if (now - b.lastWait > BUSY_WINDOW_MS || dt <= 0) return;
    b.refill(now);
    b.factor = Math.min(1, b.factor + (INCREASE_PER_SECOND * dt) / 1000);
    this.onRate({ shard, bytesPerSecond: b.bytesRate, recordsPerSecond: b.recordsRate });
  }

  /** Allowance (bytes) the shard has banked now: what can go at once. 0 without pacing. */
  available(shard: string, now: number): number {
    const b = this.buckets.get(shard);
    if (!this.enabled || !b) return this.enabled ? this.ceilBytes : 0;
    b.refill(now);
    return Math.max(0, b.bytes);
  }

  /** Bytes/s this shard is paced to now (the ceiling for a shard not seen yet); Infinity without pacing. */
  bytesRate(shard: string): number {
    if (!this.enabled) return Infinity;
    return this.buckets.get(shard)?.bytesRate ?? this.ceilBytes;
  }

  /** Records/s this shard is paced to now; Infinity without pacing. */
  recordsRate(shard: string): number {
    if (!this.enabled) return Infinity;
    return this.buckets.get(shard)?.recordsRate ?? this.ceilRecords;
  }

  /** Forgets shards no longer in use (after a reshard). */
  retain(shards: ReadonlySet<string>): void {
    for (const id of this.buckets.keys()) if (!shards.has(id)) this.buckets.delete(id);
  }
}
