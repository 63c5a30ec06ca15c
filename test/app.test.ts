// Shutdown is bounded by KINFLUX_SHUTDOWN_TIMEOUT_MS whatever clients do, and every open request gets an
// answer: a slow upload still arriving at the deadline is answered 503 (Retry-After, Connection: close).
import t from 'tap';
import { connect } from 'node:net';
import { startKinesisLocal } from '../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from './helpers/kinflux.js';

t.test('SIGTERM during a slow upload: exit within the timeout, the client gets a 503', async (t) => {
  const emulator = await startKinesisLocal({ streams: { slow: 1 } });
  t.teardown(() => emulator.stop());
  const timeoutMs = 2000;
  // The request timeout alone would keep the upload going for 60 s.
  const k = await startKinflux(emulatorEnv(emulator.endpoint, 'slow', { KINFLUX_SHUTDOWN_TIMEOUT_MS: String(timeoutMs), KINFLUX_REQUEST_TIMEOUT_MS: '60000' }));
  t.teardown(() => k.stop('SIGKILL'));

  const socket = connect(k.port, '127.0.0.1');
  socket.on('error', () => undefined); // a reset after the answer is allowed
  let received = '';
  socket.on('data', (b: Buffer) => (received += b.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('POST /write?db=telegraf HTTP/1.1\r\nHost: kinflux\r\nContent-Length: 1000000\r\n\r\n');
  // A line every 100 ms: the upload would take hours.
  let i = 0;
  const drip = setInterval(() => {
    if (!socket.destroyed) socket.write(`slow,host=a v=${i++}i\n`);
  }, 100);
  t.teardown(() => clearInterval(drip));
  await new Promise((r) => setTimeout(r, 500));

  const t0 = Date.now();
  k.proc.kill('SIGTERM');
  const killer = setTimeout(() => k.proc.kill('SIGKILL'), timeoutMs + 10_000);
  const code = await k.exited;
  const took = Date.now() - t0;
  clearTimeout(killer);
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  clearInterval(drip);

  t.equal(code, 0, 'a clean exit');
  // The margin covers process exit and a loaded machine; without the bound it takes the 60 s request timeout.
  t.ok(took < timeoutMs + 2500, `exited ${took} ms after SIGTERM (timeout ${timeoutMs} ms)`);
  t.match(received, /^HTTP\/1\.1 503 /, 'the slow client got an answer');
  t.match(received, /retry-after: 2/i);
  t.match(received, /connection: close/i);
  t.match(received, /shutting down/);
  t.ok(socket.destroyed || socket.readableEnded, 'and its connection was closed');
  t.notMatch(k.output(), /already sent|FST_ERR_|"level":50/, 'the early answer logs no error afterwards');
  t.match(k.output(), /shutdown deadline: undelivered writes and unfinished requests were answered 503/);
});
