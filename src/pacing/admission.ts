// Admission against the rate the shards take now (issue 11 "admission, not attrition"): a write is taken
// only if, on each shard it touches, what is queued ahead of it drains soon enough at the shard's current
// paced rate for the write to be answered within the latency target. Otherwise it is refused before any
// point is sent, and the refusal is demand the pacer hears (see ShardPacer.demanded).
import { SHARD_BYTES_PER_SECOND, SHARD_RECORDS_PER_SECOND, type ShardPacer } from './shard-pacer.js';

export interface AdmissionPart {
  group: string;
  /** The write's raw bytes for this shard. */
  bytes: number;
  /** Raw bytes of this shard admitted before it and not yet done. */
  backlog: number;
}

export interface AdmissionVerdict {
  refuse: boolean;
  /** When refused: seconds until the backlog that stands in the way has drained enough. */
  seconds: number;
  /** When admitted: estimated seconds until the write's last shard has drained it (at today's rates). */
  etaS: number;
}

export interface AdmissionPolicy {
  /** A write is admitted if its estimated drain (backlog ahead + its own bytes, at the current rate) is within this... */
  horizonS: number;
  /** ...or, for a write whose own share takes longer, if no more than this waits ahead of it... */
  minAheadS: number;
  /** ...and its own share drains within this (a share of the longest deadline a write can get). */
  deadlineS: number;
  /** A write's deadline: the delivery deadline, or longer for a write whose drain needs it (see deadlineMs). */
  deliveryTimeoutMs: number;
  maxDeadlineMs: number;
}

/**
 * A record's share of a shard's record limit, in bytes of its byte limit (1 MiB/s ÷ 1,000 records/s). With one
 * point per record (`none`), a point weighs at least this much in the backlog and in admission, so a write of
 * many small points is judged by the record limit that really bounds it, not by its few bytes.
 */
export const RECORD_SLOT_BYTES = SHARD_BYTES_PER_SECOND / SHARD_RECORDS_PER_SECOND;

/** The weight of a one-point record of `bytes` (see RECORD_SLOT_BYTES). */
export function recordWeight(bytes: number): number {
  return Math.max(bytes, RECORD_SLOT_BYTES);
}

/** Weights per group of one-point records (`groups[i]`'s point of `ends[i] - starts[i]` bytes), and their sum. */
export function weighRecords(groups: readonly string[], starts: readonly number[], ends: readonly number[]): { byGroup: Map<string, number>; bytes: number } {
  const byGroup = new Map<string, number>();
  let bytes = 0;
  for (let i = 0; i < groups.length; i++) {
    const w = recordWeight(ends[i] - starts[i]);
    bytes += w;
    byGroup.set(groups[i], (byGroup.get(groups[i]) ?? 0) + w);
  }
  return { byGroup, bytes };
}

/** Drain estimate that answers a write well inside 1 s (p99 of 204s, issue 11), with room for a rate cut. */
export const ADMIT_HORIZON_S = 0.25;
/**
 * The horizon while a shard is not overloaded (what writes offered it lately, taken or not, is below its rate:
 * OfferedRate). Writes come
 * in bursts, so a shard's backlog passes 0.25 s long before the stream is busy (issue 22: 25–32% of writes got
 * 503 at 0.57× capacity). bench:replicas --load, 1 replica, 4 shards, load average ~20, 503 share at 0.5× /
 * 0.8× capacity: 0.25 s 1.3% / 14.5%, 0.5 s 0% / 0.4%, 1 s 0% / 0%; switched by OfferedRate (a shard offered
 * 1.25× its rate is overloaded): 0% / 1.7%. Under overload the short horizon comes back, for issue 11's p99 of
 * 204s (at 2×, closed loop: 0.25 s 1.2 s, 0.5 s 0.9 s, 1 s 2.4 s, one noisy run each).
 */
export const CALM_HORIZON_S = 0.5;
/** Seconds over which OfferedRate averages what writes offer a shard. */
const OFFERED_WINDOW_S = 2;

/** Bytes per second that writes offered one shard lately (taken or refused; a resent write counts again). */
export class OfferedRate {
  private rate = 0;
  private at = 0;

  /** Adds a write's bytes for this shard at `now` (ms). */
  add(bytes: number, now: number): void {
    this.rate = this.at ? this.rate * Math.exp(-(now - this.at) / 1000 / OFFERED_WINDOW_S) : 0;
    this.at = now;
    this.rate += bytes / OFFERED_WINDOW_S;
  }

