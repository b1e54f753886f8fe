// Shared by the bin/ entry points: imports a bundle from dist/, or explains how to get one when it is missing
// (a git checkout before `npm ci` or `npm run build`, or a broken install). Checked only on failure, so a
// normal start pays for no extra file-system call.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** run imports `dist/<bundle>`, which runs its command. */
export async function run(bundle) {
  const url = new URL(`../dist/${bundle}`, import.meta.url);
  try {
    await import(url.href);
  } catch (e) {
    const path = fileURLToPath(url);
    if (existsSync(path)) throw e;
    const checkout = existsSync(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
    const fix = checkout ? 'this is a source checkout: build it with `npm ci` (or `npm run build`) first' : 'the package is incomplete: reinstall bpftime-vm';
    process.stderr.write(`bpftime-vm: error: ${path} is missing; ${fix}\n`);
    process.exitCode = 1;
  }
}
