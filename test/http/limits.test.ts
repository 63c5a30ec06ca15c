// Limits that protect the process: lines per request, header size, slow clients.
import t from 'tap';
import { connect } from 'node:net';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';
import { send } from '../helpers/http.js';

const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
const kinflux = await startKinflux(
  emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_MAX_LINES: '100', KINFLUX_MAX_HEADER_BYTES: '4KiB', KINFLUX_REQUEST_TIMEOUT_MS: '1000' }),
);
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  await emulator.stop();
});

t.test('more lines than KINFLUX_MAX_LINES: 413 on both APIs', async (t) => {
  const body = Array.from({ length: 101 }, (_, i) => `m v=${i} ${i + 1}`).join('\n');
  const v1 = await send(kinflux.url, '/write?db=telegraf', body);
  t.equal(v1.status, 413);
  t.match(v1.json<{ error: string }>().error, /101 lines, more than the limit of 100/);
  const v2 = await send(kinflux.url, '/api/v2/write?bucket=b', body);
  t.equal(v2.status, 413);
  t.equal(v2.json<{ code: string }>().code, 'request too large');
  t.equal((await send(kinflux.url, '/write?db=telegraf', body.split('\n').slice(0, 100).join('\n'))).status, 204, '100 lines pass');
});

t.test('headers over KINFLUX_MAX_HEADER_BYTES: 431', async (t) => {
  const res = await send(kinflux.url, '/ping', undefined, { headers: { 'x-padding': 'a'.repeat(8 * 1024) } });
  t.equal(res.status, 431);
});

t.test('a slow client is cut off after KINFLUX_REQUEST_TIMEOUT_MS and the server carries on', async (t) => {
  const outcome = await new Promise<string>((resolve) => {
    const sock = connect(kinflux.port, '127.0.0.1', () => {
      // Promise a large body, send a few bytes, then stall.
      sock.write('POST /write?db=telegraf HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nm v=1');
    });
    let reply = '';
    sock.on('data', (b: Buffer) => (reply += b.toString()));
    sock.on('close', () => resolve(reply));
    sock.on('error', () => resolve(reply));
    setTimeout(() => {
      sock.destroy();
      resolve('still open after 10 s');
    }, 10_000);
  });
  t.match(outcome, /^HTTP\/1\.1 408|^$/, `closed by the server: ${JSON.stringify(outcome.slice(0, 40))}`);
  t.equal((await send(kinflux.url, '/write?db=telegraf', 'after v=1 1')).status, 204, 'still serving');
});
