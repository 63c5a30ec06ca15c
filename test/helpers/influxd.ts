// Starts a throw-away influxd (Debian's 1.6.7) on loopback ports with its data in a temp folder,
// for the differential tests. Nothing here touches the system-wide influxdb service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Influxd {
  readonly url: string;
  readonly version: string;
  /** POST /write; returns the status and body text. */
  write(db: string, body: string | Buffer, precision?: string): Promise<{ status: number; body: string }>;
  /** GET /query with epoch=ns; returns the parsed JSON. */
  query(db: string, q: string): Promise<QueryResult>;
  /**
   * False once the process has exited (a Go panic in a write ends it) or stopped answering /ping:
   * tells a dead influxd from one that merely reset a connection (it does on some NUL bytes).
   */
  alive(): Promise<boolean>;
  /** The last 8 KB of its stderr (a panic's trace). */
  stderr(): string;
  stop(): Promise<void>;
}

export interface QueryResult {
  results: Array<{
    error?: string;
    series?: Array<{ name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }>;
  }>;
}

/** Path of the influxd binary, or undefined when it is not installed. */
export function findInfluxd(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p !== '' ? p : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  // Loopback only, nothing optional running, quiet logs: we only need the write path and queries.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  index-version = "inmem"
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[retention]
  enabled = false
[shard-precreation]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false
[logging]
  level = "error"
  suppress-logo = true
`;
}

export async function startInfluxd(binary: string): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'kinflux-influxd-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const confPath = join(dir, 'influxdb.conf');
  writeFileSync(confPath, config(dir, httpPort, rpcPort));
  const child: ChildProcess = spawn(binary, ['run', '-config', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
  const url = `http://127.0.0.1:${httpPort}`;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));

  let version = '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`influxd exited during start: ${stderr}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) { version = r.headers.get('x-influxdb-version') ?? ''; break; }
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`influxd did not start: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    version,
    async write(db, body, precision) {
      const q = new URLSearchParams({ db });
      if (precision !== undefined) q.set('precision', precision);
      const r = await fetch(`${url}/write?${q}`, { method: 'POST', body });
      return { status: r.status, body: await r.text() };
    },
    async query(db, qs) {
      const q = new URLSearchParams({ db, q: qs, epoch: 'ns' });
      const r = await fetch(`${url}/query?${q}`, { method: 'POST' });
      return (await r.json()) as QueryResult;
    },
    async alive() {
      // The exit event may come a moment after the connection broke: wait for it briefly.
      const ping = fetch(`${url}/ping`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 204, () => false);
      const gone = Promise.race([exit.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1000))]);
      return !exited && (await gone) && (await ping) && !exited;
    },
    stderr: () => stderr,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
