// Compiling programs for the native agent (src/native/aot.ts): the shared object exports only its descriptor, a
// second compile of the same program is a cache hit, a helper the native runtime lacks is refused naming it and the
// program, and a missing wasm2c or cc is a NotSupportedError that says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError, NotSupportedError } from '../src/errors.js';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { assemble } from '../src/isa/index.js';
import { compileNative, nativeCacheDir, readNativeHelpers } from '../src/native/aot.js';
import { findToolchain } from '../src/native/toolchain.js';
import { HAS_NATIVE, NATIVE_SKIP, scratch } from './toolchain.js';

const PROG = assemble('mov %r0, %r1\nldxdw %r0, [%r1]\nadd %r0, 1\nexit');

describe('native AOT compile', () => {
  it('caches under $XDG_CACHE_HOME/bpftime-vm/native, else ~/.cache', () => {
    expect(nativeCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/bpftime-vm/native');
    expect(nativeCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/bpftime-vm/native');
  });

  it('says what to install when wasm2c or cc is missing', () => {
    expect(() => findToolchain({ BPFTIME_WASM2C: 'no-such-wasm2c' })).toThrow(NotSupportedError);
    expect(() => findToolchain({ BPFTIME_WASM2C: 'no-such-wasm2c' })).toThrow(/wasm2c not found \(no-such-wasm2c\): install wabt/);
    expect(() => findToolchain({ CC: 'no-such-cc' })).toThrow(/cc not found \(no-such-cc\): install a C compiler/);
  });

  it.skipIf(!HAS_NATIVE)(`builds a shared object exporting only bpftime_prog_desc, then hits the cache${NATIVE_SKIP}`, async () => {
    const cacheDir = join(scratch(), 'aot-cache');
    const src = { name: 'incr', section: 'test', insns: PROG, helpers: kernelHelpers() };
    const first = await compileNative(src, { cacheDir });
    expect(first.cached).toBe(false);
    expect(first.path).toBe(join(cacheDir, `${first.hash}.so`));
    expect(JSON.parse(readFileSync(join(cacheDir, `${first.hash}.json`), 'utf8'))).toMatchObject({ program: 'incr', section: 'test' });
    const exported = execFileSync('nm', ['-D', '--defined-only', first.path], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' ').pop());
    expect(exported).toEqual(['bpftime_prog_desc']);
    const undefinedSyms = execFileSync('nm', ['-D', '--undefined-only', first.path], { encoding: 'utf8' });
    expect(undefinedSyms).not.toMatch(/wasm_rt|Z_/);
    const second = await compileNative(src, { cacheDir });
    expect(second).toMatchObject({ cached: true, hash: first.hash, path: first.path });
    const renamed = await compileNative({ ...src, name: 'other' }, { cacheDir });
    expect(renamed.hash).not.toBe(first.hash);
    expect(existsSync(renamed.path)).toBe(true);
  }, 60_000);

  it.skipIf(!HAS_NATIVE)(`refuses a helper the native runtime lacks, naming it and the program${NATIVE_SKIP}`, async () => {
    // bpf_send_signal (109) is in the TypeScript table, not in the native runtime.
    const insns = assemble('mov %r1, 9\ncall 109\nexit');
    const native = readNativeHelpers();
    expect(native.has(109)).toBe(false);
    expect(native.get(1)).toBe('map_lookup_elem');
    const compiling = compileNative({ name: 'sig', section: 'uprobe', insns, helpers: kernelHelpers() }, { cacheDir: join(scratch(), 'aot-cache'), nativeHelpers: native });
    await expect(compiling).rejects.toThrow(LoadError);
    await expect(compiling).rejects.toThrow('program sig: helper bpf_send_signal (id 109) is not implemented by the native runtime');
  }, 60_000);
});
