// Large bodies are parsed on a worker thread, so one request never holds the event loop: a body of
// KINFLUX_MAX_DECODED_BYTES (or one huge line) takes seconds of CPU, during which /ping and other
// requests must still be answered. The body and the batch's buffers move between the threads without
// a copy (transferred ArrayBuffers); only the few kept errors are cloned.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLines } from './parse.js';
import { LineSet } from './line-set.js';
import { JobThread } from './job-thread.js';
import { batchFromThread, batchViews, movableBuffer, transferable } from './thread-batch.js';
import { ParseScratch } from './state.js';
import type { LineError, ParseOptions, ParseResult } from './types.js';

/** Bodies smaller than this are parsed inline: a few ms at worst, less than a thread hop is worth. */
export const OFF_THREAD_BYTES = 1 << 20;

export interface ParseJob {
  readonly id: number;
  readonly body: ArrayBuffer;
  readonly length: number;
  readonly opts: ParseOptions;
}

interface ResultMessage {
  readonly id: number;
  readonly body: ArrayBuffer;
  /** The body's bytes at the start of `body` (its buffer may be a byte longer: a gzip body inflated into one buffer). */
  readonly length: number;
  readonly data: Uint8Array;
  readonly count: number;
  readonly starts: Uint32Array;
  readonly seriesLengths: Uint32Array;
  readonly measurementLengths: Uint32Array;
  readonly lines: Uint32Array;
  readonly errors: LineError[];
  readonly errorCount: number;
  readonly badLines: Uint8Array;
  readonly tooManyLines: boolean;
}

/** The parse result plus the body, which went to the parse thread and came back. */
export type BodyParse = ParseResult & { readonly body: Buffer };

/** Message and transfer list for a parse result (worker side). */
export function packResult(id: number, body: ArrayBuffer, length: number, r: ParseResult): { message: ResultMessage; transfer: ArrayBuffer[] } {
  const p = r.points;
  const bad = r.badLines instanceof LineSet ? r.badLines.bytes() : new Uint8Array(0);
  const message: ResultMessage = {
    id, body, length, data: p.data, count: p.count, starts: p.starts, seriesLengths: p.seriesLengths,
    measurementLengths: p.measurementLengths, lines: p.lines, errors: r.errors, errorCount: r.errorCount, badLines: bad, tooManyLines: r.tooManyLines,
  };
  return { message, transfer: [...transferable([...batchViews(p), bad], new Set([body]))] };
}

function unpack(m: ResultMessage): BodyParse {
  return {
    body: Buffer.from(m.body, 0, m.length),
    points: batchFromThread({ data: m.data, count: m.count, starts: m.starts, seriesLengths: m.seriesLengths, measurementLengths: m.measurementLengths, lines: m.lines }),
    errors: m.errors,
    errorCount: m.errorCount,
    badLines: new LineSet(m.badLines),
    tooManyLines: m.tooManyLines,
  };
}

const WORKER_FILE = fileURLToPath(new URL('./parse-worker.js', import.meta.url));

/** One parse thread, started on first use; jobs queue in its message port, one parse at a time. */
class ParseThread {
  private readonly thread = new JobThread<ResultMessage, BodyParse>('parse', WORKER_FILE, unpack, 128);

  parse(body: Buffer, opts: ParseOptions): Promise<BodyParse> {
    // The body moves to the thread (a view of part of a larger buffer is copied first).
    const own = movableBuffer(body);
    return this.thread.run((id) => ({ message: { id, body: own, length: body.length, opts } satisfies ParseJob, transfer: [own] }));
  }
}

/** The compiled worker exists in dist/; tests that run the TypeScript sources parse inline. */
const canOffload = existsSync(WORKER_FILE);

/**
 * parseLines for the write route: bodies of OFF_THREAD_BYTES or more on the parse thread (started on
 * first use), smaller ones inline with this thread's scratch. One per process, made by the route.
 */
export class BodyParser {
  private readonly scratch = new ParseScratch();
  private thread: ParseThread | undefined;

  async parse(body: Buffer, opts: ParseOptions): Promise<BodyParse> {
    if (body.length < OFF_THREAD_BYTES || !canOffload) return { ...parseLines(body, opts, this.scratch), body };
    this.thread ??= new ParseThread();
    return this.thread.parse(body, opts);
  }
}
