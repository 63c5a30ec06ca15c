// BatchWriter's growth: by half without a cap (the parser's: a hostile body that expands overshoots less); with a cap
// (OTLP's mapped-bytes bound) by doubling up to it, or at once to what the lines the caller expects need, never past
// it but for the room one more write needs (a sixteenth more when the lines expected need more than the cap).
import t from 'tap';
import { BatchWriter } from '../../src/parse/out.js';

const sizes = (w: BatchWriter, writes: number[]): number[] => writes.map((n) => { w.ensure(n); w.pos += n; return w.data.length; });

t.test('no cap: grown by half', async (t) => {
  t.same(sizes(new BatchWriter(1000, 4), [1000, 1, 600, 1]), [1000, 1500, 2250, 2250]);
});

t.test('a cap: doubled up to it, then by half past it', async (t) => {
  t.same(sizes(new BatchWriter(1000, 4, 3000), [1000, 1, 1000, 1, 1500]), [1000, 2000, 3000, 3000, 4500]);
  t.same(sizes(new BatchWriter(1000, 4, 3000), [1000, 5000]), [1000, 6000], 'one large write: what it needs');
  t.same(sizes(new BatchWriter(1000, 4, 500), [1000, 1]), [1000, 1500], 'a cap under the first size: by half');
});

t.test('lines expected: grown at once to what they need at the average line so far (an eighth more), within the cap', async (t) => {
  const lines = (w: BatchWriter, n: number): void => { for (let i = 0; i < n; i++) { w.ensure(100); const s = w.pos; w.pos += 100; w.commit(s, 10, 1, 0); } };
  const w = new BatchWriter(1000, 4, 100_000);
  w.expectLines = 100;
  lines(w, 11);
  t.equal(w.data.length, 11_250, '100 lines × 100 bytes, and an eighth');
  const capped = new BatchWriter(1000, 4, 5000);
  capped.expectLines = 100;
  lines(capped, 11);
  t.equal(capped.data.length, 5312, 'more than the cap needed: the cap and a sixteenth (room for the point that crosses it)');
  const none = new BatchWriter(1000, 4);
  none.expectLines = 100;
  lines(none, 11);
  t.equal(none.data.length, 1500, 'no cap: by half, as before');
});
