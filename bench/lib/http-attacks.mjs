// The HTTP attack classes of issue 20 (findings 1-4), each run for a few seconds against the real server
// (dist/cli.js under --max-old-space-size=512, kinesis-local with 16 shards) while a separate keep-alive client
// pings it: peak RSS (VmHWM, reset before each class) and /ping p50/p99. Part of bench:hostile.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal, freePort } from '../../dist/emulator/kinesis-local.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kib = (pid, key) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(key)))[1]) / 1024;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };

function http(port, path, { method = 'GET', body, headers = {} } = {}, agent) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: body ? { ...headers, 'content-length': body.length } : headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Raw socket: `head`, then `chunks` one-byte chunks; resolves with the status (0 if none). */
function tinyChunks(port, path, chunks) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let reply = '';
    s.on('data', (b) => (reply += b.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(reply)?.[1] ?? 0)));
    const frame = Buffer.from('1\r\na\r\n'.repeat(65536));
    let sent = 0;
    const pump = () => {
      while (sent < chunks && !s.destroyed) { sent += 65536; if (!s.write(frame)) return void s.once('drain', pump); }
      if (!s.destroyed) s.end('0\r\n\r\n');
    };
    s.write(`POST ${path} HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nm f=\r\n`);
    pump();
  });
}

const loop = async (ms, fn) => { const until = Date.now() + ms; const out = []; while (Date.now() < until) out.push(await fn()); return out; };

export const HTTP_ATTACKS = {
  'many statements (5,000 SHOW DATABASES, 1,000 long names)': {
    async setup(port) {
      for (let b = 0; b < 10; b++) {
        const q = Array.from({ length: 100 }, (_, i) => `CREATE DATABASE "${`db${b * 100 + i}_`.padEnd(64, 'x')}"`).join(';');
        await http(port, '/query', { method: 'POST', body: Buffer.from(`q=${encodeURIComponent(q)}`), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      }
    },
    run: (port, ms) => {
      const form = Buffer.from(`q=${'SHOW+DATABASES%3B'.repeat(5000)}`);
      return Promise.all([0, 1].map(() => loop(ms, () => http(port, '/query', { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))));
    },
  },
  'tiny chunks (1-byte chunks, a write and a /query form)': {
    run: (port, ms) => Promise.all([loop(ms, () => tinyChunks(port, '/write?db=metrics', 2_000_000)), loop(ms, () => tinyChunks(port, '/query', 1_000_000))]),
  },
  'small gzip of many points (1 M lines, 285 KB gzip)': {
    run: (port, ms) => {
      const gz = gzipSync(Buffer.from('cpu,host=server01,region=us-west usage_idle=99.5,usage_user=0.5 1700000000000000000\n'.repeat(1_000_000)), { level: 9 });
      return Promise.all([0, 1].map(() => loop(ms, () => http(port, '/write?db=metrics', { method: 'POST', body: gz, headers: { 'content-encoding': 'gzip' } }))));
    },
  },
  'idle claims (8 heads of 32 MiB, a byte every 2 s; ordinary writes meanwhile)': {
    run: async (port, ms) => {
      const socks = Array.from({ length: 8 }, () => {
        const s = connect(port, '127.0.0.1', () => s.write('POST /write?db=metrics HTTP/1.1\r\nHost: k\r\nContent-Length: 33554432\r\n\r\na'));
        s.on('error', () => undefined);
        const timer = setInterval(() => s.writable && s.write('a'), 2000);
        s.on('close', () => clearInterval(timer));
        return s;
      });
      await sleep(300);
      let i = 0;
      const out = await loop(ms, () => http(port, '/write?db=metrics', { method: 'POST', body: Buffer.from(`idle,n=${i++ % 5} v=1i\n`) }).then((s) => sleep(100).then(() => s)));
      socks.forEach((s) => s.destroy());
      return out;
    },
  },
};

/** Runs each class for `ms`; prints one row per class. */
export async function httpAttacks(ms = 5000) {
  const emulator = await startKinesisLocal({ streams: { metrics: 16 } });
  const port = await freePort();
  const proc = spawn(process.execPath, ['--max-old-space-size=512', new URL('../../dist/cli.js', import.meta.url).pathname], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(port), KINFLUX_LOG_LEVEL: 'error',
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '000000000000', AWS_SECRET_ACCESS_KEY: 'test', KINFLUX_KINESIS_ENDPOINT: emulator.endpoint, KINFLUX_STREAM: 'metrics',
      MALLOC_MMAP_THRESHOLD_: '65536', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let i = 0; i < 600 && (await http(port, '/ready')) !== 200; i++) await sleep(100);
    console.log(`\nHTTP attacks of issue 20, ${ms / 1000} s each; server idle RSS ${kib(proc.pid, 'VmRSS').toFixed(0)} MiB, --max-old-space-size=512\n`);
    // "from": the RSS when the class starts, where clear_refs sets its peak: what an earlier class left for the
    // collector is in both (idle claims alone peaks at ~88 MiB; after small gzip at ~150-220 MiB, all of it from).
    console.log(`${'class'.padEnd(72)} ${'answers'.padStart(22)} ${'pings'.padStart(6)} ${'p50'.padStart(6)} ${'p99'.padStart(7)} ${'from'.padStart(8)} ${'peak RSS'.padStart(9)}`);
    for (const [name, a] of Object.entries(HTTP_ATTACKS)) {
      await a.setup?.(port);
      writeFileSync(`/proc/${proc.pid}/clear_refs`, '5');
      const from = kib(proc.pid, 'VmRSS');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await http(port, '/ping', {}, agent);
      const lat = [];
      let done = false;
      const pinger = (async () => {
        while (!done) {
          const t0 = process.hrtime.bigint();
          await http(port, '/ping', {}, agent);
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          await sleep(10);
        }
      })();
      const statuses = (await a.run(port, ms)).flat();
      done = true;
      await pinger;
      agent.destroy();
      const counts = {};
      for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      const alive = proc.exitCode === null;
      console.log(`${name.padEnd(72)} ${JSON.stringify(counts).padStart(22)} ${String(lat.length).padStart(6)} ${pct(lat, 0.5).toFixed(1).padStart(6)} ${pct(lat, 0.99).toFixed(1).padStart(7)} ${(from.toFixed(0) + ' MiB').padStart(8)} ${(alive ? kib(proc.pid, 'VmHWM').toFixed(0) + ' MiB' : 'DIED').padStart(9)}`);
      if (!alive) break;
    }
  } finally {
    proc.kill('SIGKILL');
    await emulator.stop();
  }
}
