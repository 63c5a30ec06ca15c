// Admission against the rate the shards take now (issue 11 "admission, not attrition"): a write is taken
// only if, on each shard it touches, what is queued ahead of it drains soon enough at the shard's current
// paced rate for the write to be answered within the latency target. Otherwise it is refused before any
// point is sent, and the refusal is demand the pacer hears (see ShardPacer.demanded).
import type { ShardPacer } from './shard-pacer.js';

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
}

export interface AdmissionPolicy {
  /** A write is admitted if its estimated drain (backlog ahead + its own bytes, at the current rate) is within this... */
  horizonS: number;
  /** ...or, for a write whose own share takes longer, if no more than this waits ahead of it... */
  minAheadS: number;
  /** ...and its own share drains within this (a share of the delivery deadline). */
  deadlineS: number;
}

/** Drain estimate that answers a write well inside 1 s (p99 of 204s, issue 11), with room for a rate cut. */
export const ADMIT_HORIZON_S = 0.25;
const MIN_AHEAD_S = 0.2;
const DEADLINE_SHARE = 0.75;

export function admissionPolicy(deliveryTimeoutMs: number): AdmissionPolicy {
  const deadlineS = (deliveryTimeoutMs * DEADLINE_SHARE) / 1000;
  return { horizonS: Math.min(ADMIT_HORIZON_S, deadlineS), minAheadS: Math.min(MIN_AHEAD_S, deadlineS / 4), deadlineS };
}

/** The verdict for a write with these shares of shards; marks the shards that refused it as in demand. */
export function admissionWait(parts: Iterable<AdmissionPart>, pacer: ShardPacer, now: number, policy: AdmissionPolicy): AdmissionVerdict {
  let waitS = 0;
  for (const p of parts) {
    const rate = pacer.bytesRate(p.group, now);
    const ahead = Math.max(0, p.backlog - pacer.available(p.group, now)) / rate;
    const own = p.bytes / rate;
    const over = Math.max(ahead - Math.max(policy.minAheadS, policy.horizonS - own), ahead + own - policy.deadlineS);
    if (over > 0) {
      pacer.demanded(p.group, now);
      waitS = Math.max(waitS, over);
    }
  }
  return { refuse: waitS > 0, seconds: waitS };
}
