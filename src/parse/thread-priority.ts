// On Linux a thread has its own nice value: a worker thread that parses or decodes large bodies yields the CPU to
// the event loop's thread, so a long job on a busy machine delays /ping and small writes as little as possible.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Lowers the calling thread's priority to nice 10. Best effort: elsewhere (not Linux, not allowed) nothing changes. */
export function niceThisThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: the thread runs at the process's priority
  }
}
