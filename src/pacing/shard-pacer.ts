// Per-shard pacing against Kinesis' write limits (1 MiB/s and 1,000 records/s per shard) with a rate
// each replica learns from Kinesis' answers (AIMD, as TCP does with a congestion window): a
// ProvisionedThroughputExceededException cuts that shard's rate, and while the shard is in
// demand the rate probes upward by a fixed step per second. The ceiling is the shard's limits ×
// shardRateLimitPercent (the KPL's static RateLimit); the floor keeps a replica from starving.
// Replicas that share a stream have no coordinator: each one that gets throttled backs off.
//
// The cut grows with the share of the ceiling held (factor × (1 − 0.5 × factor): ×0.5 at the ceiling,
// ×0.75 at half of it, ×0.83 at a third). Plain AIMD converges to fair shares only if the throttles fall
// on each replica in proportion to what it sends; they do not: Kinesis throttles whoever arrives when its
// bucket is empty, and a replica held low by its rate paces its records evenly and is first in line (in
// the simulation a replica at a quarter of the shard met three times the throttles per entry of the two
// at 0.45, and stayed there for the whole run). With the cut in proportion to the share, the equilibrium
// rate depends on the throttle frequency only as its square root, and those above their share lose more
// per throttle than those below it (simulation, 3 replicas, 40 seeds: Jain's fairness 0.79–1.00 with a
// fixed ×0.7 cut, 0.94–1.00 with this; p99 of 204s a little lower, throttled entries 1.3% → 1.8%).
//
// Demand is what the replica would send if its rate allowed: a record waiting for allowance, and a write
// refused by admission because of this shard's rate (demanded()). The second matters: a replica whose rate
// was cut refuses writes before they queue, so it never waits for allowance, and if only waiting counted
// it would never probe up again while the others hold the shard (issue 11's starving third replica).
//
// A token bucket per shard holds burstSeconds (0.1 s) of the current rate; a record bigger than the
// bucket is let through when the bucket is full, and the debt is paid by waiting. The burst is short
// because Kinesis' own bucket (one second) is shared: replicas that each saved a second of their rate and
// spend it at once after a lull empty Kinesis' bucket together (a throttle storm). And the sender holds an
// open record back until the allowance covers it (sealDue): with a second of burst a lone replica's records
// grew to a second of its rate before they left (bench:replicas, 1 replica: p99 of 204s 1.2-1.8 s, against
// 0.4-0.6 s with 0.1 s).
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;
export const SHARD_RECORDS_PER_SECOND = 1000;
const SPLIT_ABOVE_S = 0.25;
/** A rise is reported (metrics) once it adds up to this share of the ceiling: the rate creeps up on every look. */
const REPORT_STEP = 0.01;

export interface PacerLaw {
  /**
   * A throttle cuts this share of the rate at the ceiling, and less below it, in proportion to the share of
   * the ceiling held (factor × (1 − cutDepth × factor)): see the header on why the cut grows with the rate.
   */
  cutDepth: number;
  /** The cut of an isolated throttle (alone at the ceiling, none for quietMs): a lone replica paced at the
   * limit meets one now and then (timing jitter). Below the ceiling every throttle is news of other writers. */
  decreaseIsolated: number;
  quietMs: number;
  /** Additive increase: share of the ceiling regained per second while the shard is in demand... */
  increasePerSecond: number;
  /** ...growing by itself every this many seconds without a cut (capped at maxAccel×): probes gently
   * near the rate that was last cut, and recovers fast once the others have gone. */
  accelSeconds: number;
  maxAccel: number;
  /** Lowest share of the ceiling a shard is paced to. */
  floor: number;
  /** One cut per this many ms: the entries of one answer (or calls already in flight) are one signal. */
  cutCooldownMs: number;
  /** A shard demanded this recently (waited for allowance, or refused a write) is busy: its rate limits it. */
  busyWindowMs: number;
  /** Seconds of the current rate the bucket holds. */
  burstSeconds: number;
}

export const DEFAULT_LAW: PacerLaw = {
  cutDepth: 0.5,
  decreaseIsolated: 0.95,
  quietMs: 5000,
  increasePerSecond: 0.01,
  accelSeconds: 3,
  maxAccel: 8,
  floor: 0.02,
  cutCooldownMs: 100,
  busyWindowMs: 1000,
  burstSeconds: 0.1,
};

class Bucket {
  bytes: number;
  records: number;
  at: number;
  /** Share of the ceiling currently allowed. */
  factor = 1;
  lastCut: number;
  lastThrottle = -Infinity;
  lastRaise: number;
  lastDemand = -Infinity;
  constructor(
    readonly ceilBytes: number,
    readonly ceilRecords: number,
    readonly law: PacerLaw,
    now: number,
  ) {
    this.bytes = this.bytesCap;
    this.records = this.recordsCap;
    this.at = now;
    this.lastRaise = now;
    this.lastCut = now;
  }

  get bytesRate(): number {
    return this.ceilBytes * this.factor;
  }

  get recordsRate(): number {
    return this.ceilRecords * this.factor;
  }

  /** The factor onRate last heard. */
  reported = 1;
  /** Alone on the shard as far as it can tell: at the ceiling, nothing throttled for quietMs. */
  solo = true;

  get bytesCap(): number {
    return this.bytesRate * this.law.burstSeconds;
  }

  get recordsCap(): number {
    return Math.max(1, this.recordsRate * this.law.burstSeconds);
  }

  refill(now: number): void {
    const dt = (now - this.at) / 1000;
    if (dt <= 0) return;
    this.bytes = Math.min(this.bytesCap, this.bytes + dt * this.bytesRate);
    this.records = Math.min(this.recordsCap, this.records + dt * this.recordsRate);
    this.at = now;
  }

