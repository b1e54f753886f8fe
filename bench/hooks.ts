/**
 * `npm run bench -- hooks [--json] [--rounds N] [--calls N] [--syscalls N] [--kernel-calls N] [--only A/B]`: what a probe hit
 * costs a live process (docs/native.md, "agent"), side by side in one run. bench/hooks/target.c times N calls of an
 * ordinary noinline function, or N getppid syscalls, in its thread's CPU time (best of 7 batches), under each
 * configuration: nothing attached; our agent (LD_PRELOAD, the session made by src/native/load.ts) with a uprobe, a
 * uretprobe, both, the syscall hooks alone (zpoline), and a getppid syscall tracepoint through zpoline and through
 * Syscall User Dispatch; and, as root with kernel eBPF, the kernel running the same programs of the same object
 * (bench/hooks/kload.c: libbpf's uprobe, uretprobe and tracepoint attachment). Every program is a hash map lookup
 * and an atomic increment (bench/hooks/probe.bpf.c), verified and compiled with the verifier's facts, and in two rows
 * loaded with --verify off (every bounds check and budget charge kept) for comparison. Configurations run in turn in each round; the table gives each
 * one's fastest and median round and its overhead over the unprobed baseline (fastest rounds).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollectionSpec, type LoadedCollection } from '../src/loader/collection.js';
import { CLASS_LDX, CLASS_ST, CLASS_STX } from '../src/isa/opcodes.js';
import type { JitFacts } from '../src/jit-wasm/facts.js';
import { preloadEnv, type SyscallHooks } from '../src/native/agent.js';
import { loadNative, type NativeLoad } from '../src/native/load.js';

interface Config {
  name: string;
  mode: 'fn' | 'sys';
  /** Our agent: these programs, these syscall hooks. */
  progs?: string[];
  syscalls?: SyscallHooks;
  /** The kernel: this program attached as this kind. */
  kernel?: [string, 'uprobe' | 'uretprobe' | 'tracepoint'];
  /** The row whose overhead this one's is measured against. */
  base?: string;
  /**
   * Compile our programs with verifier facts given by hand (every memory access in bounds, terminates): what a
   * verifier proves about bench/hooks/probe.bpf.c, until one runs in the native load (src/native/verify-hook.ts).
   */
  handFacts?: boolean;
  /** `off`: the programs load unverified, compiled without the verifier's facts (every bounds check and budget charge). */
  verify?: 'off';
}

const CONFIGS: Config[] = [
  { name: 'call, no probe', mode: 'fn' },
  { name: 'uprobe', mode: 'fn', progs: ['on_entry'], base: 'call, no probe' },
  { name: 'uprobe, empty program', mode: 'fn', progs: ['on_entry_empty'], base: 'call, no probe' },
  { name: 'uprobe, lookup without the increment', mode: 'fn', progs: ['on_entry_lookup'], base: 'call, no probe' },
  { name: 'uprobe (verifier facts given by hand)', mode: 'fn', progs: ['on_entry'], base: 'call, no probe', handFacts: true },
  { name: 'uprobe, unverified (--verify off)', mode: 'fn', progs: ['on_entry'], base: 'call, no probe', verify: 'off' },
  { name: 'uretprobe', mode: 'fn', progs: ['on_return'], base: 'call, no probe' },
  { name: 'uprobe + uretprobe', mode: 'fn', progs: ['on_entry', 'on_return'], base: 'call, no probe' },
  { name: 'kernel uprobe', mode: 'fn', kernel: ['on_entry', 'uprobe'], base: 'call, no probe' },
  { name: 'kernel uretprobe', mode: 'fn', kernel: ['on_return', 'uretprobe'], base: 'call, no probe' },
  { name: 'getppid, no hook', mode: 'sys' },
  { name: 'syscall hooks, no program (zpoline)', mode: 'sys', progs: ['on_entry'], syscalls: 'start', base: 'getppid, no hook' },
  { name: 'syscall tracepoint (zpoline)', mode: 'sys', progs: ['on_getppid'], syscalls: 'start', base: 'getppid, no hook' },
  { name: 'syscall tracepoint (zpoline), unverified (--verify off)', mode: 'sys', progs: ['on_getppid'], syscalls: 'start', base: 'getppid, no hook', verify: 'off' },
  { name: 'syscall tracepoint (Syscall User Dispatch)', mode: 'sys', progs: ['on_getppid'], syscalls: 'sud', base: 'getppid, no hook' },
  { name: 'kernel syscall tracepoint', mode: 'sys', kernel: ['on_getppid', 'tracepoint'], base: 'getppid, no hook' },
];

interface Row {
  config: string;
  minNs: number;
  medianNs: number;
  /** Fastest round minus the baseline's fastest round. */
  overheadNs?: number;
}

/** handFacts claims what a verifier proves about these programs: every load, store and atomic in bounds, termination. */
function handFacts(spec: LoadedCollection, names: readonly string[]): Map<string, JitFacts> {
  const memory = new Set([CLASS_LDX, CLASS_ST, CLASS_STX]);
  return new Map(names.map((name) => {
    const insns = spec.programs.find((p) => p.name === name)!.insns;
    const inBounds = new Set(insns.flatMap((ins, pc) => (memory.has(ins.opcode & 0x07) ? [pc] : [])));
    return [name, { inBounds, terminates: true }];
  }));
}

