// Loaded by the bin/ entry points only when importing their bundle failed: a missing dist/ (a git checkout before
// `npm ci` or `npm run build`, or a broken install) gets a message saying how to fix it; any other error is rethrown.
// Kept out of the normal start, which then reads one file less.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** explain reports a missing `dist/<bundle>` with the way to build it, or rethrows `error`. */
export function explain(error, bundle) {
  const path = fileURLToPath(new URL(`../dist/${bundle}`, import.meta.url));
  if (existsSync(path)) throw error;
  const checkout = existsSync(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
  const fix = checkout ? 'this is a source checkout: build it with `npm ci` (or `npm run build`) first' : 'the package is incomplete: reinstall bpftime-vm';
  process.stderr.write(`bpftime-vm: error: ${path} is missing; ${fix}\n`);
  process.exitCode = 1;
}
