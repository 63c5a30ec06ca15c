// A remote_write request body as the route receives it (snappy block) to points: the one function the route's
// remote_write thread and its inline fallback both run, with the route's bounds.
import { snappyDecode } from '../../decode/snappy.js';
import { decodeRequestV2, decodeWriteRequestV1, type MetricVersion, type RemoteWriteResult } from './remote-write.js';
import type { SeriesKeyCache } from './series-keys.js';

/**
 * Canonical line bytes a request may expand to, per byte of its decoded protobuf, past a floor of 4 MiB. Prometheus
 * sends one sample per series entry, so its lines are about as long as its protobuf (1×), and its batches
 * (max_samples_per_send) stay under the floor whatever their shape; a native histogram's buckets each become a
 * line in metric_version 2, and many samples of one series repeat its labels. Past it: 413, so a request byte
 * costs at most a few bytes of line writing (bench:hostile: every class ≤ 5× Prometheus-like requests).
 */
export const LINE_BYTES_PER_PROTOBUF_BYTE = 4;
const LINE_BYTES_FLOOR = 4 << 20;

/** The most bytes of lines a request whose protobuf is `decodedBytes` long may map to (past it: 413). */
export function maxOutputBytesFor(decodedBytes: number, maxDecodedBytes: number): number {
  return Math.min(2 * maxDecodedBytes, Math.max(LINE_BYTES_FLOOR, LINE_BYTES_PER_PROTOBUF_BYTE * decodedBytes));
}

/** What a request is decoded with: all of it crosses to the remote_write thread (structured clone). */
export interface RemoteWriteJob {
  readonly version: 1 | 2;
  readonly metricVersion: MetricVersion;
  readonly receivedAtNs: bigint;
  readonly maxPoints: number;
  /** KINFLUX_MAX_DECODED_BYTES: the snappy body's limit, and (with its length) the output's. */
  readonly maxDecodedBytes: number;
}

/**
 * Snappy, then the schema's decoder with the route's bounds. Throws SnappyError (400/413) or RemoteWriteError (400).
 * `seriesKeys`: the calling thread's cache of series met before (1.0).
 */
export function decodeRemoteWrite(raw: Uint8Array, job: RemoteWriteJob, seriesKeys: SeriesKeyCache): RemoteWriteResult & { readonly maxOutputBytes: number } {
  const body = snappyDecode(raw, job.maxDecodedBytes);
  const maxOutputBytes = maxOutputBytesFor(body.length, job.maxDecodedBytes);
  const opts = { metricVersion: job.metricVersion, receivedAtNs: job.receivedAtNs, maxPoints: job.maxPoints, maxOutputBytes, seriesKeys };
  return { ...(job.version === 2 ? decodeRequestV2(body, opts) : decodeWriteRequestV1(body, opts)), maxOutputBytes };
}
