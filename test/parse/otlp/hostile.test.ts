// The hostile OTLP classes of bench:hostile (test/kit/otlp-bodies.ts), converted as POST /v1/metrics does:
// each is answered (points, refused data points, 400 or 413), never an exception, within the bounds.
import t from 'tap';
import { OTLP_CLASSES } from '../../kit/otlp-bodies.js';
import { convertRequest } from '../../../src/parse/otlp/convert.js';

const limits = { maxPoints: 1_000_000, maxBytes: 128 << 20 };
for (const [name, c] of Object.entries(OTLP_CLASSES)) {
  t.test(name, async (t) => {
    const body = c.make(256 << 10);
    const r = convertRequest(body, c.encoding, 'prometheus-v2', limits);
    if (r.ok) {
      t.ok(r.points.count + r.mapped.rejected + r.mapped.skipped > 0, `${r.points.count} points, ${r.mapped.rejected} refused`);
      t.ok(r.points.data.length <= 16 * body.length + (8 << 20), 'mapped lines within the bound');
    } else {
      t.ok(r.status === 400 || r.status === 413, `${r.status}: ${r.message.slice(0, 120)}`);
    }
  });
}

t.test('a mapped size past the bound is 413, not a huge batch', async (t) => {
  const body = OTLP_CLASSES['otlp: 4,096-bucket histograms, 64 resource attributes'].make(1 << 20);
  const r = convertRequest(body, 'protobuf', 'prometheus-v2', limits);
  t.equal(r.ok ? 200 : r.status, 413);
});
