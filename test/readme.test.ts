// The README documents every setting that --help lists.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../src/config/schema.js';

t.test('every setting is in the README', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const s of SETTINGS) t.match(readme, `\`${s.env}\``, s.env);
});
