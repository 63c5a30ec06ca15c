// BatchWriter's growth: by half without a cap (the parser's: a hostile body that expands overshoots less); with a cap
// (OTLP's mapped-bytes bound) by doubling up to it, never past it but for the room one more write needs.
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
