// Partition keys per point, by the configured method. Telegraf's outputs.kinesis rules for
// measurement / static / tag / random; `series` (the default) keeps a series on one shard, in order.
import { createHash, randomUUID } from 'node:crypto';
import type { PartitionKeyMethod } from '../config/types.js';
import type { PointBatch } from '../parse/types.js';
import { measurementOf, tagValueOf } from './point-access.js';

/** Kinesis accepts 1–256 Unicode characters. */
export const MAX_PARTITION_KEY_CHARS = 256;
/** Longest UTF-8 encoding of a legal key: sizes reserve this much when the key is not yet known. */
export const MAX_PARTITION_KEY_BYTES = MAX_PARTITION_KEY_CHARS * 4;

/**
 * Keeps a key within 256 characters. A longer key becomes a prefix plus `#` and the MD5 of the whole
 * key, so it is stable (same series → same key → same shard) and still readable.
 * Counts UTF-16 code units, which is never fewer than Unicode characters, so the result is always legal.
 */
export function boundPartitionKey(key: string): string {
  if (key.length === 0) return 'telegraf';
  if (key.length <= MAX_PARTITION_KEY_CHARS) return key;
  const digest = createHash('md5').update(key).digest('hex');
  let prefix = key.slice(0, MAX_PARTITION_KEY_CHARS - 1 - digest.length);
  // Do not leave half a surrogate pair at the cut.
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) prefix = prefix.slice(0, -1);
  return `${prefix}#${digest}`;
}

/** The `series` key of the series bytes `data[start .. start+len)`. */
export function seriesKeyOf(data: Buffer, start: number, len: number): string {
  return boundPartitionKey(data.toString('utf8', start, start + len));
}

export type PartitionKeyFn = (batch: PointBatch, i: number) => string;

/** Returns the key function for a method; the switch runs once, not per point. */
export function partitionKeyFunction(method: PartitionKeyMethod): PartitionKeyFn {
  switch (method.method) {
    case 'series':
      return (batch, i) => seriesKeyOf(batch.data, batch.starts[i], batch.seriesLengths[i]);
    case 'measurement':
      return (batch, i) => boundPartitionKey(measurementOf(batch, i));
    case 'static': {
      const key = boundPartitionKey(method.key);
      return () => key;
    }
    case 'tag': {
      // Telegraf: the tag's value, else the configured default, else "telegraf".
      const fallback = boundPartitionKey(method.default || 'telegraf');
      return (batch, i) => {
        const v = tagValueOf(batch, i, method.tag);
        return v ? boundPartitionKey(v) : fallback;
      };
    }
    case 'random':
      return () => randomUUID();
  }
}
