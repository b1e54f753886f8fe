// The hook component of the native layer (native-hooks/src/{core,arch,elf}, docs/native.md "hook"): builds and runs
// its C tests (uprobes on various prologues, uretprobes, override, re-entrancy, live patching under 8 threads,
// symbol resolution, a probe on libc's malloc, C++ exceptions through return probes), most under ASan/UBSan.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const DIR = join(ROOT, 'native-hooks');

/** missingHookTools: what the hook component needs beyond the native layer's tools (capstone; g++ for a test). */
function missingHookTools(): string {
  if (!HAS_NATIVE) return '';
  if (!existsSync('/usr/include/capstone/capstone.h')) return 'libcapstone-dev not installed';
  if (spawnSync('g++', ['--version'], { stdio: 'ignore' }).status !== 0) return 'g++ not found';
  return '';
}

const toolsMissing = missingHookTools();
if (toolsMissing && process.env.NATIVE_REQUIRED === '1') throw new Error(`NATIVE_REQUIRED=1 but ${toolsMissing}`);
const SKIP = NATIVE_SKIP || (toolsMissing ? ` (skipped: ${toolsMissing})` : '');
const tests = readdirSync(join(DIR, 'tests', 'hook'))
  .filter((f) => /^test_.*\.(c|cc)$/.test(f))
  .map((f) => f.replace(/\.cc?$/, ''));

describe.skipIf(SKIP !== '')(`native hook component${SKIP}`, () => {
  beforeAll(() => {
    const targets = tests.map((t) => `build/tests/hook/${t}`);
    execFileSync('make', ['-s', '-j2', '-C', DIR, ...targets], { stdio: ['ignore', 'ignore', 'pipe'] });
  }, 300_000);

  it.each(tests)('%s passes', (name) => {
    const r = spawnSync(join(DIR, 'build', 'tests', 'hook', name), [], {
      encoding: 'utf8',
      env: { ...process.env, UBSAN_OPTIONS: 'halt_on_error=1' },
      timeout: 120_000,
    });
    const failed = r.stdout.split('\n').filter((l) => l.startsWith('not ok'));
    expect({ status: r.status, signal: r.signal, failed, stderr: r.stderr.trim() }).toEqual({
      status: 0,
      signal: null,
      failed: [],
      stderr: '',
    });
    expect(r.stdout).toMatch(/^PASSED$/m);
  }, 130_000);
});
