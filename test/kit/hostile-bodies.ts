// Hostile line-protocol bodies, one generator per input class, for bench:hostile and the tests.
// Each returns a Buffer of about `size` bytes built from the class's worst pattern.
import { telegrafLines } from './telegraf-lines.js';

/** `unit` repeated to about `size` bytes (whole units). */
function fill(unit: string, size: number): Buffer {
  const one = Buffer.from(unit, 'latin1');
  const n = Math.max(1, Math.floor(size / one.length));
  const out = Buffer.allocUnsafe(n * one.length);
  for (let p = 0; p < out.length; p += one.length) one.copy(out, p);
  return out;
}

/** Distinct short keys: base-36 numbers, so no two share a name. */
const keys = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => prefix + i.toString(36));

/** One line of `n` distinct fields. */
const manyFields = (n: number): string => 'm ' + keys(n).map((k) => `${k}=1i`).join(',') + ' 1\n';
/** Tags in reverse order, keys padded so that they share a long prefix (worst for comparisons). */
const reverseTags = (n: number, pad: number): string => 'm,' + keys(n, 't').reverse().map((k) => `${'k'.repeat(pad)}${k.padStart(4, '0')}=v`).join(',') + ' f=1i 1\n';
/** Field keys of one length with the same first and last byte: they share the fast path's signature. */
const sameSig = (n: number): string => 'm ' + Array.from({ length: n }, (_, i) => `a${i.toString(36).padStart(6, '0')}z=1i`).join(',') + ' 1\n';

/** A body of about `size` bytes of one class. */
export type MakeBody = (size: number) => Buffer;

export const CLASSES: Record<string, MakeBody> = {
  'telegraf (baseline)': (size) => fill(telegrafLines(20000), size),
  'many fields, 20k per line': (size) => fill(manyFields(20000), size),
  'many fields, one line (cap)': (size) => Buffer.from('m ' + keys(Math.floor(size / 11)).map((k) => `${k}=1i`).join(',') + ' 1\n'),
  'fields sharing a signature': (size) => fill(sameSig(250), size),
  'duplicate fields': (size) => fill('m ' + 'a=1i,'.repeat(20000) + 'a=2i 1\n', size),
  'tags in reverse order (64 KB key)': (size) => fill(reverseTags(2500, 20), size),
  'tags in reverse order (too long)': (size) => fill(reverseTags(40000, 2), size),
  'long measurement (64 KB)': (size) => fill('m'.repeat(65000) + ' f=1i 1\n', size),
  'long field key': (size) => fill('m ' + 'k'.repeat(60000) + '=1i 1\n', size),
  'escape runs (measurement)': (size) => fill('m' + '\\ '.repeat(30000) + ' f=1i 1\n', size),
  'escape runs (string field)': (size) => fill('m f="' + 'a\\\\\\"'.repeat(20000) + '" 1\n', size),
  'escape runs (tag values)': (size) => fill('m,t=' + '\\,'.repeat(30000) + ' f=1i 1\n', size),
  'escape runs (field keys)': (size) => fill('m ' + Array.from({ length: 2000 }, (_, i) => `k\\ ${i}\\,=1i`).join(',') + ' 1\n', size),
  'quote runs': (size) => fill('m f=' + '"'.repeat(1000) + '\n', size),
  '= runs': (size) => fill('m f=' + '='.repeat(1000) + '\n', size),
  '= runs in tags': (size) => fill('m,t' + '='.repeat(1000) + ' f=1\n', size),
  'unterminated string': (size) => Buffer.concat([Buffer.from('m f="'), fill('abc\n', size)]),
  'unterminated strings, every line': (size) => fill('m f="abc\n', size),
  'long float': (size) => fill('m f=' + '1'.repeat(5000) + 'e\n', size),
  'long integer': (size) => fill('m f=' + '9'.repeat(5000) + 'i\n', size),
  'long timestamp': (size) => fill('m f=1 ' + '9'.repeat(5000) + '\n', size),
  'one-byte lines': (size) => fill('x\n', size),
  'many invalid lines': (size) => fill('m f=bad\n', size),
  'many tiny valid points': (size) => fill('a v=1\n', size),
  'tiny points needing rebuild': (size) => fill('a v=t\n', size),
  // Added with the per-byte work of issue 9: per-line costs that the classes above do not mix.
  'blank lines': (size) => fill('\n', size),
  'invalid and valid lines alternating': (size) => fill('m f=bad\na v=1i 1\n', size),
  'two invalid lines per valid one': (size) => fill('m f=bad\nm f=bad\na v=1i 1\n', size),
  'spaceless lines between tiny points': (size) => fill('x\nx\nx\na v=1\n', size),
};
