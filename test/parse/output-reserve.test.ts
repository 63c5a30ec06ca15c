// The parse output is reserved for the lines a body most likely holds, not for the worst case: V8 counts a
// Buffer's whole length as external memory, and a worst-case reserve (~1.6 MB for a 211 KB body) drove
// full collections at low write rates. Bodies that expand more than their first lines suggest still parse
// exactly as their parts do (the output grows).
import t from 'tap';
import { parseLines } from '../../src/parse/index.js';
import type { ParseOptions } from '../../src/parse/types.js';

const V1: ParseOptions = { precision: 'ns', receivedAtNs: 1735689600000000000n, allowUnsigned: false, allowCRLF: false };

const telegrafLike = (n: number): string =>
  Array.from({ length: n }, (_, i) => `cpu,host=web-${i % 50},cpu=cpu${i % 8} usage_user=${(i * 0.37).toFixed(2)},usage_system=${i % 97}i,usage_idle=97.5,usage_nice=0,usage_iowait=0.25,note="ok" 1735689600${String(i).padStart(9, '0')}`).join('\n') + '\n';

t.test('a Telegraf-like body: output and offset columns sized to what it holds', async (t) => {
  const body = Buffer.from(telegrafLike(1000));
  const r = parseLines(body, V1);
  t.equal(r.points.count, 1000);
  const used = r.points.data.length;
  t.ok(r.points.data.buffer.byteLength < 1.5 * used + 8192, `output buffer ${r.points.data.buffer.byteLength} bytes for ${used} written (the worst case reserved ${2 * body.length + 22 * Math.ceil(body.length / 6)})`);
  t.ok(r.points.starts.buffer.byteLength <= 4 * (1.5 * 1000 + 64), `offsets for ~1,000 points (${r.points.starts.buffer.byteLength} bytes)`);
});

t.test('bodies that expand past the estimate parse exactly as their parts', async (t) => {
  // First 8 KB: long lines (few lines per byte). Then: tiny lines without timestamps (each gains a 20-byte
  // timestamp), lines whose escapes the canonical form adds, `t` booleans written out.
  const head = telegrafLike(60);
  const tail = [
    Array.from({ length: 20_000 }, (_, i) => `m v=${i}`).join('\n'),
    Array.from({ length: 2_000 }, (_, i) => `m,k=a\\ b${i} s="x\\"y",b=t`).join('\n'),
    Array.from({ length: 2_000 }, (_, i) => `w,t=${i} f=1i`).join('\n'),
  ].join('\n') + '\n';
  const whole = parseLines(Buffer.from(head + tail), V1);
  const a = parseLines(Buffer.from(head), V1);
  const b = parseLines(Buffer.from(tail), V1);
  t.equal(whole.errorCount, 0);
  t.equal(whole.points.count, a.points.count + b.points.count);
  t.ok(whole.points.data.equals(Buffer.concat([a.points.data, b.points.data])), 'same canonical lines');
  const starts = [...a.points.starts.subarray(0, a.points.count), ...b.points.starts.map((s) => s + a.points.data.length)];
  t.same([...whole.points.starts], starts, 'same offsets');
  t.same([...whole.points.seriesLengths], [...a.points.seriesLengths, ...b.points.seriesLengths]);
});
