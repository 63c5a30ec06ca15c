// The README: short, documents every setting that --help lists, and its code blocks hold what runs.
// The quick start's commands themselves are run by test/readme-quickstart.test.ts (integration tier).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { SETTINGS } from '../src/config/schema.js';
import { codeBlocks } from './helpers/markdown.js';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const scripts = Object.keys((JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts);


t.test('every setting is in the README', async (t) => {
  for (const s of SETTINGS) t.match(readme, `\`${s.env}\``, s.env);
});

t.test('the README is for users: at most 300 lines', async (t) => {
  const lines = readme.split('\n').length - 1;
  t.ok(lines <= 300, `${lines} lines`);
});

t.test('every code block parses as its language says', async (t) => {
  const blocks = codeBlocks(readme);
  t.ok(blocks.length >= 5);
  for (const { lang, body } of blocks) {
    t.ok(['sh', 'toml', 'json', 'yaml', 'text'].includes(lang), `a known language: "${lang}"`);
    if (lang === 'json') t.doesNotThrow(() => JSON.parse(body), 'json block');
    if (lang === 'yaml') t.doesNotThrow(() => parseYaml(body), 'yaml block');
    if (lang === 'toml') t.doesNotThrow(() => parseToml(body), 'toml block');
    if (lang !== 'sh') continue;
    // Every npm script a block runs exists, and every KINFLUX_ variable it sets is a setting.
    for (const m of body.matchAll(/npm run ([\w:-]+)/g)) t.ok(scripts.includes(m[1]), `npm run ${m[1]} is a script`);
    for (const m of body.matchAll(/\b(KINFLUX_[A-Z_]+)=/g)) t.ok(SETTINGS.some((s) => s.env === m[1]), `${m[1]} is a setting`);
  }
});

t.test('every relative link points at a file of the repo', async (t) => {
  for (const doc of ['README.md', 'docs/architecture.md', 'docs/performance.md']) {
    const text = readFileSync(new URL(doc, root), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
      t.ok(existsSync(new URL(m[1], new URL(doc, root))), `${doc} → ${m[1]}`);
    }
  }
});
