// Issue 20, finding 6: permanent is 413, transient is 503. A body over KINFLUX_MAX_BODY_BYTES (or over the whole
// in-flight budget) got 503 + Retry-After from the early admission check once the stream was saturated, and
// Telegraf retried it for ever. Whatever admission says, such a body gets 413; a body that fits still gets the 503.
import t from 'tap';
import { DeliveryError } from '../../src/deliver/errors.js';
import { buildStubServer } from '../helpers/stub-server.js';
import { send } from '../helpers/http.js';

const app = buildStubServer(
  { KINFLUX_MAX_BODY_BYTES: '1MiB', KINFLUX_MAX_INFLIGHT_BODY_BYTES: '4MiB' },
  // A stream backlogged past admission: every write that could fit is refused early.
  { delivery: { saturated: () => new DeliveryError('overloaded', 'metrics', undefined, 33) } },
);
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(() => app.close());
const { port } = app.server.address() as { port: number };
const url = `http://127.0.0.1:${port}`;

const big = Buffer.alloc(2 << 20, 'a v=1i 1\n');

for (const path of ['/write?db=metrics', '/api/v2/write?bucket=metrics&org=o']) {
  t.test(`${path}: a body over the limit gets 413 while the stream is saturated`, async (t) => {
    const r = await send(url, path, big);
    t.equal(r.status, 413, r.text);
    t.equal(r.headers['retry-after'], undefined, 'no Retry-After: sending it again cannot help');
    const gz = await send(url, path, big, { headers: { 'content-encoding': 'gzip' } });
    t.equal(gz.status, 413, `gzip: ${gz.text}`);
  });
  t.test(`${path}: a body that fits still gets the early 503`, async (t) => {
    const r = await send(url, path, 'a v=1i 1\n');
    t.equal(r.status, 503, r.text);
    t.equal(r.headers['retry-after'], '33');
  });
}
