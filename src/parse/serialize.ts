// serializePoint: a typed point to its canonical line (without the newline), the inverse of
// parseLines + decodeLine. Throws for points line protocol cannot carry.
import type { FieldValue, Point } from './types.js';
import { escapeFieldKey, escapeMeasurement, escapeString, escapeTag, fieldKeyNeedsRaw } from './escape.js';
import { Byte, CANONICAL_FALSE, CANONICAL_TRUE, MAX_NS, MIN_NS, TIME_KEY, isTelegrafControl } from './grammar.js';

const l1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

function formatValue(v: FieldValue): string {
  switch (v.type) {
    case 'float': {
      if (!Number.isFinite(v.value)) throw new Error('NaN and Inf cannot be written');
      return Object.is(v.value, -0) ? '-0' : String(v.value);
    }
    case 'integer': return `${v.value}i`;
    case 'unsigned': return `${v.value}u`;
    case 'boolean': return v.value ? CANONICAL_TRUE : CANONICAL_FALSE;
    case 'string': return `"${escapeString(l1(v.value))}"`;
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`point cannot be written as line protocol: ${what}`);
}

const hasControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (isTelegrafControl(s.charCodeAt(i))) return true;
  return false;
};

/** Canonical line for p: tags sorted by escaped key bytes, minimal escapes, ns timestamp. */
export function serializePoint(p: Point): string {
  const m = l1(p.measurement);
  // Rules of src/parse/consumers.ts: no line form keeps these for both InfluxDB and Telegraf.
  check(!hasControl(m) && p.tags.every(([k, v]) => !hasControl(k) && !hasControl(v)) &&
    p.fields.every(([k, v]) => !hasControl(k) && !(v.type === 'string' && v.value.includes('\n'))), 'control character');
  const m0 = m.charCodeAt(0);
  check(m !== '' && !m.endsWith('\\') && m0 !== Byte.TAB && m0 !== Byte.NUL && m0 !== Byte.COMMENT, 'measurement');
  let line = escapeMeasurement(m);
  const tags = p.tags.map(([k, v]) => [escapeTag(l1(k)), escapeTag(l1(v))] as const);
  tags.sort((a, b) => Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1')));
  for (const [k, v] of tags) {
    check(k !== '' && v !== '' && !k.endsWith('\\') && !v.endsWith('\\') && k !== TIME_KEY, 'tag');
    line += `,${k}=${v}`;
  }
  check(p.fields.length > 0, 'no fields');
  line += ' ';
  p.fields.forEach(([k, v], i) => {
    const key = l1(k);
    check(key !== '' && key !== TIME_KEY && !fieldKeyNeedsRaw(key), 'field key');
    line += `${i > 0 ? ',' : ''}${escapeFieldKey(key)}=${formatValue(v)}`;
  });
  check(p.timestamp >= MIN_NS && p.timestamp <= MAX_NS, 'timestamp');
  return Buffer.from(`${line} ${p.timestamp}`, 'latin1').toString('utf8');
}
