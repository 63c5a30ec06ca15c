// Giving memory back after a burst. Request bodies are Buffers outside the V8 heap: they are freed only when a
// garbage collection finds their wrappers dead, and an idle process allocates too little to trigger one. So
// after a burst of bodies ends, one full collection is run on purpose, at most once per burst.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A full garbage collection; the first call enables the hook (the same one --expose-gc gives). */
export function collectGarbage(): void {
  if (!gc) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing) gc = existing;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}
