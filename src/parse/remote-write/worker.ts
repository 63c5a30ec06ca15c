// The remote_write thread: decodes the large requests off-thread.ts hands over, with this thread's series-key cache,
// and hands back the points' buffers (transferred, not copied). At nice 10, as the parse thread.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { afterQuiet } from '../../reclaim.js';
import { answer, type JobMessage } from './off-thread.js';
import { decodeRemoteWrite } from './request.js';
import { SeriesKeyCache } from './series-keys.js';
import { niceThisThread } from '../thread-priority.js';

niceThisThread();

/** Serves decode jobs on the port, with this thread's series-key cache. */
function serve(port: MessagePort): void {
  const seriesKeys = new SeriesKeyCache();
  // Each job is a body of 1 MiB or more: a second without one ends a burst, and this thread's heap is collected too.
  const reclaim = afterQuiet(1000);
  port.on('message', (m: JobMessage) => {
    const raw = new Uint8Array(m.raw, 0, m.length);
    const { message, transfer } = answer(m.id, () => decodeRemoteWrite(raw, m.job, seriesKeys));
    port.postMessage(message, transfer);
    reclaim.burst();
  });
}

if (parentPort !== null) serve(parentPort);
