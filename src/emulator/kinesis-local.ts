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
  /** Plain HTTP port on 127.0.0.1; 0 picks a free one. A port already taken fails with EmulatorPortTakenError. */
  port?: number;
  /** Streams created at startup, as name → shard count. */
  streams?: Record<string, number>;
  /** Milliseconds the emulator takes to create or delete a stream (its default is 500). */
  streamDurationMs?: number;
  logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  startTimeoutMs?: number;
}

/** The emulator could not listen on the port it was given: something else holds it (never adopted). */
export class EmulatorPortTakenError extends Error {
  override readonly name = 'EmulatorPortTakenError';
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
  }
}

const require = createRequire(import.meta.url);

// Loaded into the emulator before its code:
// - it exits once its parent is gone, so a killed kinflux or test leaves no orphan holding the port;
// - every server it opens listens on 127.0.0.1 only: kinesis-local binds 0.0.0.0 (its plain port and a TLS port)
//   with no setting to change it, and anyone reaching that port could read, forge or delete records;
// - it reports each listen and each failed listen on stderr, so the parent knows the emulator answering on the port
//   is its own child and never adopts another one.
const PRELOAD = `
import net from 'node:net';
const p = process.ppid;
setInterval(() => { try { process.kill(p, 0); } catch { process.exit(0); } }, 1000).unref();
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\\d+$/.test(args[0]))) {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    args = [{ port: Number(args[0]), host: '127.0.0.1' }, ...(cb ? [cb] : [])];
  } else if (args[0] && typeof args[0] === 'object' && !('fd' in args[0]) && !('path' in args[0])) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  const port = args[0] && typeof args[0] === 'object' ? args[0].port : undefined;
  this.once('listening', () => { const a = this.address(); process.stderr.write('kinflux-emulator: listening ' + a.address + ' ' + a.port + '\\n'); });
  this.once('error', (e) => { process.stderr.write('kinflux-emulator: listen-error ' + port + ' ' + e.code + '\\n'); });
  return listen.apply(this, args);
};
`;
const PRELOAD_URL = 'data:text/javascript,' + encodeURIComponent(PRELOAD);

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
  // With a port of our choosing, a lost race for it (or for the TLS port) is retried on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof PortRaceError) || attempt >= 3) throw err instanceof PortRaceError ? new EmulatorPortTakenError(err.port) : err;
    }
  }
}

/** A port taken between choosing it and listening on it. */
class PortRaceError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} was taken`);
  }
}

async function startOnce(opts: KinesisLocalOptions): Promise<KinesisLocal> {
  const pkgDir = dirname(require.resolve('kinesis-local/package.json'));
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
  const child = spawn(process.execPath, ['--max-old-space-size=2048', `--import=${PRELOAD_URL}`, join(pkgDir, 'main.js')], {
    cwd: pkgDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listening = false;
  let listenError: { port: number; code: string } | undefined;
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-4000);
  };
  // The preload's reports are whole lines on stderr; a read may end inside one, so lines are reassembled.
  let partial = '';
  const watch = (b: Buffer): void => {
    keep(b);
    const lines = (partial + b.toString()).split('\n');
    partial = (lines.pop() ?? '').slice(-1000);
    for (const line of lines) {
      const ok = /^kinflux-emulator: listening \S+ (\d+)$/.exec(line);
      if (ok && Number(ok[1]) === port) listening = true;
      const bad = /^kinflux-emulator: listen-error (\d+) (\S+)$/.exec(line);
      if (bad) listenError ??= { port: Number(bad[1]), code: bad[2] };
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', watch);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  const wanted = Object.keys(opts.streams ?? {});
  for (;;) {
    if (listenError) {
      await kill();
      if (listenError.code !== 'EADDRINUSE') throw new Error(`kinesis-local could not listen on port ${listenError.port}: ${listenError.code}`);
      // A port the caller named is theirs to free; ports chosen here are chosen again.
      if (listenError.port === port && opts.port) throw new EmulatorPortTakenError(port);
      throw new PortRaceError(listenError.port);
    }
    if (child.exitCode !== null) throw new Error(`kinesis-local exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`kinesis-local did not start within ${opts.startTimeoutMs ?? 60_000} ms: ${output}`);
    }
    // Only once our own child listens is whatever answers on the port ours.
    if (listening && (await streamsActive(endpoint, wanted))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    endpoint,
    port,
    process: child,
    // It keeps nothing on disk and ignores SIGTERM for seconds, so it is killed outright.
    stop: kill,
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
