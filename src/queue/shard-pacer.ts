// Per-shard token buckets against Kinesis' write limits (1 MiB/s and 1,000 records/s per shard),
// scaled by shardRateLimitPercent as the KPL's RateLimit does, so kinflux does not provoke throttling
// it can foresee. A bucket holds one second of allowance; a record bigger than the bucket is let
// through when the bucket is full, and the debt is paid by waiting.
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;
export const SHARD_RECORDS_PER_SECOND = 1000;

class Bucket {
  bytes: number;
  records: number;
  at: number;
  constructor(
    readonly bytesRate: number,
    readonly recordsRate: number,
    now: number,
  ) {
    this.bytes = bytesRate;
    this.records = recordsRate;
    this.at = now;
  }

  refill(now: number): void {
    const dt = (now - this.at) / 1000;
    if (dt <= 0) return;
    this.bytes = Math.min(this.bytesRate, this.bytes + dt * this.bytesRate);
    this.records = Math.min(this.recordsRate, this.records + dt * this.recordsRate);
    this.at = now;
  }
}

export class ShardPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly bytesRate: number;
  private readonly recordsRate: number;

  /** percent 0 disables pacing. */
  constructor(percent: number) {
    this.bytesRate = (SHARD_BYTES_PER_SECOND * percent) / 100;
    this.recordsRate = (SHARD_RECORDS_PER_SECOND * percent) / 100;
  }

  get enabled(): boolean {
    return this.bytesRate > 0;
  }

  /**
   * Takes allowance for one record of `size` bytes on `shard` and returns 0, or returns how many ms
   * to wait before it may go (taking nothing).
   */
  reserve(shard: string, size: number, now: number): number {
    if (!this.enabled) return 0;
    let b = this.buckets.get(shard);
    if (!b) {
      b = new Bucket(this.bytesRate, this.recordsRate, now);
      this.buckets.set(shard, b);
    }
    b.refill(now);
    const bytesOk = b.bytes >= Math.min(size, b.bytesRate);
    const recordsOk = b.records >= 1;
    if (bytesOk && recordsOk) {
      b.bytes -= size;
      b.records -= 1;
      return 0;
    }
    const needBytes = bytesOk ? 0 : Math.min(size, b.bytesRate) - b.bytes;
    const needRecords = recordsOk ? 0 : 1 - b.records;
    return Math.max(1, Math.ceil(Math.max((needBytes / b.bytesRate) * 1000, (needRecords / b.recordsRate) * 1000)));
  }
}
