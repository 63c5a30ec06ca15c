// The two test tiers (scripts/test-tier.mjs): test/unit-tier.txt names no file that is gone, and a test run in
// the unit tier cannot start another process (scripts/unit-guard.mjs).
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const tests = readdirSync(new URL('test/', root), { recursive: true }).map((f) => `test/${String(f)}`).filter((f) => f.endsWith('.test.ts'));
const toRegExp = (p: string): RegExp =>
  new RegExp(`^${p.split(/(\*\*\/|\*\*|\*)/).map((x) => (x === '**/' ? '(?:.*/)?' : x === '**' ? '.*' : x === '*' ? '[^/]*' : x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`);

t.test('every pattern of test/unit-tier.txt matches a test file', async (t) => {
  const patterns = readFileSync(new URL('test/unit-tier.txt', root), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
  t.ok(patterns.length > 10);
  for (const p of patterns) t.ok(tests.some((f) => toRegExp(p.replace(/^!/, '')).test(f)), `${p} matches a file`);
});

const guarded = (globalThis as { kinfluxUnitGuard?: boolean }).kinfluxUnitGuard === true;
t.test('in the unit tier, starting a process throws', { skip: guarded ? false : 'not run by npm run test:unit' }, async (t) => {
  t.throws(() => spawn(process.execPath, ['-e', '0']), /unit tier: child_process\.spawn\(\) would start another process/);
  t.throws(() => execFile('true'), /unit tier: child_process\.execFile\(\)/);
});
