// Runs the real kinflux (the compiled dist/cli.js, as `npm start` does) against a Kinesis endpoint, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { freePort } from '../../src/emulator/kinesis-local.js';
import { readStream, recordLines } from './kinesis-read.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface Kinflux {
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts kinflux and waits until /ready answers 200 (or the process exits). */
export async function startKinflux(env: Record<string, string>, opts: { waitReady?: boolean; args?: string[] } = {}): Promise<Kinflux> {
  const port = env.KINFLUX_PORT ? Number(env.KINFLUX_PORT) : await freePort();
  const proc = spawn(process.execPath, [CLI, ...(opts.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KINFLUX_HOST: '127.0.0.1',
      KINFLUX_PORT: String(port),
      KINFLUX_LOG_FORMAT: 'json',
      KINFLUX_LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  if (opts.waitReady !== false) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kinflux exited with ${proc.exitCode}:\n${out}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`kinflux not ready after 60 s:\n${out}`);
      }
      const ok = await fetch(`${url}/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    proc,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Environment pointing kinflux at a test emulator. */
export function emulatorEnv(endpoint: string, stream: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: '000000000000',
    AWS_SECRET_ACCESS_KEY: 'test',
    KINFLUX_KINESIS_ENDPOINT: endpoint,
    KINFLUX_STREAM: stream,
    ...extra,
  };
}

/** A client for the test's own reads and stream changes. */
export { localClient as testClient } from './kinesis-read.js';

/** Every line-protocol line stored in the stream, in shard-then-sequence order. */
export async function readLines(client: KinesisClient, stream: string): Promise<string[]> {
  return recordLines(await readStream(client, stream));
}

export async function createStream(client: KinesisClient, stream: string, shards = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  await waitFor(async () => (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE');
}

export async function deleteStream(client: KinesisClient, stream: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName: stream, EnforceConsumerDeletion: true }));
  await waitFor(async () =>
    client.send(new DescribeStreamSummaryCommand({ StreamName: stream })).then(
      () => false,
      (err: Error) => err.name === 'ResourceNotFoundException',
    ),
  );
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs = 30_000, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
