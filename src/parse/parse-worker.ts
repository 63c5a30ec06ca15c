// The parse thread: runs parseLines on bodies handed over by off-thread.ts and hands back the body and
// the batch's buffers (transferred, not copied).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { afterQuiet } from '../reclaim.js';
import { parseLines } from './parse.js';
import { packResult, type ParseJob } from './off-thread.js';
import { ParseScratch } from './state.js';

// On Linux a thread has its own nice value: this one yields the CPU to the event loop's thread, so a
// long parse on a busy machine delays /ping and small writes as little as possible. Best effort.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) setPriority(tid, 10);
} catch {
  // not Linux, or not allowed: the parse runs at the process's priority
}

/** Serves parse jobs on the port, with this thread's scratch. */
function serve(port: MessagePort): void {
  const scratch = new ParseScratch();
  // Each job is a body of 1 MiB or more: a second without one ends a burst, and this thread's heap is collected too.
  const reclaim = afterQuiet(1000);
  port.on('message', (job: ParseJob) => {
    const body = Buffer.from(job.body, 0, job.length);
    const result = parseLines(body, job.opts, scratch);
    const { message, transfer } = packResult(job.id, job.body, job.length, result);
    port.postMessage(message, transfer);
    reclaim.burst();
  });
}

if (parentPort !== null) serve(parentPort);