const option = (argv: string[], name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};

function kernelAvailable(kload: string): string {
  if (process.getuid?.() !== 0) return 'not root';
  if (!kload) return 'kload not built (libbpf-dev)';
  return spawnSync('bpftool', ['prog', 'list'], { stdio: 'ignore' }).status === 0 ? '' : 'the kernel refuses bpf() here';
}

export async function main(argv: string[], _lib: unknown, root: string): Promise<void> {
  const json = argv.includes('--json');
  const rounds = option(argv, '--rounds', 5);
  const calls = option(argv, '--calls', 2_000_000);
  const syscalls = option(argv, '--syscalls', 200_000);
  const kernelCalls = option(argv, '--kernel-calls', 20_000);
  const work = mkdtempSync(join(tmpdir(), 'bpftime-vm-bench-hooks-'));
  const loads = new Map<string, NativeLoad>();
  try {
    execFileSync('make', ['-s', '-C', join(root, 'native-hooks'), 'build/libbpftime-agent.so'], { stdio: 'inherit' });
    const dir = join(root, 'bench/hooks');
    const target = join(work, 'hooks-target');
    execFileSync('cc', ['-O2', '-g', '-o', target, join(dir, 'target.c')]);
    const object = join(work, 'probe.bpf.o');
    const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu';
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-D__TARGET_ARCH_x86', `-I/usr/include/${multiarch}`, '-c', join(dir, 'probe.bpf.c'), '-o', object]);
    const kload = join(work, 'kload');
    const built = spawnSync('cc', ['-O2', '-o', kload, join(dir, 'kload.c'), '-lbpf'], { stdio: 'ignore' }).status === 0;
    const noKernel = kernelAvailable(built ? kload : '');
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
    // --only A/B: these configurations (names as in the table) (and the baselines they are measured against), for a quicker look.
    const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split('/') : undefined;
    const wanted = (c: Config) => !only || only.includes(c.name) || CONFIGS.some((o) => only.includes(o.name) && o.base === c.name);
    const configs = CONFIGS.filter((c) => (!c.kernel || !noKernel) && wanted(c));
    for (const c of configs) {
      const facts = c.handFacts ? handFacts(spec, c.progs ?? []) : undefined;
      if (c.progs) loads.set(c.name, await loadNative(spec, `/bpftime-vm-bench-${process.pid}-${loads.size}`, { programs: c.progs, cacheDir: join(work, 'cache'), facts, verify: c.verify }));
    }
    const times = new Map<string, number[]>(configs.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const c of configs) {
        const n = c.mode === 'sys' ? syscalls : c.kernel ? kernelCalls : calls;
        const args = [c.mode, String(n)];
        const load = loads.get(c.name);
        const out = c.kernel
          ? execFileSync(kload, [object, c.kernel[0], c.kernel[1], target, 'bench_fn', '--', target, ...args], { encoding: 'utf8' })
          : execFileSync(target, args, { encoding: 'utf8', env: load ? preloadEnv(load.session.name, c.syscalls ?? 'auto') : process.env });
        times.get(c.name)!.push(JSON.parse(out.trim().split('\n').pop()!).ns);
      }
    }
    const rows: Row[] = configs.map((c) => {
      const t = [...times.get(c.name)!].sort((a, b) => a - b);
      return { config: c.name, minNs: t[0], medianNs: t[t.length >> 1] };
    });
    for (const c of configs) {
      const row = rows.find((x) => x.config === c.name)!;
      const base = rows.find((x) => x.config === c.base);
      if (base) row.overheadNs = row.minNs - base.minNs;
    }
    if (json) {
      process.stdout.write(JSON.stringify({ rounds, calls, syscalls, kernelCalls, kernel: noKernel || 'yes', rows }, null, 2) + '\n');
      return;
    }
    console.log(`hooks: ns per call (thread CPU time), ${rounds} rounds; ${calls} calls, ${syscalls} syscalls, ${kernelCalls} calls under the kernel's uprobes${noKernel ? `; kernel rows skipped: ${noKernel}` : ''}\n`);
    console.log('| configuration | fastest round | median round | overhead (fastest) |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.config} | ${r.minNs.toFixed(1)} ns | ${r.medianNs.toFixed(1)} ns | ${r.overheadNs === undefined ? '' : `+${r.overheadNs.toFixed(1)} ns`} |`);
    const over = (name: string) => rows.find((r) => r.config === name)?.overheadNs;
    const ratio = (k: string, ours: string) => (over(k) !== undefined && over(ours) ? `${(over(k)! / over(ours)!).toFixed(0)}x` : 'n/a');
    if (!noKernel) {
      console.log(`\nkernel / ours (overheads): uprobe ${ratio('kernel uprobe', 'uprobe')}, uretprobe ${ratio('kernel uretprobe', 'uretprobe')}, syscall tracepoint ${ratio('kernel syscall tracepoint', 'syscall tracepoint (zpoline)')}`);
    }
  } finally {
    for (const l of loads.values()) {
      l.session.end();
      l.session.close();
    }
    rmSync(work, { recursive: true, force: true });
  }
}
