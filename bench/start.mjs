// Time from `npm start` (and from `node dist/cli.js`) to the first 204 on /ping, embedded mode, on free ports.
// Usage: npm run bench:start [-- runs]   (default 5 runs each, alternating; prints min / median / max and load).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const free = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function once(cmd, args) {
  const port = await free();
  const env = { ...process.env, KINFLUX_PORT: String(port), KINFLUX_EMBEDDED_PORT: String(await free()), KINFLUX_HOST: '127.0.0.1', KINFLUX_LOG_FORMAT: 'json' };
  const t0 = performance.now();
  // Its own process group, so npm and the node it starts stop together.
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  for (;;) {
    if (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.status === 204, () => false)) break;
    if (child.exitCode !== null) throw new Error(`${cmd} exited: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = performance.now() - t0;
  process.kill(-child.pid, 'SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const variants = { 'npm start': ['npm', ['start']], 'node dist/cli.js': [process.execPath, ['dist/cli.js']] };
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const load = [loadavg()[0]];
for (let i = 0; i < runs; i++) for (const [name, [cmd, args]] of Object.entries(variants)) times[name].push(await once(cmd, args));
load.push(loadavg()[0]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(times)) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(`${name.padEnd(18)} to /ping: min ${s[0].toFixed(0)} ms, median ${median(s).toFixed(0)} ms, max ${s.at(-1).toFixed(0)} ms (${runs} runs)`);
}
console.log(`npm start / node dist/cli.js (medians): ${(median(times['npm start']) / median(times['node dist/cli.js'])).toFixed(2)}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
