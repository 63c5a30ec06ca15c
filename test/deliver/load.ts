// Concurrent Telegraf-like clients for the fault tests: each submits 1,000-line requests one after
// another (pausing after a 503, as Telegraf waits for its next flush), and every line carries a
// unique `seq` field so the stream can be checked point by point afterwards.
import type { DeliveryEngine } from '../../src/deliver/engine.js';
import { batchFromLines } from '../encode/batch-from-lines.js';
import type { StoredRecord } from '../helpers/kinesis-read.js';
import { recordLines } from '../helpers/kinesis-read.js';
import { seqOf, telegrafLines } from './engine-setup.js';

export interface SubmitOutcome {
  /** Lines carry seq `${prefix}-${j}` for j < count (compact: the overload test makes thousands). */
  prefix: string;
  count: number;
  ok: boolean;
  reason?: string;
  startedAt: number;
  settledAt: number;
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  linesPerBatch?: number;
  tag: string;
  pauseAfterRejectMs?: number;
  /** Stop early when this returns true. */
  stop?: () => boolean;
  /**
   * Each client makes at least this many writes, even past durationMs: on a loaded machine a write can take the
   * whole duration, and a test that needs some acknowledged writes would see one per client.
   */
  minWritesPerClient?: number;
  /** Writing goes on past durationMs (at most a minute more) until this returns true: a fault seen often enough. */
  until?: () => boolean;
  /** Called with each outcome as it settles, for tests that wait on progress instead of sleeping. */
  onOutcome?: (o: SubmitOutcome) => void;
}

export interface LoadResult {
  outcomes: SubmitOutcome[];
  maxRssBytes: number;
  crashes: unknown[];
}

export async function runLoad(engine: DeliveryEngine, stream: string, o: LoadOptions): Promise<LoadResult> {
  const per = o.linesPerBatch ?? 1000;
  const pool = telegrafLines(per * 4, 11);
  const outcomes: SubmitOutcome[] = [];
  const crashes: unknown[] = [];
  let maxRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 100);
  const end = Date.now() + o.durationMs;
  await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      const more = (n: number): boolean =>
        Date.now() < end || n < (o.minWritesPerClient ?? 0) || (o.until !== undefined && !o.until() && Date.now() < end + 60_000);
      for (let n = 0; more(n) && !o.stop?.(); n++) {
        const prefix = `${o.tag}-${c}-${n}`;
        const lines = pool.slice(((n + c) % 4) * per, ((n + c) % 4) * per + per).map((l, j) => {
          const seq = `${prefix}-${j}`;
          const sp = l.lastIndexOf(' ');
          return `${l.slice(0, sp)},seq="${seq}"${l.slice(sp)}`;
        });
        const startedAt = Date.now();
        try {
          await engine.submit(stream, batchFromLines(lines));
          outcomes.push({ prefix, count: lines.length, ok: true, startedAt, settledAt: Date.now() });
          o.onOutcome?.(outcomes[outcomes.length - 1]!);
        } catch (err) {
          const reason = (err as { reason?: string }).reason;
          if (!reason) crashes.push(err);
          outcomes.push({ prefix, count: lines.length, ok: false, reason, startedAt, settledAt: Date.now() });
          o.onOutcome?.(outcomes[outcomes.length - 1]!);
          await new Promise((r) => setTimeout(r, o.pauseAfterRejectMs ?? 100));
        }
      }
    }),
  );
  clearInterval(sampler);
  return { outcomes, maxRssBytes: maxRss, crashes };
}

export interface Verdict {
  resolved: number;
  rejected: Record<string, number>;
  acknowledgedPoints: number;
  missing: number;
  storedPoints: number;
  duplicates: number;
}

/** Checks every point of every resolved submit against what the stream holds. */
export function verify(outcomes: readonly SubmitOutcome[], records: readonly StoredRecord[], filter: (o: SubmitOutcome) => boolean = () => true): Verdict {
  const stored = new Map<string, number>();
  for (const line of recordLines(records)) {
    const s = seqOf(line);
    if (s) stored.set(s, (stored.get(s) ?? 0) + 1);
  }
  let missing = 0;
  let acknowledged = 0;
  const rejected: Record<string, number> = {};
  let resolved = 0;
  for (const o of outcomes) {
    if (!o.ok) {
      rejected[o.reason ?? 'crash'] = (rejected[o.reason ?? 'crash'] ?? 0) + 1;
      continue;
    }
    if (!filter(o)) continue;
    resolved++;
    for (let j = 0; j < o.count; j++) {
      acknowledged++;
      if (!stored.has(`${o.prefix}-${j}`)) missing++;
    }
  }
  let duplicates = 0;
  for (const n of stored.values()) if (n > 1) duplicates += n - 1;
  return { resolved, rejected, acknowledgedPoints: acknowledged, missing, storedPoints: stored.size, duplicates };
}
