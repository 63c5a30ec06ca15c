// Admission for one stream's sender: the glue between its queue, its pacer and the policy in
// src/pacing/admission.ts. A write is refused now, before any of its points is packed or sent, when the shards
// cannot take it soon enough at the rates they take now: 503 with Retry-After when the backlog stands in the
// way, 413 when even an empty shard at its ceiling could not take the write's share in time.
import type { DeliverySettings } from '../../config/types.js';
import type { ShardMap } from '../../encode/shard-map.js';
import { CALM_HORIZON_S, OfferedRate, admissionPolicy, admissionWait, deadlineMs, shardCapacityBytes, type AdmissionPart, type AdmissionPolicy } from '../../pacing/admission.js';
import type { ShardPacer } from '../../pacing/shard-pacer.js';
import type { StreamQueue } from '../../queue/stream-queue.js';
import { DeliveryError, WriteTooLargeError, answer } from '../errors.js';

/**
 * A shard counts as overloaded (the short horizon) once writes offer it this many times its rate: refused writes
 * come back, and clients' keys spread unevenly, so a hot shard sees more than its rate below 1× the stream's.
 */
const OVERLOAD = 1.25;

/** Telegraf's default HTTP timeout, when the settings do not name the clients' timeout. */
const TELEGRAF_TIMEOUT_MS = 5000;

export class AdmissionGate {
  private readonly policy: AdmissionPolicy;
  private readonly calmPolicy: AdmissionPolicy;
  /** What writes offered each shard lately (a refused one included: it is demand), for the horizon. */
  private readonly offered = new Map<string, OfferedRate>();
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
    this.calmPolicy = { ...this.policy, horizonS: Math.max(this.policy.horizonS, Math.min(CALM_HORIZON_S, this.policy.deadlineS / 2)) };
  }

  /** Whether every shard offered anything lately is offered less than its rate (the longer horizon applies). */
  private calmNow(now: number): boolean {
    for (const [group, o] of this.offered) if (o.get(now) >= OVERLOAD * this.pacer.bytesRate(group, now)) return false;
    return true;
  }

  /**
   * The policy for a write to these shards, whose shares are added to what each was offered lately: the longer
   * horizon (pacing/admission.ts CALM_HORIZON_S) while every one of them is offered less than its rate.
   */
  private policyFor(parts: readonly AdmissionPart[], now: number): AdmissionPolicy {
    let calm = true;
    for (const p of parts) {
      let o = this.offered.get(p.group);
      if (!o) this.offered.set(p.group, (o = new OfferedRate()));
      o.add(p.bytes, now);
      if (o.get(now) >= OVERLOAD * this.pacer.bytesRate(p.group, now)) calm = false;
    }
    return calm ? this.calmPolicy : this.policy;
  }

  /**
   * When a write would be refused by admission, say so before its body is read and parsed, taking it to
   * touch every shard (Telegraf's batches do) with `bodyBytes` spread as recent writes spread theirs (a
   * tenth less, so an estimate that errs refuses late rather than wrongly). Without a size: an empty write,
   * refused only where the backlog alone is past the horizon. Undefined otherwise, or without pacing.
   * (A write refused after parsing cost its read, parse and encode: at 16 writes/s on 4 shards most 503s
   * were of that kind, ~2–3 CPU-ms each; README "Pacing cost".)
   */
  saturated(groups: () => ShardMap, bodyBytes: number): DeliveryError | WriteTooLargeError | undefined {
    if (!this.pacer.enabled) return undefined;
    const map = groups();
    const now = Date.now();
    const est = bodyBytes * this.encodedPerBodyByte * 0.9;
    const capacity = this.capacity();
    // Too large even spread evenly over every shard: never deliverable, whatever the backlog (413).
    const even = est / Math.max(1, map.shards.length);
    // Decided on the estimate a tenth small, but named on the whole one: the size the 413 names must fit.
    if (even > capacity) return this.tooLarge(even / 0.9, bodyBytes, 0, map.shards.length);
    const parts: AdmissionPart[] = [];
    for (const { shardId } of map.shards) {
      const bytes = est * (this.shares.get(shardId) ?? 0);
      // A share that only its size could get refused (it may be spread otherwise than recent writes): judged
      // exactly after the parse (413 or not), never a 503 here that would come again on every retry.
      if (bytes > capacity) continue;
      parts.push({ group: shardId, bytes, backlog: this.queue.backlog(shardId) });
    }
    // Not counted as offered here: a write that passes is counted after its parse, one refused here comes again.
    const verdict = admissionWait(parts, this.pacer, now, this.calmNow(now) ? this.calmPolicy : this.policy);
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
    const capacity = this.capacity();
    const parts: AdmissionPart[] = [];
    for (const [group, w] of byGroup) {
      if (w > capacity) return this.tooLarge(w, bytes, points);
      parts.push({ group, bytes: w, backlog: this.queue.backlog(group) });
    }
    const now = Date.now();
    const verdict = admissionWait(parts, this.pacer, now, this.policyFor(parts, now));
    return verdict.refuse ? this.overloaded(verdict.seconds) : verdict.etaS;
  }

  /** The deadline of an admitted write (admit()'s estimate): the delivery deadline, longer for a large write. */
  deadlineMs(etaS: number): number {
    return deadlineMs(this.policy, etaS);
  }

  /** Raw bytes of one write a shard can take before the longest deadline, at its ceiling (pacing/admission.ts). */
  private capacity(): number {
    return shardCapacityBytes(this.policy, this.pacer.ceilingBytesPerSecond);
  }

  /**
   * The 413 of a write with `w` bytes for one shard (of `bytes` in all, `points` points; 0: not parsed yet;
   * `evenOver`: the shard count, when `w` is an even spread), naming the same mix scaled down to what fits.
   */
  private tooLarge(w: number, bytes: number, points: number, evenOver = 0): WriteTooLargeError {
    const capacity = Math.floor(this.capacity());
    const fitBytes = Math.floor((capacity * bytes) / w);
    const fitLines = Math.max(1, Math.floor((points * capacity) / w));
    const send = points > 0 ? `send at most ${fitLines} lines (about ${fitBytes} bytes) per write` : `send at most about ${fitBytes} bytes per write`;
    return answer(
      () =>
        new WriteTooLargeError(
          this.stream,
          fitBytes,
          fitLines,
          `write too large to deliver within the ${this.policy.maxDeadlineMs} ms a write may wait: ` +
            (evenOver > 0 ? `spread evenly over all ${evenOver} shards, ${Math.round(w)} bytes of it would go to each` : `${Math.round(w)} bytes of it go to one shard`) +
            `, and a shard takes at most ${capacity} bytes in that time; ${send}`,
        ),
    );
  }

  /** The 503 of a write refused for the backlog: Retry-After when it will have drained enough. */
  private overloaded(seconds: number): DeliveryError {
    return answer(() => new DeliveryError('overloaded', this.stream, undefined, Math.max(1, Math.ceil(seconds)), { nothingSent: true }));
  }
}
