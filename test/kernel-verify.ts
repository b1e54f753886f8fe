/**
 * The kernel's verifier as an oracle: builds test/tools/kernel-verify.c with gcc and loads a case of the verifier
 * table (verifier-cases.ts) into the kernel with BPF_PROG_LOAD. Needs root and bpf() (HAS_KERNEL in toolchain.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeProgram } from '../src/isa/index.js';
import { ROOT } from './helpers.js';
import { scratch } from './toolchain.js';
import type { VerifierCase } from './verifier-cases.js';

/** KernelVerdict is what kernel-verify prints: the verdict, the failing stage and errno, and the verifier log. */
export interface KernelVerdict {
  accepted: boolean;
  stage: 'load' | 'attach';
  errno: number;
  error: string;
  log: string;
}

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

/** kernelArgs gives the kernel-verify options of a case (program file last). */
export function kernelArgs(c: VerifierCase, file: string): string[] {
  const args = ['--type', c.type, '--priv', c.priv, '--license', c.license];
  for (const m of c.maps) args.push('--map', m.text);
  if (c.attach) args.push('--attach', c.attach);
  return [...args, file];
}

/** kernelVerify loads one case into the kernel and returns its verdict; setup failures (exit 3) throw. */
export function kernelVerify(c: VerifierCase): KernelVerdict {
  const file = join(scratch(), `${c.name}.bin`);
  writeFileSync(file, encodeProgram(c.insns));
  const r = spawnSync(buildKernelVerify(), kernelArgs(c, file), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`${c.file}:${c.line}: kernel-verify failed (status ${r.status}): ${r.stderr.trim() || r.error}`);
  }
  return JSON.parse(r.stdout) as KernelVerdict;
}
