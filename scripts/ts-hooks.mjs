// Module hooks (registered by ts-import.mjs): `.ts` files are transpiled by swc with the options ts-node used for
// this tsconfig (ES2022, ES modules, TypeScript syntax; no type check: `npm run typecheck` does that), with an inline
// source map so stack traces name .ts lines; `./x.js` imported from a .ts file resolves to `./x.ts`, as tsc's NodeNext
// resolution does.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const swc = createRequire(import.meta.url)('@swc/core');
const options = (filename) => ({
  filename,
  swcrc: false,
  sourceMaps: 'inline',
  module: { type: 'es6', strictMode: true, noInterop: false },
  jsc: {
    parser: { syntax: 'typescript', tsx: false, decorators: false, dynamicImport: true, importAssertions: true },
    target: 'es2022',
    keepClassNames: true,
    transform: { legacyDecorator: true },
  },
});

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      return next(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = await swc.transform(await readFile(filename, 'utf8'), options(filename));
  return { format: 'module', source: code, shortCircuit: true };
}
