// The remote_write thread: decodes the requests off-thread.ts hands over, with this thread's series-key cache, and
// hands back the points' buffers (transferred, not copied). It runs at the process's priority, unlike the parse
// thread: its jobs are the remote_write route's ordinary intake (Prometheus' batches), not the rare huge body.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { snappyDeclaredLength } from '../../decode/snappy.js';
import { afterQuiet } from '../../reclaim.js';
import { answer, type JobMessage } from './off-thread.js';
import { decodeRemoteWrite } from './request.js';
import { SeriesKeyCache } from './series-keys.js';

/** Bytes decoded since the last collection past which a quiet second collects this thread's heap (bodies, outputs). */
const RECLAIM_AFTER_BYTES = 4 << 20;

function serve(port: MessagePort): void {
  const seriesKeys = new SeriesKeyCache();
  let decoded = 0;
  const reclaim = afterQuiet(1000);
  port.on('message', (m: JobMessage) => {
    const raw = new Uint8Array(m.raw, 0, m.length);
    const { message, transfer } = answer(m.id, () => decodeRemoteWrite(raw, m.job, seriesKeys));
    port.postMessage(message, transfer);
    decoded += Math.max(m.length, snappyDeclaredLength(raw));
    if (decoded >= RECLAIM_AFTER_BYTES) { decoded = 0; reclaim.burst(); }
  });
}

if (parentPort !== null) serve(parentPort);
