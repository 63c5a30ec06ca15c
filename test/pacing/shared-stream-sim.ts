// A simulated clock for the control law: N replicas, each with its own ShardPacer and admission, share
// the shards of one stream that enforces Kinesis' limits (1 MiB/s and 1,000 records/s per shard, one
// second of burst), as the stand-in does. Each replica is driven by closed-loop clients that post
// writes spread over the shards (evenly, or as clientSplit says) and, on 503, wait Retry-After × U(0.5, 1) and resend. A replica
// seals a shard's record when nothing of that shard waits or is in flight and its allowance covers it (one
// record per shard per call, as with aggregation "lines"), paces it, and a throttled record goes back to the front of its
// line, in halves when it is bigger than ShardPacer.splitAbove (as StreamSender.retry does). It runs a minute of traffic in well under a second, so the law can be tuned and tested here
// and only confirmed with bench:replicas.
import { DEFAULT_LAW, ShardPacer, type PacerLaw } from '../../src/pacing/shard-pacer.js';
import { admissionPolicy, admissionWait } from '../../src/pacing/admission.js';
import { retryDelay } from '../../src/pacing/backoff.js';
import { hashKeyOf } from '../../src/encode/shard-map.js';
import { telegrafLineList } from '../kit/telegraf-lines.js';

/**
 * Each bench:replicas client's share of its writes per shard (4 shards, even hash ranges): client c names its
 * 64 hosts in its own domain (dc<c+1>), so its series hash unevenly (one shard takes 14–44% of a write).
 */
export function benchClientSplits(clients: number): number[][] {
  const lines = telegrafLineList(8000);
  return Array.from({ length: clients }, (_, c) => {
    const bytes = [0, 0, 0, 0];
    for (const line of lines) {
      const l = line.replaceAll('.dc1.', `.dc${c + 1}.`);
      const series = l.slice(0, l.search(/(?<!\\) /));
      bytes[Number(hashKeyOf(series) >> 126n)] += l.length + 1;
    }
    const total = bytes.reduce((a, b) => a + b, 0);
    return bytes.map((b) => b / total);
  });
}

export interface SimOptions {
  replicas: number;
  shards: number;
  clientsPerReplica: number;
  /** Instead: this many clients in all, client g on replica g % replicas (as bench:replicas spreads them). */
  clients?: number;
  writeBytes: number;
  seconds: number;
  /** Replica r takes traffic during [start, stop) seconds (default: the whole run). */
  active?: (replica: number) => { start: number; stop: number };
  latencyMs?: number;
  deliveryTimeoutMs?: number;
  seed?: number;
  /** Measured from this second on. */
  measureFrom?: number;
  /** Called every 100 ms with each replica's rate on shard 0 (share of the ceiling). */
  onSample?: (t: number, rates: number[], all: number[][]) => void;
  /** A throttled record above this many bytes (given the shard's paced rate) is split in two. */
  splitThrottled?: boolean;
  /** Largest record sealed. */
  recordMax?: number;
  law?: Partial<PacerLaw>;
  throttleRetryMs?: (attempt: number) => number;
  horizonS?: number;
  /** Mean extra time (uniform on [0, 2×]) before a client's next write arrives: upload, parse, scheduling. */
  clientDelayMs?: number;
  minAheadS?: number;
  /** Share of each write going to each shard for a replica's client (default: even). */
  clientSplit?: (replica: number, client: number) => number[];
  /** Hears every entry's outcome. */
  onEntry?: (replica: number, shard: number, bytes: number, ok: boolean, now: number, attempts: number) => void;
}

export interface SimResult {
  /** Entries sent and throttled per replica and shard (the whole run). */
  entriesBy: number[][];
  throttledBy: number[][];
  entries: number;
  throttled: number;
  latencies: number[];
  ok: number;
  refused: number;
  expired: number;
  ackedBytes: number[];
  acceptedBytes: number;
  capacityBytes: number;
  jain: number;
  goodput: number;
  throttledShare: number;
  p99: number;
  p50: number;
}

const CAP = 1024 * 1024;
const RECORD_MAX = 1024 * 1024;

