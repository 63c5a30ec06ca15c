// Preloaded into every test process of the unit tier (scripts/test-tier.mjs): the unit tier runs in the test
// runner's own processes only. Starting any other process (an emulator, influxd, promtool, the CLI, a cluster
// worker) throws, so no listener can be opened by another process either. Listeners inside the test process
// itself (an in-process stand-in, Fastify's inject) and worker threads are allowed.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const childProcess = require('node:child_process');
const cluster = require('node:cluster');

function refuse(name) {
  return () => {
    throw new Error(
      `unit tier: ${name}() would start another process; a test that needs one belongs to the integration tier ` +
        '(leave it out of test/unit-tier.txt)',
    );
  };
}

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = refuse(`child_process.${name}`);
}
cluster.fork = refuse('cluster.fork');
// ESM `import { spawn } from 'node:child_process'` sees the patched functions too.
syncBuiltinESMExports();
// For test/tiers.test.ts: proof that the guard is in place.
globalThis.kinfluxUnitGuard = true;
