// The parse thread: runs parseLines on bodies handed over by off-thread.ts and hands back the body and
// the batch's buffers (transferred, not copied).
import { parentPort, type MessagePort } from 'node:worker_threads';
import { afterQuiet } from '../reclaim.js';
import { parseLines } from './parse.js';
import { packResult, type ParseJob } from './off-thread.js';
import { ParseScratch } from './state.js';
import { niceThisThread } from './thread-priority.js';

niceThisThread();

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
