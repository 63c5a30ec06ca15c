// HTTPS with a certificate the test generates, and client-certificate verification.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';

const dir = mkdtempSync(join(tmpdir(), 'kinflux-tls-'));
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};
// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=kinflux test CA');
for (const name of ['server', 'client']) {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'telegraf'}`);
  const ext = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf '%s' "${name === 'server' ? 'subjectAltName=IP:127.0.0.1' : 'extendedKeyUsage=clientAuth'}" > ${ext}`]);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext);
}
const file = (f: string): Buffer => readFileSync(join(dir, f));

const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
const client = testClient(emulator.endpoint);
t.teardown(async () => {
  client.destroy();
  await emulator.stop();
});

function post(port: number, path: string, body: string, withClientCert: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: file('ca.pem'),
        ...(withClientCert ? { cert: file('client.pem'), key: file('client.key') } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits for /ping over HTTPS: the harness's readiness probe speaks plain HTTP. */
async function started(port: number, withClientCert: boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await post(port, '/ping', '', withClientCert).then((s) => s > 0, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('kinflux did not start with TLS');
}

t.test('HTTPS with the generated certificate', async (t) => {
  const k = await startKinflux(
    emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_TLS_CERT: join(dir, 'server.pem'), KINFLUX_TLS_KEY: join(dir, 'server.key') }),
    { waitReady: false },
  );
  t.teardown(() => k.stop('SIGKILL'));
  await started(k.port, false);
  t.equal(await post(k.port, '/write?db=telegraf', 'tls,host=a v=1 1', false), 204);
  t.ok((await readLines(client, 'metrics')).includes('tls,host=a v=1 1'));
});

t.test('client certificates required when KINFLUX_TLS_CLIENT_CA is set', async (t) => {
  const k = await startKinflux(
    emulatorEnv(emulator.endpoint, 'metrics', {
      KINFLUX_TLS_CERT: join(dir, 'server.pem'),
      KINFLUX_TLS_KEY: join(dir, 'server.key'),
      KINFLUX_TLS_CLIENT_CA: join(dir, 'ca.pem'),
    }),
    { waitReady: false },
  );
  t.teardown(() => k.stop('SIGKILL'));
  await started(k.port, true);
  t.equal(await post(k.port, '/write?db=telegraf', 'mtls,host=a v=1 1', true), 204, 'with a client certificate');
  const refused = await post(k.port, '/write?db=telegraf', 'mtls,host=b v=1 1', false).then(
    (status) => `status ${status}`,
    (err: Error) => err.message,
  );
  t.notMatch(refused, /^status 2/, `without one the handshake fails: ${refused}`);
});
