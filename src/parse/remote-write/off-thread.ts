// A large remote_write request is decoded (snappy, protobuf, Telegraf's mapping) on a thread of its own, not on the
// event loop's: KINFLUX_MAX_DECODED_BYTES of protobuf take seconds, during which /ping and other requests must still
// be answered. Prometheus' own batches (tens of KiB) decode inline: for them a thread hop cost more CPU than it
// saved (bench:remote-write, docs/performance.md). The raw body moves to the thread and the points' buffers move
// back (transferred); only counts and the few kept errors are cloned. Each side keeps its own series-key cache.
// Under the TypeScript sources (tests) there is no compiled worker and every request decodes inline, with the same
// function and bounds.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnappyError, snappyDeclaredLength } from '../../decode/snappy.js';
import { JobThread } from '../job-thread.js';
import { batchFromThread, batchViews, movableBuffer, transferable, type ThreadBatch } from '../thread-batch.js';
import { RemoteWriteError, type RemoteWriteResult } from './remote-write.js';
import { decodeRemoteWrite, type RemoteWriteJob } from './request.js';
import { SeriesKeyCache } from './series-keys.js';

export type DecodedRequest = RemoteWriteResult & { readonly maxOutputBytes: number };

export interface JobMessage {
  readonly id: number;
  /** The snappy body: raw[0, length). */
  readonly raw: ArrayBuffer;
  readonly length: number;
  readonly job: RemoteWriteJob;
}

/** Why a request was refused, as thrown on the thread. */
type Failure =
  | { readonly kind: 'snappy'; readonly status: 400 | 413; readonly message: string }
  | { readonly kind: 'remote_write'; readonly message: string }
  | { readonly kind: 'internal'; readonly message: string };

export type AnswerMessage =
  | { readonly id: number; readonly result: Omit<DecodedRequest, 'points'> & { readonly points: ThreadBatch } }
  | { readonly id: number; readonly failure: Failure };

/** The thread's answer to a job and its transfer list (worker side): the result, or the error it threw. */
export function answer(id: number, run: () => DecodedRequest): { message: AnswerMessage; transfer: ArrayBuffer[] } {
  try {
    const result = run();
    return { message: { id, result }, transfer: [...transferable(batchViews(result.points), new Set())] };
  } catch (err) {
    const failure: Failure = err instanceof SnappyError ? { kind: 'snappy', status: err.status, message: err.message }
      : err instanceof RemoteWriteError ? { kind: 'remote_write', message: err.message }
        : { kind: 'internal', message: err instanceof Error ? err.message : String(err) };
    return { message: { id, failure }, transfer: [] };
  }
}

/** The result on this side, or the thread's error thrown again as its own class. */
function unpack(m: AnswerMessage): DecodedRequest {
  if ('result' in m) return { ...m.result, points: batchFromThread(m.result.points) };
  const f = m.failure;
  if (f.kind === 'snappy') throw new SnappyError(f.status, f.message);
  if (f.kind === 'remote_write') throw new RemoteWriteError(f.message);
  throw new Error(`remote_write thread: ${f.message}`);
}

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));
/** The compiled worker exists in dist/; tests that run the TypeScript sources decode inline. */
const canOffload = existsSync(WORKER_FILE);

/** Requests that declare this many bytes of protobuf or more decode on the thread (as line protocol's parse thread). */
export const OFF_THREAD_BYTES = 1 << 20;

/** decodeRemoteWrite for the route: large requests on the remote_write thread (started on first use), others inline. One per process, made by the route. */
export class RemoteWriteDecoder {
  private thread: JobThread<AnswerMessage, DecodedRequest> | undefined;
  /** The inline path's series keys (the thread has its own). */
  private inlineKeys: SeriesKeyCache | undefined;

  /** `offThreadBytes`: the declared size from which a request goes to the thread (tests: 0). */
  constructor(private readonly offThreadBytes = OFF_THREAD_BYTES, private readonly offload = canOffload) {}

  /** A body that goes to the thread may move there: the caller does not read `raw` again. */
  decode(raw: Buffer, job: RemoteWriteJob): Promise<DecodedRequest> {
    if (!this.offload || snappyDeclaredLength(raw) < this.offThreadBytes) {
      try {
        return Promise.resolve(decodeRemoteWrite(raw, job, this.inlineKeys ??= new SeriesKeyCache()));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    // The main thread's heap bound, as when requests decoded there: a native histogram's buckets are held in JS
    // arrays while it is mapped, and every request that decoded there must decode here alike.
    this.thread ??= new JobThread<AnswerMessage, DecodedRequest>('remote_write', WORKER_FILE, unpack);
    // The body moves to the thread, copied first only when it is part of a larger buffer (it was copied always: up
    // to KINFLUX_MAX_BODY_BYTES more per request).
    const own = movableBuffer(raw);
    return this.thread.run((id) => ({ message: { id, raw: own, length: raw.length, job } satisfies JobMessage, transfer: [own] }));
  }
}
