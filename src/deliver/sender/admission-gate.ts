// Admission for one stream's sender: the glue between its queue, its pacer and the policy in
// src/pacing/admission.ts. A write is refused now, before any of its points is packed or sent, when the shards
// cannot take it soon enough at the rates they take now: 503 with Retry-After when the backlog stands in the
// way, 413 when even an empty shard at its ceiling could not take the write's share in time.
import type { DeliverySettings } from '../../config/types.js';
import type { ShardMap } from '../../encode/shard-map.js';
import { admissionPolicy, admissionWait, deadlineMs, type AdmissionPart, type AdmissionPolicy } from '../../pacing/admission.js';
import type { ShardPacer } from '../../pacing/shard-pacer.js';
import type { StreamQueue } from '../../queue/stream-queue.js';
import { DeliveryError, WriteTooLargeError, answer } from '../errors.js';

/** Telegraf's default HTTP timeout, when the settings do not name the clients' timeout. */
const TELEGRAF_TIMEOUT_MS = 5000;

export class AdmissionGate {
  private readonly policy: AdmissionPolicy;
  /** Each group's share of a write's encoded bytes lately, and encoded bytes per canonical body byte (saturated()). */
  private readonly shares = new Map<string, number>();
  private encodedPerBodyByte = 1;

  constructor(
    private readonly stream: string,
    settings: DeliverySettings,
    private readonly pacer: ShardPacer,
    private readonly queue: StreamQueue,
  ) {
    this.policy = admissionPolicy(settings.deliveryTimeoutMs, settings.clientTimeoutMs ?? TELEGRAF_TIMEOUT_MS);
  }

  /**
   * When a write would be refused by admission, say so before its body is read and parsed, taking it to
   * touch every shard (Telegraf's batches do) with `bodyBytes` spread as recent writes spread theirs (a
   * tenth less, so an estimate that errs refuses late rather than wrongly). Without a size: an empty write,
   * refused only where the backlog alone is past the horizon. Undefined otherwise, or without pacing.
   * (A write refused after parsing cost its read, parse and encode: at 16 writes/s on 4 shards most 503s
   * were of that kind, ~2–3 CPU-ms each; README "Pacing cost".)
   */
  saturated(groups: () => ShardMap, bodyBytes: number): DeliveryError | undefined {
    if (!this.pacer.enabled) return undefined;
    const map = groups();
    const now = Date.now();
    const est = bodyBytes * this.encodedPerBodyByte * 0.9;
    const parts = map.shards.map(({ shardId }) => ({ group: shardId, bytes: est * (this.shares.get(shardId) ?? 0), backlog: this.queue.backlog(shardId) }));
    const verdict = admissionWait(parts, this.pacer, now, this.policy);
    return verdict.refuse ? this.overloaded(verdict.seconds) : undefined;
  }

  /** Moving averages of how writes spread over the groups, and of their encoded size per body byte. */
  noteSpread(byGroup: ReadonlyMap<string, number>, bytes: number, bodyBytes: number): void {
    for (const [g, v] of this.shares) {
      if (v < 1e-4 && !byGroup.has(g)) this.shares.delete(g);
      else this.shares.set(g, v * 0.8);
    }
    for (const [g, w] of byGroup) this.shares.set(g, (this.shares.get(g) ?? 0) + (0.2 * w) / bytes);
    if (bodyBytes > 0) this.encodedPerBodyByte = this.encodedPerBodyByte * 0.8 + (0.2 * bytes) / bodyBytes;
  }

  /**
   * The verdict on a write with these raw bytes per shard: the refusal (503 `overloaded` or 413), or the
   * estimated seconds until its shards have drained it (0 without pacing).
   */
  admit(byGroup: ReadonlyMap<string, number>, bytes: number, points: number): Error | number {
    if (!this.pacer.enabled || points === 0) return 0;
    const deadlineS = this.policy.deadlineS;
    const ceiling = this.pacer.ceilingBytesPerSecond;
    const parts: AdmissionPart[] = [];
    for (const [group, w] of byGroup) {
      if (w > ceiling * deadlineS) {
        // The same mix of series, scaled down to what this shard can take within the deadline.
        const fitBytes = Math.floor((ceiling * deadlineS * bytes) / w);
        const fitLines = Math.max(1, Math.floor((points * ceiling * deadlineS) / w));
        return new WriteTooLargeError(
          this.stream,
          fitBytes,
          fitLines,
          `write too large to deliver within the ${this.policy.maxDeadlineMs} ms a write may wait: ${w} bytes of it go to one shard, ` +
            `which takes at most ${Math.floor(ceiling * deadlineS)} bytes in that time; send at most ${fitLines} lines (about ${fitBytes} bytes) per write`,
        );
      }
      parts.push({ group, bytes: w, backlog: this.queue.backlog(group) });
    }
    const verdict = admissionWait(parts, this.pacer, Date.now(), this.policy);
    return verdict.refuse ? this.overloaded(verdict.seconds) : verdict.etaS;
  }

  /** The deadline of an admitted write (admit()'s estimate): the delivery deadline, longer for a large write. */
  deadlineMs(etaS: number): number {
    return deadlineMs(this.policy, etaS);
  }

  /** The 503 of a write refused for the backlog: Retry-After when it will have drained enough. */
  private overloaded(seconds: number): DeliveryError {
    return answer(() => new DeliveryError('overloaded', this.stream, undefined, Math.max(1, Math.ceil(seconds))));
  }
}
