/**
 * Building the suite's C sources twice: clang -target bpf (the flags of examples/Makefile) for bpftime-vm, and
 * gcc -O2 linked with bench/c/driver.c for the native baseline. Used by the runner at start and by the smoke test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchProgram } from './programs.js';

const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** missingTools names what the suite cannot be built without (clang, gcc, libbpf headers), or returns ''. */
export function missingTools(): string {
  if (!works('clang', ['--version'])) return 'clang not found';
  if (!works('gcc', ['--version'])) return 'gcc not found';
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return 'libbpf headers not found (libbpf-dev)';
  return '';
}

/** BuiltProgram is where one benchmark's two builds are. */
export interface BuiltProgram {
  bpfObject: string;
  nativeExe: string;
}

/**
 * BPF_FLAGS are clang's flags for the BPF build. -fno-builtin stops clang turning copy loops into calls to memcpy,
 * which BPF cannot make; gcc is left at plain -O2.
 */
const BPF_FLAGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-fno-builtin', '-D__TARGET_ARCH_x86', '-Wall', '-Wextra', '-Werror'];
const NATIVE_FLAGS = ['-O2', '-Wall', '-Wextra', '-Werror'];

function multiarch(): string {
  return spawnSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || 'x86_64-linux-gnu';
}

function run(cmd: string, args: string[], what: string): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`build ${what}: ${cmd} failed:\n${stderr}`, { cause: e });
  }
}

/** buildProgram compiles `p` from `root`/bench/c into `outDir` (always afresh: both builds take well under a second). */
export function buildProgram(root: string, p: BenchProgram, outDir: string): BuiltProgram {
  const missing = missingTools();
  if (missing) throw new Error(`bench suite: cannot build the C programs: ${missing}`);
  const cdir = join(root, 'bench', 'c');
  mkdirSync(outDir, { recursive: true });
  const src = join(cdir, `${p.source}.c`);
  const defines = [...p.defines, ...(p.input ? [`INPUT_LEN=${p.input}`] : [])].map((d) => `-D${d}`);
  const bpfObject = join(outDir, `${p.name}.bpf.o`);
  const nativeExe = join(outDir, `${p.name}.native`);
  run('clang', [...BPF_FLAGS, `-I/usr/include/${multiarch()}`, ...defines, '-c', src, '-o', bpfObject], `${p.name} (clang -target bpf)`);
  run('gcc', [...NATIVE_FLAGS, ...defines, join(cdir, 'driver.c'), src, '-o', nativeExe], `${p.name} (gcc)`);
  return { bpfObject, nativeExe };
}
