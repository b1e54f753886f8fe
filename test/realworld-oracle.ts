/**
 * The kernel as an oracle for helpers and maps (root + bpf() only): `kernelRun` builds test/fixtures/realworld/
 * kernel-run.c with libbpf once per test file and runs one program of an object with BPF_PROG_TEST_RUN, returning the
 * global data the program left, its return value and the identity of the process it ran in; cgroups for such tests are
 * made under the cgroup v2 mount with unique names and removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { buildExamples, compileC, scratch } from './toolchain.js';

/** KernelRun is what one BPF_PROG_TEST_RUN produced. */
export interface KernelRun {
  pid: number;
  tgid: number;
  retval: number;
  /** Global data maps by section (`.bss`, `.data`...) as hex after the run. */
  maps: Record<string, string>;
  data_out?: string;
}

let binary: string | undefined;

/** kernelRun runs `prog` of `object` in the kernel with the oracle's options (see kernel-run.c). */
export function kernelRun(object: string, prog: string, options: string[] = []): KernelRun {
  if (!binary) {
    binary = join(scratch(), 'kernel-run');
    execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-o', binary, join(ROOT, 'test/fixtures/realworld/kernel-run.c'), '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return JSON.parse(execFileSync(binary, [object, prog, ...options], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as KernelRun;
}

/** cgroup2Root is the cgroup v2 mount point (from /proc/self/mountinfo), or undefined without one. */
export function cgroup2Root(): string | undefined {
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
    }
  } catch {
    // No /proc: no cgroups to test with.
  }
  return undefined;
}

/** CGROUP2_SKIP is why cgroup tests cannot run here ('' when they can). */
export const CGROUP2_SKIP = cgroup2Root() ? '' : ' (skipped: no cgroup2 file system is mounted)';

/** TestCgroups is a tree of cgroups made for one test: `dir(name)` is the directory of `name` ('' for the top). */
export interface TestCgroups {
  dir(name: string): string;
  id(name: string): bigint;
  remove(): void;
}

/** makeCgroups creates a unique top cgroup with the given relative children (`a`, `a/b`...). */
export function makeCgroups(children: string[]): TestCgroups {
  const top = join(cgroup2Root()!, `bpftime-vm-test-${process.pid}-${Date.now()}`);
  mkdirSync(top);
  for (const c of children) mkdirSync(join(top, c), { recursive: true });
  const dir = (name: string) => (name ? join(top, name) : top);
  return {
    dir,
    id: (name) => statSync(dir(name), { bigint: true }).ino,
    remove() {
      // Deepest first; a cgroup whose processes have exited can be removed.
      for (const c of [...children].sort((a, b) => b.split('/').length - a.split('/').length)) rmdirSync(join(top, c));
      rmdirSync(top);
    },
  };
}

let vmlinuxDir: string | undefined;

/**
 * buildTool returns the object of a tracing tool of our corpus: examples/NAME.bpf.c built by the examples' Makefile,
 * or test/fixtures/realworld/NAME.bpf.c compiled here; both against this kernel's vmlinux.h (made with bpftool).
 */
export function buildTool(name: string): string {
  if (existsSync(join(ROOT, 'examples', `${name}.bpf.c`))) return join(buildExamples(), `${name}.bpf.o`);
  const built = tools.get(name);
  if (built) return built;
  if (!vmlinuxDir) {
    vmlinuxDir = join(scratch(), 'vmlinux');
    mkdirSync(vmlinuxDir, { recursive: true });
    writeFileSync(join(vmlinuxDir, 'vmlinux.h'), execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 1 << 28 }));
  }
  const dir = join(ROOT, 'test/fixtures/realworld');
  const object = compileC(name, readFileSync(join(dir, `${name}.bpf.c`), 'utf8'), [`-I${vmlinuxDir}`, `-I${dir}`, `-I${join(ROOT, 'examples')}`]);
  tools.set(name, object);
  return object;
}

const tools = new Map<string, string>();
