// The last step every write route shares: a write's points handed to delivery, counted, and a refusal turned
// into what the client must do (413: never send it again as it is; 503: send it again after Retry-After).
import { DeliveryError, WriteTooLargeError } from '../deliver/engine.js';
import type { PointBatch } from '../parse/types.js';
import type { RateLimitedWarning } from '../log/rate-limited-warning.js';
import type { HttpDeps } from './deps.js';

export type SubmitRefusal =
  | { readonly status: 413; readonly message: string; readonly maxBytes: number }
  | { readonly status: 503; readonly message: string; readonly retryAfter: number };

/**
 * Resolves once every point is in Kinesis (undefined), or with the refusal to answer; `noun` names the points.
 * Not itself async: the points are handed to delivery now (it encodes and packs them before returning), and only
 * their count waits for the answer. An async frame would keep the batch (the parse output, hundreds of KiB) alive
 * for the whole wait, long enough to be promoted and freed only by a full collection.
 */
export function submitPoints(
  deps: Pick<HttpDeps, 'metrics' | 'delivery'>,
  unavailable: RateLimitedWarning,
  stream: string,
  points: PointBatch,
  noun = 'points',
): Promise<SubmitRefusal | undefined> {
  if (points.count === 0) return Promise.resolve(undefined);
  const count = points.count;
  deps.metrics.pointsReceived.inc({ stream }, count);
  let delivered: Promise<void>;
  try {
    delivered = deps.delivery.submit(stream, points);
  } catch (err) {
    delivered = Promise.reject(err);
  }
  return answerOf(deps.metrics, unavailable, stream, count, noun, delivered);
}

async function answerOf(
  metrics: HttpDeps['metrics'],
  unavailable: RateLimitedWarning,
  stream: string,
  count: number,
  noun: string,
  delivered: Promise<void>,
): Promise<SubmitRefusal | undefined> {
  try {
    await delivered;
    return undefined;
  } catch (err) {
    if (err instanceof WriteTooLargeError) {
      metrics.pointsRejected.inc({ reason: 'write_too_large' }, count);
      return { status: 413, message: err.message, maxBytes: err.maxBytes };
    }
    if (!(err instanceof DeliveryError)) throw err;
    metrics.pointsRejected.inc({ reason: err.reason }, count);
    unavailable.note({ stream, reason: err.reason });
    // Refused before anything was packed, nothing was sent; otherwise records of this write may already be in
    // Kinesis (a PutRecords that answered too late, a partial batch), and the resend may duplicate them (README).
    const stored = err.nothingSent ? 'nothing was stored' : `${noun} may or may not be stored`;
    return { status: 503, message: `${stored}; send them again: ${err.message}`, retryAfter: err.retryAfterSeconds };
  }
}
