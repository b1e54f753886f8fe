// The native syscall hooks (native-hooks/src/syscall, docs/native.md "syscall"): the C tests in
// native-hooks/tests/syscall run a traced program under zpoline, Syscall User Dispatch and the automatic fallback, and
// check the tracepoint records against tracefs and against the built-in layout, which is generated from
// src/loader/contexts.ts (the committed header must be what src/native/syscall-layout.ts renders;
// BPFTIME_UPDATE_GOLDEN=1 rewrites it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSCALL_LAYOUT_HEADER, syscallLayoutHeader } from '../src/native/syscall-layout.js';
import { ROOT } from './helpers.js';
import { HOOKS_MISSING as hooksMissing, skipNote as skip, ZPOLINE_MISSING as zpolineMissing } from './native-hooks-support.js';

const NATIVE = join(ROOT, 'native-hooks');
const TDIR = join(NATIVE, 'build/tests/syscall');

const isRoot = process.getuid?.() === 0;

/** tap runs a TAP-printing C test and returns its lines; a failure reports the failing lines and the output. */
function tap(cmd: string, args: string[]): string[] {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const bad = out.split('\n').filter((l) => l.startsWith('not ok'));
  expect(bad, out).toEqual([]);
  expect(r.status, out).toBe(0);
  expect(out).toMatch(/^1\.\.\d+$/m);
  return out.split('\n');
}

describe('native syscall hooks', () => {
  it('bpftime_syscall_layout.gen.h is what src/loader/contexts.ts renders', () => {
    const file = join(ROOT, SYSCALL_LAYOUT_HEADER);
    const text = syscallLayoutHeader();
    if (process.env.BPFTIME_UPDATE_GOLDEN === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  describe.skipIf(hooksMissing !== '')(`built with make${skip(hooksMissing)}`, () => {
    const late = join(TDIR, 'liblate.so');
    beforeAll(() => {
      execFileSync('make', ['-s', '-C', NATIVE, 'syscall-tests'], { stdio: ['ignore', 'ignore', 'pipe'] });
    }, 300_000);

    it('the trampoline page: every entry point below the second stub reaches a stub in a few forward steps', () => {
      tap(join(TDIR, 'test_page'), []);
    });

    it.skipIf(zpolineMissing !== '')(`the rewriter changes exactly the syscall instructions a full disassembly of each library finds${skip(zpolineMissing)}`, () => {
      tap(join(TDIR, 'test_rewrite'), []);
    });

    it('tracepoint records follow tracefs (mounted in a private namespace when it is not)', () => {
      if (existsSync('/sys/kernel/tracing/events')) tap(join(TDIR, 'test_tracefs'), []);
      else if (isRoot) tap('unshare', ['-m', 'sh', '-c', `mount -t tracefs nodev /sys/kernel/tracing && exec ${join(TDIR, 'test_tracefs')}`]);
      else expect.fail('tracefs is not mounted and mounting it needs root');
    });

    it.skipIf(!isRoot)(`tracepoint records without tracefs use the built-in layout${isRoot ? '' : ' (skipped: not root)'}`, () => {
      const script = 'umount /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; exec "$0" builtin';
      tap('unshare', ['-m', 'sh', '-c', script, join(TDIR, 'test_tracefs')]);
    });

    // Each mechanism runs in the build the agent gets (-O2) and in the AddressSanitizer/UBSan build.
    for (const build of ['test_syscall', 'test_syscall-asan']) {
      it.skipIf(zpolineMissing !== '')(`zpoline (${build}): syscalls seen with numbers, arguments, results; threads, fork, vfork, signals, dlopen${skip(zpolineMissing)}`, () => {
        const out = tap(join(TDIR, build), ['zpoline', late]);
        expect(out[0]).toMatch(/^# syscall hooks: zpoline, \d+ syscall instructions rewritten/);
      });

      it(`Syscall User Dispatch, as asked (${build}): the same checks`, () => {
        const out = tap(join(TDIR, build), ['sud', late]);
        expect(out[0]).toMatch(/^# syscall hooks: Syscall User Dispatch, as asked/);
      });
    }

    it('the automatic mode falls back to Syscall User Dispatch when page 0 is taken, and says why', () => {
      const out = tap(join(TDIR, 'test_syscall'), ['fallback', late]);
      expect(out[0]).toMatch(/^# syscall hooks: zpoline unavailable \(.*\); using Syscall User Dispatch instead/);
    });
  });
});
