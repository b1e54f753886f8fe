/**
 * The kernel's verifier as an oracle: builds test/tools/kernel-verify.c with gcc and loads the cases of the verifier
 * table (verifier-cases.ts) into the kernel with BPF_PROG_LOAD. Needs root and bpf() (HAS_KERNEL in toolchain.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeProgram } from '../src/isa/index.js';
import { ROOT } from './helpers.js';
import { HAS_KERNEL, KERNEL_SKIP, scratch } from './toolchain.js';
import { BTF_TYPED, kernelIds, type VerifierCase } from './verifier-cases.js';
import { parseBtf, type Btf } from '../src/loader/btf/parse.js';

/** KernelVerdict is what kernel-verify prints: the verdict, the failing stage and errno, and the verifier log. */
export interface KernelVerdict {
  accepted: boolean;
  stage: 'load' | 'attach';
  errno: number;
  error: string;
  log: string;
}

const gccMissing = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 ? '' : 'gcc not found';
if (HAS_KERNEL && gccMissing && process.env.BPF_KERNEL_REQUIRED === '1') throw new Error(`BPF_KERNEL_REQUIRED=1 but ${gccMissing}`);

/** HAS_KERNEL_VERIFY tells whether kernel-verify can be built and run (the kernel oracle, and gcc); the skip says why not. */
export const HAS_KERNEL_VERIFY = HAS_KERNEL && !gccMissing;
export const KERNEL_VERIFY_SKIP = KERNEL_SKIP || (gccMissing ? ` (skipped: ${gccMissing})` : '');

let tool: string | undefined;

/** buildKernelVerify compiles the loader tool once per test file and returns its path. */
export function buildKernelVerify(): string {
  if (tool) return tool;
  const out = join(scratch(), 'kernel-verify');
  const src = join(ROOT, 'test', 'tools');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(src, 'kernel-verify.c'), join(src, 'kernel-verify-btf.c')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  tool = out;
  return out;
}

/** kernelArgs gives the kernel-verify arguments of a case (program file last). */
export function kernelArgs(c: VerifierCase, file: string): string[] {
  // Log level 4: the kernel's messages and statistics without the per-instruction trace, which would cost seconds on
  // the cases that run into the 1M-instruction limit.
  // The kernel has no uprobe program type: uprobes are kprobe programs attached to a uprobe.
  const args = ['--type', c.type === 'uprobe' ? 'kprobe' : c.type, '--priv', c.priv, '--license', c.license, '--log-level', '4'];
  for (const m of c.maps) args.push('--map', m.text);
  if (BTF_TYPED.includes(c.type)) args.push('--attach-btf-id', String(kernelIds(c, vmlinux()).attachBtfId));
  else if (c.attach) args.push('--attach', c.attach);
  return [...args, file];
}

let kernelBtf: Btf | undefined;
/** vmlinux is the running kernel's BTF, which BTF-typed cases are resolved against (the oracle runs where it exists). */
const vmlinux = (): Btf => (kernelBtf ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'))));

/** kernelVerifyAll loads every case into the kernel (one kernel-verify process, one child per case) and returns the
 * verdicts in the order of `cases`; a case whose setup fails (a map the kernel cannot create, ...) throws. */
export function kernelVerifyAll(cases: readonly VerifierCase[]): KernelVerdict[] {
  const dir = mkdtempSync(join(scratch(), 'cases-'));
  const lines = cases.map((c, i) => {
    const file = join(dir, `${i}.bin`);
    writeFileSync(file, encodeProgram(BTF_TYPED.includes(c.type) || c.kfuncs.length > 0 ? kernelIds(c, vmlinux()).insns : c.insns));
    return kernelArgs(c, file).join('\t');
  });
  const r = spawnSync(buildKernelVerify(), ['--batch'], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30 });
  const out = r.stdout.split('\n').filter((l) => l !== '');
  if (out.length !== cases.length) throw new Error(`kernel-verify printed ${out.length} verdicts for ${cases.length} cases: ${r.stderr || r.error}`);
  return out.map((l, i) => {
    const v = JSON.parse(l) as KernelVerdict | { setup_failed: true; status: number };
    if ('setup_failed' in v) throw new Error(`${cases[i].file}:${cases[i].line}: kernel-verify could not set up the case: ${r.stderr.trim()}`);
    return v;
  });
}
