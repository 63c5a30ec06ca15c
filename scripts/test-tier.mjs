// Runs test tiers with tap: `node scripts/test-tier.mjs unit|integration... [--list]` (`npm test` runs both, in turn).
// test/unit-tier.txt lists the unit tier (patterns, one a line, `*` within a folder, `**` across folders, `!` to
// leave a file out again; the last pattern that matches a file decides);
// every other test file is in the integration tier, so a new test file is an integration test until listed.
// The unit tier runs under scripts/unit-guard.mjs: a unit test that starts another process fails.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const list = args.includes('--list');
const tiers = args.filter((a) => a !== '--list');
if (tiers.length === 0 || tiers.some((t) => t !== 'unit' && t !== 'integration')) {
  console.error('usage: node scripts/test-tier.mjs unit|integration... [--list]');
  process.exit(2);
}

const toRegExp = (pattern) =>
  new RegExp(
    `^${pattern
      .split(/(\*\*\/|\*\*|\*)/)
      .map((p) => (p === '**/' ? '(?:.*/)?' : p === '**' ? '.*' : p === '*' ? '[^/]*' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
const patterns = readFileSync(join(root, 'test/unit-tier.txt'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter((l) => l !== '')
  .map((l) => ({ unit: !l.startsWith('!'), re: toRegExp(l.replace(/^!/, '')) }));
const inUnit = (f) => patterns.reduce((unit, p) => (p.re.test(f) ? p.unit : unit), false);
const all = readdirSync(join(root, 'test'), { recursive: true })
  .map((f) => relative(root, join(root, 'test', String(f))).split('\\').join('/'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort();

let failed = false;
for (const tier of tiers) {
  const files = all.filter((f) => inUnit(f) === (tier === 'unit'));
  if (list) {
    console.log(files.join('\n'));
    continue;
  }
  console.log(`\n# ${tier} tier: ${files.length} test files`);
  // A --node-arg given here replaces package.json's, so the TypeScript loader is named again (scripts/ts-import.mjs).
  const nodeArgs = [`--node-arg=--import=${join(root, 'scripts/ts-import.mjs')}`];
  if (tier === 'unit') nodeArgs.push(`--node-arg=--import=${join(root, 'scripts/unit-guard.mjs')}`);
  // tap's default is one job less than the cores: on a 2-core machine, one file at a time. Unit tests use the CPU
  // they are given, so one file per core; integration files mostly wait (on emulators, child processes, timers,
  // Prometheus' scrapes), so one more than the cores keeps the CPU busy while one of them waits.
  const jobs = availableParallelism() + (tier === 'unit' ? 0 : 1);
  const started = Date.now();
  const tap = spawnSync(join(root, 'node_modules/.bin/tap'), [`--jobs=${jobs}`, ...nodeArgs, ...files], { cwd: root, stdio: 'inherit' });
  console.log(`# ${tier} tier: ${tap.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s (${jobs} jobs)`);
  failed ||= tap.status !== 0;
}
process.exit(failed ? 1 : 0);
