// Builds dist/ once before the tests, so tests that spawn bin/bpftime-vm or the plugin run the current sources, and
// native-hooks/ (make) where it can be built (test/toolchain.ts HAS_NATIVE), so the native tests run the current C.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const works = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

export default async function setup(): Promise<void> {
  // @ts-expect-error: plain JavaScript build script without type declarations.
  const { buildAll } = await import('../../scripts/build.mjs');
  await buildAll({ quiet: true });
  if (process.platform === 'linux' && process.arch === 'x64' && works('make') && works('cc') && works('wasm2c')) {
    execFileSync('make', ['-s', '-j2', '-C', join(import.meta.dirname, '..', '..', 'native-hooks')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
