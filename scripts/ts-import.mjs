// The TypeScript loader of the test processes (tap's `node-arg`, and scripts/test-tier.mjs): registers
// ts-hooks.mjs, which transpiles each .ts module with swc. It replaces tap's ts-node plugin, which loaded ts-node
// and the TypeScript compiler in every test process (and again in its loader thread): ~0.9 s of CPU per test file.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