  /** The average at `now`. */
  get(now: number): number {
    return this.at ? this.rate * Math.exp(-(now - this.at) / 1000 / OFFERED_WINDOW_S) : 0;
  }
}
/**
 * Backlog a write waits behind when its own share takes the horizon or more (a replica's share of a shared
 * shard is a third of it: a 53 KB share then takes 0.15 s). Short, because what waits ahead is what a rate
 * cut stretches: in the simulation 0.2 s gave a p99 of 204s of 0.67 s with 3 replicas, 0.1 s gave 0.43 s
 * at the same goodput. 0.05 s: with clients whose writes lean on one shard (bench:replicas), a write heavy on
 * the shard every replica's writes lean on is refused sooner, and writes for the other shards get in
 * (simulation, 3 replicas, 40 seeds: goodput 84–99% → 92–100%, Jain 0.86–1.00 → 0.95–1.00, throttled
 * entries 2.0% → 2.6% on average).
 */
const MIN_AHEAD_S = 0.05;
/**
 * A write is admitted only if its estimated drain takes at most this share of its deadline: room for rate
 * cuts, a throttled record's retry, and a loaded machine (a write of ¾ of 4.5 s once missed it at load 7).
 */
const DEADLINE_SHARE = 2 / 3;
/** The answer must reach the client before its timeout: the deadline ends this long before it. */
const CLIENT_MARGIN_MS = 500;

/**
 * `clientTimeoutMs`: the clients' HTTP timeout (Telegraf's 5 s). A write whose estimated drain needs more
 * than the delivery deadline allows gets a deadline that grows with it, up to CLIENT_MARGIN_MS before the
 * client gives up: a large write that can be delivered is, instead of timing out at a fixed deadline.
 */
export function admissionPolicy(deliveryTimeoutMs: number, clientTimeoutMs = deliveryTimeoutMs): AdmissionPolicy {
  const maxDeadlineMs = Math.max(deliveryTimeoutMs, clientTimeoutMs - CLIENT_MARGIN_MS);
  const deadlineS = (maxDeadlineMs * DEADLINE_SHARE) / 1000;
  const baseS = (deliveryTimeoutMs * DEADLINE_SHARE) / 1000;
  return { horizonS: Math.min(ADMIT_HORIZON_S, baseS), minAheadS: Math.min(MIN_AHEAD_S, baseS / 4), deadlineS, deliveryTimeoutMs, maxDeadlineMs };
}

/**
 * The most raw bytes of one write a shard can ever take before the write's deadline: its ceiling for the
 * longest deadline a write can get. A write with more for one shard could never be delivered, whatever the
 * backlog: it gets 413, not a 503 the client would retry for ever. The one rule, before the body (on an
 * estimate) and after the parse (exactly).
 */
export function shardCapacityBytes(policy: AdmissionPolicy, ceilingBytesPerSecond: number): number {
  return ceilingBytesPerSecond * policy.deadlineS;
}

/** The deadline of an admitted write with this estimated drain: the delivery deadline, grown to fit it. */
export function deadlineMs(policy: AdmissionPolicy, etaS: number): number {
  return Math.round(Math.min(policy.maxDeadlineMs, Math.max(policy.deliveryTimeoutMs, (etaS * 1000) / DEADLINE_SHARE)));
}

/** The verdict for a write with these shares of shards; marks the shards that refused it as in demand. */
export function admissionWait(parts: Iterable<AdmissionPart>, pacer: ShardPacer, now: number, policy: AdmissionPolicy): AdmissionVerdict {
  let waitS = 0;
  let etaS = 0;
  for (const p of parts) {
    const rate = pacer.bytesRate(p.group, now);
    const ahead = Math.max(0, p.backlog - pacer.available(p.group, now)) / rate;
    const own = p.bytes / rate;
    etaS = Math.max(etaS, ahead + own);
    const over = Math.max(ahead - Math.max(policy.minAheadS, policy.horizonS - own), ahead + own - policy.deadlineS);
    if (over > 0) {
      pacer.demanded(p.group, now);
      waitS = Math.max(waitS, over);
    }
  }
  return { refuse: waitS > 0, seconds: waitS, etaS };
}
