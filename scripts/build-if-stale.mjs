#!/usr/bin/env node
// Compiles src/ to dist/ only when dist/ is missing or older than a source: `npm start` then costs no tsc run
// (7-15 s on a small machine) unless something changed. Run by `prepare` (npm install / npm ci), `prestart`,
// `preread` and `pretest`. With --check it only reports (exit 0 fresh, 1 stale).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Every file under dir, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Why dist/ is stale, or undefined when every source has an output at least as new as it and the configs. */
function staleReason() {
  const configs = ['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(root, f)).mtimeMs);
  const newestConfig = Math.max(...configs);
  for (const file of files(src)) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
    const out = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
    if (!existsSync(out)) return `${relative(root, out)} is missing`;
    const built = statSync(out).mtimeMs;
    if (built < statSync(file).mtimeMs) return `${relative(root, file)} changed`;
    if (built < newestConfig) return 'tsconfig changed';
  }
  // An output whose source moved or was deleted would still ship (dist/ is what the image and `npm start` run).
  for (const file of existsSync(dist) ? files(dist) : []) {
    if (!file.endsWith('.js')) continue;
    if (!existsSync(join(src, relative(dist, file)).replace(/\.js$/, '.ts'))) return `${relative(root, file)} has no source`;
  }
  return undefined;
}

const reason = staleReason();
if (process.argv.includes('--check')) {
  process.stdout.write(reason ? `stale: ${reason}\n` : 'fresh\n');
  process.exit(reason ? 1 : 0);
}
if (!reason) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(`kinflux: dist/ needs a build (${reason}) but TypeScript is not installed: run \`npm ci\` (with dev dependencies).\n`);
  process.exit(1);
}
process.stderr.write(`kinflux: building dist/ (${reason})\n`);
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