interface Write {
  started: number;
  parts: number;
  done: boolean;
  replica: number;
  client: number;
  deadline: number;
}
interface Rec {
  bytes: number;
  holders: Write[];
  notBefore: number;
  attempts: number;
}
interface ShardState {
  open: Rec | undefined;
  line: Rec[];
  inflight: { rec: Rec; answerAt: number } | undefined;
  backlog: number;
}

export function simulate(o: SimOptions): SimResult {
  let seed = o.seed ?? 1;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const latency = o.latencyMs ?? 20;
  const timeout = o.deliveryTimeoutMs ?? 4000;
  const measureFrom = (o.measureFrom ?? 3) * 1000;
  const end = o.seconds * 1000;
  const policy = { ...admissionPolicy(timeout), ...(o.horizonS ? { horizonS: o.horizonS } : {}), ...(o.minAheadS !== undefined ? { minAheadS: o.minAheadS } : {}) };
  const standin = Array.from({ length: o.shards }, () => ({ bytes: CAP, records: 1000, at: 0 }));
  const shardIds = Array.from({ length: o.shards }, (_, i) => `shard-${i}`);
  const reps = Array.from({ length: o.replicas }, (_, r) => ({
    pacer: new ShardPacer(100, undefined, { ...DEFAULT_LAW, ...o.law }),
    shards: shardIds.map((): ShardState => ({ open: undefined, line: [], inflight: undefined, backlog: 0 })),
    clients: Array.from({ length: o.clients !== undefined ? Math.ceil((o.clients - r) / o.replicas) : o.clientsPerReplica }, (_, c) => ({
      nextAt: random() * 200,
      busy: false,
      parts: (o.clientSplit?.(r, c) ?? shardIds.map(() => 1 / o.shards)).map((f) => f * o.writeBytes),
    })),
    window: o.active?.(r) ?? { start: 0, stop: o.seconds },
  }));
  const res = { entriesBy: reps.map(() => shardIds.map(() => 0)), throttledBy: reps.map(() => shardIds.map(() => 0)), entries: 0, throttled: 0, latencies: [] as number[], ok: 0, refused: 0, expired: 0, ackedBytes: reps.map(() => 0), acceptedBytes: 0 };

  const standinAdmit = (i: number, size: number, now: number): boolean => {
    const s = standin[i];
    const dt = (now - s.at) / 1000;
    s.at = now;
    s.bytes = Math.min(CAP, s.bytes + dt * CAP);
    s.records = Math.min(1000, s.records + dt * 1000);
    if (s.bytes < size || s.records < 1) return false;
    s.bytes -= size;
    s.records -= 1;
    return true;
  };
  const finish = (w: Write, now: number, ok: boolean): void => {
    if (w.done) return;
    w.done = true;
    const c = reps[w.replica].clients[w.client];
    c.busy = false;
    c.nextAt = now + (o.clientDelayMs ?? 0) * random() * 2 + (ok ? 0 : 1000 * (0.5 + random() * 0.5));
    if (w.started < measureFrom) return;
    if (ok) {
      res.ok++;
      res.latencies.push(now - w.started);
      res.ackedBytes[w.replica] += o.writeBytes;
    } else res.expired++;
  };

  const live: Write[] = [];
  for (let now = 0; now < end; now++) {
    for (let r = 0; r < reps.length; r++) {
      const rep = reps[r];
      const active = now >= rep.window.start * 1000 && now < rep.window.stop * 1000;
      // Clients.
      for (let c = 0; c < rep.clients.length; c++) {
        const cl = rep.clients[c];
        if (!active || cl.busy || cl.nextAt > now) continue;
        const wait = admissionWait(
          shardIds.map((id, i) => ({ group: id, bytes: cl.parts[i], backlog: rep.shards[i].backlog })),
          rep.pacer,
          now,
          policy,
        );
        if (wait.refuse) {
          cl.nextAt = now + Math.max(1, Math.ceil(wait.seconds)) * 1000 * (0.5 + random() * 0.5);
          if (now >= measureFrom) res.refused++;
          continue;
        }
        const w: Write = { started: now, parts: o.shards, done: false, replica: r, client: c, deadline: now + timeout };
        cl.busy = true;
        live.push(w);
        for (let i = 0; i < rep.shards.length; i++) {
          const s = rep.shards[i];
          const part = cl.parts[i];
          if (part <= 0) {
            w.parts--;
            continue;
          }
          s.backlog += part;
          if (!s.open) s.open = { bytes: 0, holders: [], notBefore: 0, attempts: 0 };
          s.open.bytes += part;
          s.open.holders.push(w);
          if (s.open.bytes >= (o.recordMax ?? RECORD_MAX) * 0.9) {
            s.line.push(s.open);
            s.open = undefined;
          }
        }
      }
      // Shards: answers, sealing, pacing.
      for (let i = 0; i < rep.shards.length; i++) {
        const s = rep.shards[i];
        const id = shardIds[i];
        if (s.inflight && s.inflight.answerAt <= now) {
          const { rec } = s.inflight;
          s.inflight = undefined;
          if (now >= measureFrom) res.entries++;
          res.entriesBy[r][i]++;
          const admitted = standinAdmit(i, rec.bytes, now - Math.floor(latency / 2));
          o.onEntry?.(r, i, rec.bytes, admitted, now, rec.attempts);
          if (admitted) {
            rep.pacer.accepted(id, now);
            if (now >= measureFrom) res.acceptedBytes += rec.bytes;
            s.backlog -= rec.bytes;
            for (const w of rec.holders) if (--w.parts === 0) finish(w, now, true);
          } else {
            if (now >= measureFrom) res.throttled++;
            res.throttledBy[r][i]++;
            rep.pacer.throttled(id, now, rec.bytes);
            rec.attempts++;
            rec.notBefore = now + (o.throttleRetryMs ? o.throttleRetryMs(rec.attempts) : retryDelay(true, rec.attempts, timeout, true, random));
            if (o.splitThrottled !== false && rec.bytes > rep.pacer.splitAbove(id) && rec.holders.length > 1) {
              // Halves by holders, as the sender splits a record by its points.
              const half = rec.holders.length >> 1;
              const share = rec.bytes / rec.holders.length;
              const a: Rec = { bytes: share * half, holders: rec.holders.slice(0, half), notBefore: rec.notBefore, attempts: rec.attempts };
              const b: Rec = { bytes: rec.bytes - a.bytes, holders: rec.holders.slice(half), notBefore: rec.notBefore, attempts: rec.attempts };
              s.line.unshift(a, b);
            } else s.line.unshift(rec);
          }
        }
        if (s.inflight) continue;
        // As StreamSender.sealDue: an open record is sealed when nothing of its shard waits or is in flight
        // and the allowance covers it; until then it keeps filling.
        if (s.line.length === 0 && s.open && rep.pacer.waitFor(id, s.open.bytes, now) === 0) {
          s.line.push(s.open);
          s.open = undefined;
        }
        const head = s.line[0];
        if (!head || head.notBefore > now) continue;
        if (rep.pacer.reserve(id, head.bytes, now) > 0) continue;
        s.line.shift();
        s.inflight = { rec: head, answerAt: now + latency + Math.floor(random() * 4) };
      }
    }
    if (now % 100 === 0) {
      for (let k = live.length - 1; k >= 0; k--) {
        const w = live[k];
        if (w.done) live.splice(k, 1);
        else if (w.deadline <= now) {
          finish(w, now, false);
          live.splice(k, 1);
        }
      }
      o.onSample?.(
        now,
        reps.map((rep) => rep.pacer.bytesRate(shardIds[0]) / CAP),
        reps.map((rep) => shardIds.map((id) => rep.pacer.bytesRate(id) / CAP)),
      );
    }
  }
  const sum = res.ackedBytes.reduce((a, b) => a + b, 0);
  const jain = sum ** 2 / (res.ackedBytes.length * res.ackedBytes.reduce((a, b) => a + b * b, 0) || 1);
  const capacityBytes = (CAP * o.shards * (end - measureFrom)) / 1000;
  const sorted = [...res.latencies].sort((a, b) => a - b);
  return {
    ...res,
    capacityBytes,
    jain,
    goodput: res.acceptedBytes / capacityBytes,
    throttledShare: res.throttled / Math.max(1, res.entries),
    p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN,
    p50: sorted[Math.floor(sorted.length * 0.5)] ?? NaN,
  };
}
