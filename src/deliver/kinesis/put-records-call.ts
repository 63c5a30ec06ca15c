// One PutRecords call through the port: a per-call timeout (and the sender's shutdown) aborts it, and the answer
// must have one entry per record (entries are matched to records by index).
import type { PutRecordsRequestEntry, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { KinesisPort } from './port.js';
import type { streamParams } from './stream-target.js';

/** Kinesis takes at most this many records in one PutRecords call. */
export const MAX_RECORDS_PER_REQUEST = 500;

export async function putRecordsCall(
  kinesis: KinesisPort,
  params: ReturnType<typeof streamParams>,
  records: PutRecordsRequestEntry[],
  timeoutMs: number,
  abort: AbortSignal,
): Promise<PutRecordsResultEntry[]> {
  // A controller per call: AbortSignal.any() on the sender's lifelong signal would keep every call's signal
  // reachable from it (nodejs/node#55351), a slow leak.
  const call = new AbortController();
  const onShutdown = (): void => call.abort(abort.reason);
  if (abort.aborted) onShutdown();
  abort.addEventListener('abort', onShutdown, { once: true });
  const timer = setTimeout(() => call.abort(new DOMException('PutRecords timed out', 'TimeoutError')), timeoutMs);
  let out;
  try {
    out = await kinesis.putRecords({ ...params, Records: records }, call.signal);
  } finally {
    clearTimeout(timer);
    abort.removeEventListener('abort', onShutdown);
  }
  const entries = out.Records ?? [];
  if (entries.length !== records.length) {
    throw Object.assign(new Error(`PutRecords answered ${entries.length} entries for ${records.length}`), { name: 'ResponseMismatch' });
  }
  return entries;
}
