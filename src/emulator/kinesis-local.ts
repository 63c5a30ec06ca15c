// Starts the npm package kinesis-local (kinesis-mock, the engine inside LocalStack) as a child process.
// Used by `npm start` without AWS settings, and by the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';

export interface KinesisLocal {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Kills the emulator and waits for the exit. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT, for fault tests. */
  pause(): void;
  resume(): void;
}

/** Credentials kinesis-local accepts: it checks their shape, not their value. */
export const EMULATOR_CREDENTIALS = { accessKeyId: '000000000000', secretAccessKey: 'kinflux-local' };

export interface KinesisLocalOptions {
  /** Plain HTTP port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Streams created at startup, as name → shard count. */
  streams?: Record<string, number>;
  /** Milliseconds the emulator takes to create or delete a stream (its default is 500). */
  streamDurationMs?: number;
  logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  startTimeoutMs?: number;
}

const require = createRequire(import.meta.url);

// Loaded into the emulator: it exits once its parent is gone, so a killed kinflux or test leaves no orphan holding the port.
const EXIT_WITH_PARENT =
  'data:text/javascript,' +
  encodeURIComponent('const p=process.ppid;setInterval(()=>{try{process.kill(p,0)}catch{process.exit(0)}},1000).unref();');

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startKinesisLocal(opts: KinesisLocalOptions = {}): Promise<KinesisLocal> {
  const pkgDir = dirname(require.resolve('kinesis-local/package.json'));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || (await freePort());
  const tlsPort = await freePort();
  const dur = `${opts.streamDurationMs ?? 200}ms`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(port),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    // kinesis-local loads its TLS certificate relative to the working directory unless told where it is.
    KINESIS_MOCK_CERT_PATH: join(pkgDir, 'server.json'),
    INITIALIZE_STREAMS: Object.entries(opts.streams ?? {})
      .map(([name, shards]) => `${name}:${shards}`)
      .join(','),
    CREATE_STREAM_DURATION: dur,
    DELETE_STREAM_DURATION: dur,
    LOG_LEVEL: opts.logLevel ?? 'WARN',
    ROOT_LOG_LEVEL: 'ERROR',
    SHOULD_PERSIST_DATA: 'false',
    AWS_REGION: 'us-east-1',
  };
  if (!env.INITIALIZE_STREAMS) delete env.INITIALIZE_STREAMS;
  const child = spawn(process.execPath, ['--max-old-space-size=2048', `--import=${EXIT_WITH_PARENT}`, join(pkgDir, 'main.js')], {
    cwd: pkgDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const endpoint = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  const wanted = Object.keys(opts.streams ?? {});
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kinesis-local exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`kinesis-local did not start within ${opts.startTimeoutMs ?? 60_000} ms: ${output}`);
    }
    if (await streamsActive(endpoint, wanted)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // It keeps nothing on disk and ignores SIGTERM for seconds, so it is killed outright.
        child.kill('SIGKILL');
        await exited;
      }
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** True once the emulator answers and every wanted stream is ACTIVE (raw JSON API: no SDK needed here). */
async function streamsActive(endpoint: string, streams: string[]): Promise<boolean> {
  try {
    const names = streams.length ? streams : [undefined];
    for (const name of names) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': name ? 'Kinesis_20131202.DescribeStreamSummary' : 'Kinesis_20131202.ListStreams',
          // kinesis-mock requires a SigV4-shaped header but does not verify the signature.
          authorization:
            'AWS4-HMAC-SHA256 Credential=000000000000/20200101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
          'x-amz-date': '20200101T000000Z',
        },
        body: JSON.stringify(name ? { StreamName: name } : {}),
        signal: AbortSignal.timeout(2000),
      });
      const body = (await res.json()) as { StreamDescriptionSummary?: { StreamStatus?: string } };
      if (!res.ok) return false;
      if (name && body.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') return false;
    }
    return true;
  } catch {
    return false;
  }
}
