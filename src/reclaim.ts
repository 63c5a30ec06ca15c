// Giving memory back after a burst. Request bodies and parse outputs are Buffers outside the V8 heap: they are
// freed only when a garbage collection finds their wrappers dead, and an idle process allocates too little to
// trigger one. So after a burst ends, one full collection is run on purpose (http/body-budget.ts for the event
// loop's thread, parse/parse-worker.ts for the parse thread), at most once per burst.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc extension (what --expose-gc gives): no argument is a full collection. */
type Gc = (options?: { type?: 'major' | 'minor' }) => void;

/**
 * After the full collection, two scavenges (about a millisecond each), both measured on Node 20:
 * - SETTLE_MS later: V8 frees the dead ArrayBuffers on a background thread and takes them off its count of
 *   external memory (nodejs_external_memory_bytes, which its own heuristics use too) only at the next
 *   collection; in an idle process that is never, and the gauge kept showing the whole burst.
 * - SHRINK_MS later: a burst grows the young generation to its largest (32 MiB per thread, touched, so
 *   resident), and V8 shrinks it only in a collection that sees little allocation over its last 5 s.
 */
export const SETTLE_MS = 200;
export const SHRINK_MS = 6000;

let gc: Gc | undefined;

function hook(): Gc {
  if (!gc) {
    const existing = (globalThis as { gc?: Gc }).gc;
    if (existing) gc = existing;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc;
    }
  }
  return gc;
}

/** A full garbage collection now, then the scavenges that settle the count and shrink the young generation. */
export function collectGarbage(): void {
  const collect = hook();
  collect();
  setTimeout(() => collect({ type: 'minor' }), SETTLE_MS).unref();
  setTimeout(() => collect({ type: 'minor' }), SHRINK_MS).unref();
}

/**
 * Calls `reclaim` once no burst() came for `quietMs`: for a thread whose work arrives in bursts (the parse
 * thread), so the memory of the last burst goes back once it is over, and a steady load collects no more often
 * than V8 would.
 */
export function afterQuiet(quietMs: number, reclaim: () => void = collectGarbage): { burst(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    burst() {
      if (timer) timer.refresh();
      else {
        timer = setTimeout(() => {
          timer = undefined;
          reclaim();
        }, quietMs);
        timer.unref();
      }
    },
  };
}
