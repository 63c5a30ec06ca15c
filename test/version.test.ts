// `kinflux --version` says package.json's version: the one place it is written.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { KINFLUX_VERSION } from '../src/version.js';

t.test('the version is package.json\'s', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(KINFLUX_VERSION, pkg.version);
  t.match(KINFLUX_VERSION, /^\d+\.\d+\.\d+/);
});
