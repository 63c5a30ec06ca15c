// The README's quick start as written: kinflux in local mode (no AWS settings), then the block's commands run by
// sh, one by one, with only the port changed; each command's output holds the lines the block shows after it.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/emulator/kinesis-local.js';
import { startKinflux } from './helpers/kinflux.js';
import { codeBlocks } from './helpers/markdown.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(new URL('README.md', `file://${root}`), 'utf8');

/** The block's commands, each with the output lines shown after it as `# …` comments. */
function steps(block: string): { command: string; shows: string[] }[] {
  const out: { command: string; shows: string[] }[] = [];
  for (const line of block.split('\n').filter((l) => l.trim() !== '')) {
    if (line.startsWith('# ')) out[out.length - 1]?.shows.push(line.slice(2));
    else out.push({ command: line, shows: [] });
  }
  return out;
}

/** A shown line as a pattern: `…` stands for anything. */
const shownAs = (line: string): RegExp => new RegExp(`^${line.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}\\s*$`, 'm');

t.test('the quick start: the write gives 204 and `npm run read` shows the record', async (t) => {
  const blocks = codeBlocks(readme).filter((b) => b.lang === 'sh');
  t.equal(blocks[0]?.body.trim(), 'npm ci && npm start', 'the first command is the start');
  const quick = steps(blocks[1]?.body ?? '');
  t.ok(quick.some((s) => s.command.startsWith('curl ')) && quick.some((s) => s.command.startsWith('npm run read')), 'a write and a read');

  const embeddedPort = await freePort();
  const k = await startKinflux({ KINFLUX_EMBEDDED_PORT: String(embeddedPort) });
  t.teardown(() => k.stop('SIGTERM'));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KINFLUX_EMBEDDED_PORT: String(embeddedPort), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const { command, shows } of quick) {
    const run = command.replaceAll('localhost:8086', `127.0.0.1:${k.port}`);
    const r = await promisify(execFile)('sh', ['-c', run], { cwd: root, env, timeout: 120_000 });
    for (const line of shows) t.match(r.stdout, shownAs(line), `${command}\n  shows ${line}`);
  }
  t.equal(await k.stop('SIGTERM'), 0);
});
