// kinflux's own version (`kinflux --version`), written once, in package.json: src/ and dist/ both sit beside it.
import { readFileSync } from 'node:fs';

export const KINFLUX_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
