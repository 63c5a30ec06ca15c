// Probes tell outsiders little: an unauthenticated /health or /ready gives status and stream names only. The
// failure text (from AWS: account id, role name) is for callers with a valid token, or, with auth off, callers on
// this host; it is always in the log (stream-monitor's "stream down" entry).
import t from 'tap';
import { buildStubServer } from '../helpers/stub-server.js';
import type { StreamCheck } from '../../src/http/deps.js';

const AWS_TEXT =
  'AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/kinflux-writer/i-0abc is not authorized to perform: kinesis:PutRecords on resource: arn:aws:kinesis:eu-west-1:123456789012:stream/metrics';
const checks: StreamCheck[] = [
  { stream: 'metrics', status: 'fail', message: AWS_TEXT },
  { stream: 'app-metrics', status: 'pass', message: 'ACTIVE' },
];
const delivery = { health: () => checks, isReady: () => false };
const TOKEN = 'probe-token-0123456789abcdef';

t.test('auth on: without a valid token, names and statuses only; with one, the reasons', async (t) => {
  const app = buildStubServer({ KINFLUX_AUTH_TOKENS: TOKEN }, { delivery });
  await app.ready();
  t.teardown(() => app.close());
  for (const headers of [{}, { authorization: 'Token wrong' }]) {
    const health = await app.inject({ url: '/health', headers, remoteAddress: '127.0.0.1' });
    t.equal(health.statusCode, 503);
    t.notMatch(health.body, /123456789012|kinflux-writer|AccessDenied|ACTIVE/, 'no AWS text, not even from loopback');
    t.match(health.json(), { status: 'fail', message: /stream check failed: metrics/, checks: [{ name: 'metrics', status: 'fail' }, { name: 'app-metrics', status: 'pass' }] });
    const ready = await app.inject({ url: '/ready', headers });
    t.equal(ready.statusCode, 503);
    t.same(ready.json(), { status: 'not ready', checks: [{ name: 'metrics' }] });
  }
  const authed = await app.inject({ url: '/health', headers: { authorization: `Token ${TOKEN}` }, remoteAddress: '10.1.2.3' });
  t.match(authed.json(), { checks: [{ name: 'metrics', message: AWS_TEXT }] }, 'a valid token sees why');
  t.match(authed.json<{ message: string }>().message, /metrics: AccessDeniedException/);
  const readyAuthed = await app.inject({ url: '/ready', headers: { authorization: `Token ${TOKEN}` } });
  t.same(readyAuthed.json(), { status: 'not ready', checks: [{ name: 'metrics', message: AWS_TEXT }] });
});

t.test('auth off: the reasons only for callers on this host', async (t) => {
  const app = buildStubServer({}, { delivery });
  await app.ready();
  t.teardown(() => app.close());
  const remote = await app.inject({ url: '/health', remoteAddress: '203.0.113.7' });
  t.notMatch(remote.body, /123456789012|kinflux-writer|AccessDenied/);
  t.match(remote.json(), { checks: [{ name: 'metrics', status: 'fail' }] });
  const remoteReady = await app.inject({ url: '/ready', remoteAddress: '203.0.113.7' });
  t.notMatch(remoteReady.body, /123456789012/);
  for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    const res = await app.inject({ url: '/health', remoteAddress: local });
    t.match(res.json(), { checks: [{ name: 'metrics', message: AWS_TEXT }] }, local);
  }
});
