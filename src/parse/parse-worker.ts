// The parse thread: runs parseLines on bodies handed over by off-thread.ts and hands back the body and
// the batch's buffers (transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { parseLines } from './parse.js';
import { packResult, type ParseJob } from './off-thread.js';

parentPort?.on('message', (job: ParseJob) => {
  const body = Buffer.from(job.body, 0, job.length);
  const result = parseLines(body, job.opts);
  const { message, transfer } = packResult(job.id, job.body, result);
  parentPort?.postMessage(message, transfer);
});