  /** Refills, then probes upward for the time the shard was in demand since the last look. True if raised. */
  settle(now: number): boolean {
    const dt = Math.min(this.law.busyWindowMs, now - this.lastRaise);
    let raised = false;
    if (dt > 0) {
      this.lastRaise = now;
      if (this.factor < 1 && now - this.lastDemand <= this.law.busyWindowMs) {
        const accel = Math.min(this.law.maxAccel, 1 + (now - this.lastCut) / 1000 / this.law.accelSeconds);
        this.factor = Math.min(1, this.factor + (this.law.increasePerSecond * accel * dt) / 1000);
        raised = true;
      }
    }
    this.solo = this.factor >= 1 && now - this.lastThrottle > this.law.quietMs;
    // After the raise: a full bucket is full at the new size (else a record waiting for a full bucket
    // would wait for ever while the rate creeps up).
    this.refill(now);
    return raised;
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
    private readonly law: PacerLaw = DEFAULT_LAW,
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
      b = new Bucket(this.ceilBytes, this.ceilRecords, this.law, now);
      this.buckets.set(shard, b);
      this.report(shard, b);
    } else if (b.settle(now) && (b.factor >= 1 || b.factor - b.reported >= REPORT_STEP)) this.report(shard, b);
    return b;
  }

  private report(shard: string, b: Bucket): void {
    b.reported = b.factor;
    this.onRate({ shard, bytesPerSecond: b.bytesRate, recordsPerSecond: b.recordsRate });
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
    const need = Math.min(size, b.bytesCap);
    const bytesOk = b.bytes >= need;
    const recordsOk = b.records >= 1;
    if (bytesOk && recordsOk) return 0;
    b.lastDemand = now; // demand above the allowance: the rate is what holds this shard back
    const needBytes = bytesOk ? 0 : need - b.bytes;
    const needRecords = recordsOk ? 0 : 1 - b.records;
    return Math.max(1, Math.ceil(Math.max((needBytes / b.bytesRate) * 1000, (needRecords / b.recordsRate) * 1000)));
  }

  /** A write for this shard was refused because of its rate: demand the rate did not let in. */
  demanded(shard: string, now: number): void {
    if (!this.enabled) return;
    this.bucket(shard, now).lastDemand = now;
  }

  /** Kinesis throttled a record of `size` bytes of this shard: its allowance back, and the rate cut (once per cooldown). */
  throttled(shard: string, now: number, size = 0): void {
    if (!this.enabled) return;
    const b = this.bucket(shard, now);
    // Kinesis did not take the record: the allowance reserved for it goes back (up to a full bucket), and
    // the cut below is what slows this replica down. Kept, it made the retry of a record bigger than the
    // bucket wait until its debt was paid off a second time (up to 0.35 s of the rate for a write's share
    // at a third of a shard): a write that met one throttle took 0.53 s at the median against 0.18 s
    // (simulation, 3 replicas), and those writes were the whole p99 of 204s (0.66 s; 0.39 s with the refund).
    if (size > 0) {
      b.bytes = Math.min(b.bytesCap, b.bytes + size);
      b.records = Math.min(b.recordsCap, b.records + 1);
    }
    // Isolated: alone at the ceiling and nothing throttled for quietMs (timing jitter). Below the ceiling the
    // shard is shared (it was cut before): every throttle is news of the others.
    const isolated = b.solo && now - b.lastThrottle > this.law.quietMs;
    b.lastThrottle = now;
    if (now - b.lastCut < this.law.cutCooldownMs) return;
    b.lastCut = now;
    b.solo = false;
    const depth = isolated ? 1 - this.law.decreaseIsolated : this.law.cutDepth * b.factor;
    b.factor = Math.max(this.law.floor, b.factor * (1 - depth));
    // Tokens saved at the old rate would be spent straight into the same throttling.
    b.bytes = Math.min(b.bytes, b.bytesCap);
    b.records = Math.min(b.records, b.recordsCap);
    this.report(shard, b);
  }

  /** Kinesis accepted a record of this shard. */
  accepted(shard: string, now: number): void {
    if (!this.enabled) return;
    this.bucket(shard, now);
  }

  /** Allowance (bytes) the shard has banked now: what can go at once. 0 without pacing. */
  available(shard: string, now: number): number {
    if (!this.enabled) return 0;
    return Math.max(0, this.bucket(shard, now).bytes);
  }

  /** Bytes/s this shard is paced to now (the ceiling for a shard not seen yet); Infinity without pacing. */
  bytesRate(shard: string, now?: number): number {
    if (!this.enabled) return Infinity;
    if (now !== undefined) return this.bucket(shard, now).bytesRate;
    return this.buckets.get(shard)?.bytesRate ?? this.ceilBytes;
  }

  /** Records/s this shard is paced to now; Infinity without pacing. */
  recordsRate(shard: string): number {
    if (!this.enabled) return Infinity;
    return this.buckets.get(shard)?.recordsRate ?? this.ceilRecords;
  }

  /**
   * A throttled record bigger than this (a quarter second of the shard's paced rate) is split before it
   * is retried: see PutOutcomes.retry (src/deliver/sender). Infinity without pacing.
   */
  splitAbove(shard: string): number {
    if (!this.enabled) return Infinity;
    return this.bytesRate(shard) * SPLIT_ABOVE_S;
  }

  /** Forgets shards no longer in use (after a reshard). */
  retain(shards: ReadonlySet<string>): void {
    for (const id of this.buckets.keys()) if (!shards.has(id)) this.buckets.delete(id);
  }
}
