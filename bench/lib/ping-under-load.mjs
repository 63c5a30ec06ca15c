// /ping latency on one connection while the largest hostile bodies are written on another, against the
// real server (dist/cli.js under --max-old-space-size=512) and kinesis-local. Part of bench:hostile.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal, freePort } from '../../dist/emulator/kinesis-local.js';
import { CLASSES } from '../../test/kit/hostile-bodies.ts';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end();
  });
}

function post(port, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': body.length } }, (res) => {
      const parts = [];
      res.on('data', (b) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rssMiB = (pid, key) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(key)))[1]) / 1024;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** Writes each body while pinging; returns one row per body. */
export async function pingUnderLoad(mib, names = Object.keys(CLASSES)) {
  const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
  const port = await freePort();
  const proc = spawn(process.execPath, ['--max-old-space-size=512', CLI], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', KINFLUX_HOST: '127.0.0.1', KINFLUX_PORT: String(port),
      KINFLUX_LOG_LEVEL: 'warn', KINFLUX_LOG_FORMAT: 'json', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: '000000000000', AWS_SECRET_ACCESS_KEY: 'test',
      KINFLUX_KINESIS_ENDPOINT: emulator.endpoint, KINFLUX_STREAM: 'metrics', KINFLUX_MAX_BODY_BYTES: `${mib}MiB`, KINFLUX_MAX_DECODED_BYTES: `${mib}MiB`,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let i = 0; i < 600 && !(await get(port, '/ready').then((s) => s === 200, () => false)); i++) await sleep(100);
    const idle = rssMiB(proc.pid, 'VmRSS');
    console.log(`\n/ping while the largest body (${mib} MiB decoded, gzip) is written on another connection; server idle RSS ${idle.toFixed(0)} MiB, --max-old-space-size=512\n`);
    console.log(`${'class'.padEnd(36)} ${'status'.padStart(6)} ${'request'.padStart(9)} ${'pings'.padStart(6)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)} ${'peak RSS'.padStart(9)}`);
    const rows = [];
    for (const name of ['(idle: no write)', ...names]) {
      // Each body ends in an invalid line and goes to the v2 API, which then rejects the whole batch: every
      // point is parsed, none is delivered (kinesis-local's speed and the queue bound stay out of the figures).
      const gz = CLASSES[name] && gzipSync(Buffer.concat([CLASSES[name]((mib << 20) - 4096), Buffer.from('\nbad\n')]), { level: 1 });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await get(port, '/ping', agent);
      const lat = [];
      let done = false;
      const pinger = (async () => {
        while (!done) {
          const t0 = process.hrtime.bigint();
          await get(port, '/ping', agent);
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          await sleep(5);
        }
      })();
      const t0 = Date.now();
      const r = gz ? await post(port, '/api/v2/write?bucket=metrics&org=o', gz, { 'content-encoding': 'gzip' }) : await sleep(1000).then(() => ({ status: 0 }));
      const ms = Date.now() - t0;
      done = true;
      await pinger;
      agent.destroy();
      const peak = rssMiB(proc.pid, 'VmHWM');
      const row = { name, lat, status: r.status, ms, pings: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: Math.max(...lat), peak };
      rows.push(row);
      if (process.env.HOSTILE_DEBUG) console.log(r.text?.slice(0, 300), gz?.length);
      console.log(`${name.padEnd(36)} ${String(r.status).padStart(6)} ${(ms + ' ms').padStart(9)} ${String(lat.length).padStart(6)} ${row.p50.toFixed(1).padStart(6)} ${row.p99.toFixed(1).padStart(6)} ${row.max.toFixed(1).padStart(6)} ${(peak.toFixed(0) + ' MiB').padStart(9)}`);
      if (proc.exitCode !== null) throw new Error(`kinflux exited with ${proc.exitCode}`);
    }
    const all = rows.filter((r) => r.status !== 0).flatMap((r) => r.lat);
    console.log(`\n/ping over all bodies: p50 ${pct(all, 0.5).toFixed(1)} ms, p99 ${pct(all, 0.99).toFixed(1)} ms over ${all.length} pings; peak RSS ${rssMiB(proc.pid, 'VmHWM').toFixed(0)} MiB (idle ${idle.toFixed(0)} MiB); process alive`);
    return rows;
  } finally {
    proc.kill('SIGKILL');
    await emulator.stop();
  }
}
