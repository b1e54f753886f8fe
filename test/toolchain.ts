/**
 * Building C programs for tests (clang -target bpf with libbpf's headers) and detecting the kernel features some
 * tests use as an oracle. Missing tools make tests skip with the reason in their title, unless CLANG_REQUIRED=1,
 * BPF_KERNEL_REQUIRED=1, WASM2C_REQUIRED=1, NATIVE_REQUIRED=1 or LIBBPF_TOOLS_REQUIRED=1 (set in CI), where the
 * absence is an error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ROOT } from './helpers.js';

const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

function missingClang(): string {
  if (!works('clang', ['--version'])) return 'clang not found';
  if (!works('make', ['--version'])) return 'make not found';
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return 'libbpf headers not found (libbpf-dev)';
  return '';
}

function missingKernel(): string {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no /sys/kernel/btf/vmlinux';
  if (!works('bpftool', ['version'])) return 'bpftool not found';
  if (!works('bpftool', ['prog', 'list'])) return 'the kernel refuses bpf() here';
  return '';
}

/** WASM2C_RUNTIME is where Debian's wabt package puts the wasm2c runtime sources. */
export const WASM2C_RUNTIME = '/usr/share/wabt/wasm2c';

function missingWasm2c(): string {
  if (!works('wasm2c', ['--version'])) return 'wasm2c not found (wabt)';
  if (!works('cc', ['--version'])) return 'cc not found';
  if (!existsSync(join(WASM2C_RUNTIME, 'wasm-rt-impl.c'))) return `wasm2c runtime not found in ${WASM2C_RUNTIME}`;
  return '';
}

function missingNative(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the native layer needs linux x86-64 (this is ${process.platform} ${process.arch})`;
  if (!works('make', ['--version'])) return 'make not found';
  return missingWasm2c();
}

const clangMissing = missingClang();
if (clangMissing && process.env.CLANG_REQUIRED === '1') throw new Error(`CLANG_REQUIRED=1 but ${clangMissing}`);
const kernelMissing = missingKernel();
if (kernelMissing && process.env.BPF_KERNEL_REQUIRED === '1') throw new Error(`BPF_KERNEL_REQUIRED=1 but ${kernelMissing}`);

/** LIBBPF_TOOLS is a tool of Debian's libbpf-tools package, whose binaries embed the tools' BPF objects. */
export const LIBBPF_TOOLS = '/usr/sbin/opensnoop';
const toolsMissing = existsSync(LIBBPF_TOOLS) ? '' : 'libbpf-tools not installed (Debian package libbpf-tools)';
if (toolsMissing && process.env.LIBBPF_TOOLS_REQUIRED === '1') throw new Error(`LIBBPF_TOOLS_REQUIRED=1 but ${toolsMissing}`);
/** HAS_LIBBPF_TOOLS tells whether the libbpf-tools binaries are installed; LIBBPF_TOOLS_SKIP says why not. */
export const HAS_LIBBPF_TOOLS = toolsMissing === '';
export const LIBBPF_TOOLS_SKIP = toolsMissing ? ` (skipped: ${toolsMissing})` : '';

const wasm2cMissing = missingWasm2c();
if (wasm2cMissing && process.env.WASM2C_REQUIRED === '1') throw new Error(`WASM2C_REQUIRED=1 but ${wasm2cMissing}`);

const nativeMissing = missingNative();
if (nativeMissing && process.env.NATIVE_REQUIRED === '1') throw new Error(`NATIVE_REQUIRED=1 but ${nativeMissing}`);

/** HAS_NATIVE tells whether native-hooks can be built and run (Linux x86-64, make, cc, wasm2c); NATIVE_SKIP says why not. */
export const HAS_NATIVE = nativeMissing === '';
export const NATIVE_SKIP = nativeMissing ? ` (skipped: ${nativeMissing})` : '';

/** HAS_WASM2C tells whether exported modules can be built into native code (wasm2c, cc); WASM2C_SKIP says why not. */
export const HAS_WASM2C = wasm2cMissing === '';
export const WASM2C_SKIP = wasm2cMissing ? ` (skipped: ${wasm2cMissing})` : '';

/** HAS_CLANG tells whether C programs can be built; CLANG_SKIP is the skip reason otherwise. */
export const HAS_CLANG = clangMissing === '';
export const CLANG_SKIP = clangMissing ? ` (skipped: ${clangMissing})` : '';
/** HAS_KERNEL tells whether the kernel can be used as an oracle (root, bpf(), BTF, bpftool). */
export const HAS_KERNEL = kernelMissing === '';
export const KERNEL_SKIP = kernelMissing ? ` (skipped: ${kernelMissing})` : '';

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** scratch returns this test file's temporary directory. */
export function scratch(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'bpftime-vm-test-'));
  return dir;
}

let examples: string | undefined;

/** buildExamples compiles examples/*.bpf.c from source with their Makefile; returns the output directory. */
export function buildExamples(): string {
  if (examples) return examples;
  examples = join(scratch(), 'examples');
  mkdirSync(examples, { recursive: true });
  execFileSync('make', ['-s', '-C', join(ROOT, 'examples'), `OUT=${examples}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return examples;
}

/** compileC compiles one BPF C source (libbpf headers available) and returns the object's path. */
export function compileC(name: string, source: string, extraFlags: string[] = []): string {
  const d = scratch();
  const src = join(d, `${name}.c`);
  const obj = join(d, `${name}.o`);
  writeFileSync(src, source);
  const multiarch = spawnSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).stdout.trim() || 'x86_64-linux-gnu';
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-D__TARGET_ARCH_x86', `-I/usr/include/${multiarch}`, ...extraFlags, '-c', src, '-o', obj], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return obj;
}
