// Checks that fail startup in a second with one line naming the setting to fix, before anything starts:
// the TLS files, the HTTP port, the embedded emulator's port, and AWS credentials. Later failures of the same
// kind (a port taken in between, Kinesis unreachable) get one line too, from describeStartupError.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Settings } from './config/types.js';
import { KinesisUnreachableError } from './deliver/errors.js';
import { EmulatorPortTakenError } from './emulator/kinesis-local.js';

/** A startup failure the user fixes with a setting; the CLI prints its message as one line and exits 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const httpPortTaken = (host: string, port: number): StartupError =>
  new StartupError(`port ${port} on ${host} is already in use (KINFLUX_PORT): stop what holds it, or set KINFLUX_PORT to a free port`);

const embeddedPortTaken = (port: number): StartupError =>
  new StartupError(
    `port ${port} on 127.0.0.1 is already in use (KINFLUX_EMBEDDED_PORT): kinflux starts its own emulator and never uses one it did not start; stop what holds the port, or set KINFLUX_EMBEDDED_PORT to a free port`,
  );

/** Resolves when host:port can be listened on now; the error code (EADDRINUSE, EACCES…) otherwise. */
function probeListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

function readSettingFile(env: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StartupError(`${env}: cannot read ${JSON.stringify(path)} (${code}): give the path of a PEM file kinflux can read`);
  }
}

/**
 * The certificate, its key and the client CA, read and matched as the HTTPS server will: a missing file, a file
 * that holds no PEM certificate or key, or a key of another certificate is one line naming the setting.
 */
export function checkTls(settings: Settings): void {
  const tls = settings.http.tls;
  if (!tls) return;
  const cert = readSettingFile('KINFLUX_TLS_CERT', tls.certFile);
  const key = readSettingFile('KINFLUX_TLS_KEY', tls.keyFile);
  const ca = tls.clientCaFile ? readSettingFile('KINFLUX_TLS_CLIENT_CA', tls.clientCaFile) : undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new StartupError(`KINFLUX_TLS_CERT: ${JSON.stringify(tls.certFile)} holds no PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new StartupError(`KINFLUX_TLS_KEY: ${JSON.stringify(tls.keyFile)} holds no unencrypted PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new StartupError('KINFLUX_TLS_KEY is not the key of the certificate in KINFLUX_TLS_CERT: give the key the certificate was issued for');
  }
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new StartupError(`KINFLUX_TLS_CLIENT_CA: ${JSON.stringify(tls.clientCaFile)} holds no PEM certificate`);
    }
  }
  try {
    createSecureContext({ cert, key, ca, minVersion: tls.minVersion, ciphers: tls.ciphers });
  } catch (err) {
    throw new StartupError(`KINFLUX_TLS_CERT / KINFLUX_TLS_KEY: OpenSSL refuses them: ${(err as Error).message}`);
  }
}

export async function checkHttpPort(settings: Settings): Promise<void> {
  const { host, port } = settings.http;
  if (port === 0) return;
  const code = await probeListen(host, port);
  if (code === 'EADDRINUSE') throw httpPortTaken(host, port);
  if (code === 'EACCES') throw new StartupError(`port ${port} on ${host} needs privileges kinflux lacks (KINFLUX_PORT): use a port above 1023`);
  if (code === 'EADDRNOTAVAIL') throw new StartupError(`${host} is not an address of this machine (KINFLUX_HOST)`);
}

export async function checkEmbeddedPort(settings: Settings): Promise<void> {
  if (!settings.embedded) return;
  if ((await probeListen('127.0.0.1', settings.embeddedPort)) === 'EADDRINUSE') throw embeddedPortTaken(settings.embeddedPort);
}

/**
 * Resolves the AWS credential chain once. Without it a missing credential shows up as "Kinesis unreachable"
 * only after KINFLUX_STARTUP_TIMEOUT_MS of retries.
 */
export async function checkCredentials(settings: Settings): Promise<void> {
  if (settings.embedded) return;
  // Loaded here, not at the top: the CLI imports this module before the heavy ones (see cli.ts).
  const { createKinesisClient } = await import('./deliver/kinesis/client.js');
  const client = createKinesisClient(settings.kinesis);
  try {
    await client.config.credentials();
  } catch (err) {
    // A network failure (STS unreachable for the role) is left to the startup retries; a missing or refused credential is not.
    const name = (err as Error)?.name ?? '';
    if (name !== 'CredentialsProviderError' && !/AccessDenied|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|UnrecognizedClient|InvalidIdentityToken/.test(name)) return;
    const detail = ((err as Error).message || String(err)).split('\n')[0];
    const role = settings.kinesis.roleArn ? ` and assume KINFLUX_ROLE_ARN` : '';
    throw new StartupError(
      `no usable AWS credentials${role}: ${detail}. Provide them through the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, web identity, instance or task role)`,
    );
  } finally {
    client.destroy();
  }
}

/** The one-line StartupError for a failure that has one, such as a port taken after the checks passed. */
export function describeStartupError(err: unknown, settings: Settings): StartupError | undefined {
  if (err instanceof StartupError) return err;
  if (err instanceof EmulatorPortTakenError) return embeddedPortTaken(err.port);
  if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') return httpPortTaken(settings.http.host, settings.http.port);
  if (err instanceof KinesisUnreachableError) {
    const where = settings.kinesis.endpoint
      ? `Kinesis at ${settings.kinesis.endpoint} (KINFLUX_KINESIS_ENDPOINT)`
      : `Kinesis in ${settings.kinesis.region ?? 'the default region'} (AWS_REGION)`;
    const reason = err.reason.split('\n')[0];
    return new StartupError(
      `cannot reach ${where} within KINFLUX_STARTUP_TIMEOUT_MS (${err.timeoutMs} ms): ${reason}; check the setting, that Kinesis runs there, and the network`,
    );
  }
  return undefined;
}
