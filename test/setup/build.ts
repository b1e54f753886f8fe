// Builds dist/ once before the tests, so tests that spawn bin/bpftime-vm or the plugin run the current sources, and
// native-hooks/ (make) where it can be built (test/toolchain.ts HAS_NATIVE), so the native tests run the current C.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const works = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

export default async function setup(): Promise<void> {
  // The commands the tests spawn compile through no module cache unless a test asks for one (test/wasm-cache.test.ts):
  // results and timings stay those of a compile, and nothing is left in the user's ~/.cache.
  process.env.BPFTIME_VM_CACHE ??= '0';
  // @ts-expect-error: plain JavaScript build script without type declarations.
  const { buildAll } = await import('../../scripts/build.mjs');
  await buildAll({ quiet: true });
  if (process.platform === 'linux' && process.arch === 'x64' && works('make') && works('cc') && works('wasm2c')) {
    execFileSync('make', ['-s', '-j2', '-C', join(import.meta.dirname, '..', '..', 'native-hooks')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
