// What `kinflux read` prints for one record (pure): the payload found by its own magic bytes (gzip, zlib, KPL), whatever
// KINFLUX_COMPRESSION the reader's environment says, inflated within a bound and made terminal-safe.
import { gunzipSync, inflateSync } from 'node:zlib';
import { deaggregate, isKplAggregate } from './kpl-deaggregate.js';

export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
}

/**
 * Largest payload one record may inflate to when printed. kinflux's records hold at most 1 MiB before
 * compression; anything inflating past this is not a kinflux record, and a bomb must not take the reader's memory.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export type Compression = 'gzip' | 'zlib' | 'none';

/**
 * The compression a payload's first bytes announce: gzip's 1F 8B 08, or a zlib header (deflate, window ≤ 32 KiB,
 * no preset dictionary, check bits: 78 9C and its siblings). Line protocol can start like a zlib header (`x^`), so a
 * zlib guess that does not inflate is printed as it is.
 */
export function detectCompression(data: Buffer): Compression {
  if (data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08) return 'gzip';
  if (data.length >= 2 && (data[0] & 0x0f) === 8 && data[0] >> 4 <= 7 && (data[1] & 0x20) === 0 && ((data[0] << 8) | data[1]) % 31 === 0) return 'zlib';
  return 'none';
}

/**
 * Makes text safe for a terminal: C0 controls except newline and tab, DEL and C1 controls (ESC, BEL, CSI, OSC…)
 * are written as \xNN or \uNNNN, so a record cannot retitle, clear or reprogram the terminal that prints it.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const text = (b: Buffer): string => {
  const s = escapeControls(b.toString('utf8'));
  return s === '' || s.endsWith('\n') ? s : s + '\n';
};

export interface RecordView {
  /** `# <shard> seq=<n> key=<k> bytes=<n>[ gzip| zlib][ kpl=<user records>]`, one line. */
  readonly header: string;
  /** The payload's text, terminal-safe, ending in a newline (empty when not printed). */
  readonly payload: string;
  /** Why the payload is not printed (a bomb, broken gzip, a bad KPL aggregate). */
  readonly note?: string;
}

export function viewRecord(r: StoredRecord, maxBytes = MAX_INFLATED_BYTES): RecordView {
  let head = `# ${r.shardId} seq=${r.sequenceNumber} key=${escapeControls(r.partitionKey).replace(/\n/g, '\\n')} bytes=${r.data.length}`;
  let payload = r.data;
  const compression = detectCompression(r.data);
  if (compression !== 'none') {
    try {
      payload = compression === 'gzip' ? gunzipSync(r.data, { maxOutputLength: maxBytes }) : inflateSync(r.data, { maxOutputLength: maxBytes });
      head += ` ${compression}`;
    } catch (err) {
      const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
      if (tooBig) return { header: head + '\n', payload: '', note: `not printed: the payload inflates beyond ${maxBytes} bytes` };
      if (compression === 'gzip') return { header: head + '\n', payload: '', note: `not printed: cannot decompress as gzip: ${escapeControls((err as Error).message)}` };
      // Not zlib after all: text that happens to start like a zlib header.
    }
  }
  if (isKplAggregate(payload)) {
    const agg = deaggregate(payload);
    if (!agg.ok) return { header: head + '\n', payload: '', note: `not printed: ${agg.reason}` };
    return { header: `${head} kpl=${agg.records.length}\n`, payload: agg.records.map((u) => text(u.data)).join('') };
  }
  return { header: head + '\n', payload: text(payload) };
}

/** A header line, then the payload (or why it is not printed), terminal-safe. */
export function formatRecord(r: StoredRecord, maxBytes = MAX_INFLATED_BYTES): string {
  const v = viewRecord(r, maxBytes);
  return v.header + (v.note === undefined ? v.payload : `(${v.note})\n`);
}
