// HTTPS with a certificate the test generates, and client-certificate verification.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { CLI, emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';

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

t.test('TLS 1.2+ with forward-secret AEAD suites only: openssl s_client is refused CBC-SHA1, static RSA and TLS 1.1', async (t) => {
  const k = await startKinflux(
    emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_TLS_CERT: join(dir, 'server.pem'), KINFLUX_TLS_KEY: join(dir, 'server.key') }),
    { waitReady: false },
  );
  t.teardown(() => k.stop('SIGKILL'));
  await started(k.port, false);
  // @SECLEVEL=0 lets the client offer what OpenSSL 3 would not: the refusal must come from kinflux.
  const handshake = (...args: string[]): { ok: boolean; out: string } => {
    const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${k.port}`, '-servername', '127.0.0.1', ...args], { input: '', encoding: 'utf8', timeout: 20_000 });
    const out = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0 && /Cipher is (?!\(NONE\))/.test(out), out };
  };
  const refused: string[][] = [
    ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'],
    ['-tls1_2', '-cipher', 'AES128-SHA:@SECLEVEL=0'],
    ['-tls1_2', '-cipher', 'AES128-GCM-SHA256:@SECLEVEL=0'],
    ['-tls1_2', '-cipher', 'AES256-SHA256:@SECLEVEL=0'],
    ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA256:@SECLEVEL=0'],
    ['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0'],
    ['-tls1', '-cipher', 'ALL:@SECLEVEL=0'],
  ];
  for (const args of refused) {
    const r = handshake(...args);
    t.notOk(r.ok, `refused: ${args.join(' ')}`);
  }
  const accepted: string[][] = [
    ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'],
    ['-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305'],
    ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384'],
    ['-tls1_3'],
  ];
  for (const args of accepted) {
    const r = handshake(...args);
    t.ok(r.ok, `accepted: ${args.join(' ')}${r.ok ? '' : `\n${r.out.slice(-400)}`}`);
  }
  t.equal(handshake('-tls1_2', '-cipher', 'ALL:@SECLEVEL=0').ok, true, 'a client offering everything gets a forward-secret AEAD suite');
  const all = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${k.port}`, '-tls1_2', '-cipher', 'ALL:@SECLEVEL=0'], { input: '', encoding: 'utf8', timeout: 20_000 });
  t.match(all.stdout, /Cipher is ECDHE-RSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)/);
});

t.test('KINFLUX_TLS_MIN_VERSION and KINFLUX_TLS_CIPHERS change it; a list OpenSSL refuses exits 2', async (t) => {
  const bad = spawnSync(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? '', KINFLUX_TLS_CIPHERS: 'NOT-A-CIPHER' }, encoding: 'utf8', timeout: 30_000 });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /KINFLUX_TLS_CIPHERS is not a cipher list OpenSSL accepts/);
  const k = await startKinflux(
    emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_TLS_CERT: join(dir, 'server.pem'), KINFLUX_TLS_KEY: join(dir, 'server.key'), KINFLUX_TLS_MIN_VERSION: 'TLSv1.3' }),
    { waitReady: false },
  );
  t.teardown(() => k.stop('SIGKILL'));
  await started(k.port, false);
  const v12 = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${k.port}`, '-tls1_2'], { input: '', encoding: 'utf8', timeout: 20_000 });
  t.not(v12.status, 0, 'TLS 1.2 refused with KINFLUX_TLS_MIN_VERSION=TLSv1.3');
});
