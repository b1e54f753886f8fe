/**
 * Running programs through the native runtime in tests: compile with src/native (a cache in this file's scratch
 * directory), then run native-hooks/build/tests/runtime/runner (ASan/UBSan build, or the TSan build) on the shared
 * object and read its JSON lines.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HelperSet } from '../src/helpers/registry.js';
import type { CollectionSpec } from '../src/loader/spec.js';
import type { Insn } from '../src/isa/index.js';
import { compileCollectionProgram, compileNative, nativeSourceOf, readNativeHelpers, type CompiledNative } from '../src/native/aot.js';
import { verifyForNative } from '../src/native/verify-hook.js';
import { ROOT } from './helpers.js';
import { scratch } from './toolchain.js';

export { mapsArg } from './native-runner-args.js';

const run = promisify(execFile);

/** RUNNER is the runtime test runner (ASan/UBSan); RUNNER_TSAN its ThreadSanitizer build. */
export const RUNNER = join(ROOT, 'native-hooks/build/tests/runtime/runner');
export const RUNNER_TSAN = join(ROOT, 'native-hooks/build/tests/runtime/runner-tsan');

/** nativeCompile compiles a program for the runtime, refusing helpers it lacks, into this file's cache. */
export function nativeCompile(name: string, insns: readonly Insn[], helpers: HelperSet, section = name, mapNames?: readonly string[]): Promise<CompiledNative> {
  return compileNative({ name, section, insns, helpers, mapNames }, { cacheDir: join(scratch(), 'native-cache'), nativeHelpers: readNativeHelpers() });
}

/** RunnerOutput is what one runner invocation printed. */
export interface RunnerOutput {
  runs: { ret: number; r0: string; override: boolean; override_value: string }[];
  printk: string[];
  logs: { level: number; line: string }[];
  status?: { state: string; runs: number; missed: number; pc: number; trap_kind: number; landing_pad: boolean; reason: string };
  totals?: { ok: number; failed: number };
  bench?: { runs: number; ns_per_run: number };
  maps?: NativeMap[];
  host?: { pid: number; probe_buf: string };
  /** With --fork: the child's pid (its runs and trace lines follow the parent's). */
  child?: { pid: number };
  /** With --seg-log: the segment's log ring and the program's entry in its table. */
  seg?: { log: { kind: number; prog: number; tid: number; text: string }[]; prog: { enabled: number; fault: number; fault_pc: number; fault_msg: string } };
  load_error?: string;
}

/** runNative runs the runner on a compiled program with options (--ctx HEX, --runs N, ...). */
export async function runNative(so: string, args: string[] = [], runner = RUNNER): Promise<RunnerOutput> {
  const { stdout } = await run(runner, [...args, so], { maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
  const out: RunnerOutput = { runs: [], printk: [], logs: [] };
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line) as Record<string, unknown>;
    if ('run' in j) out.runs.push(j.run as RunnerOutput['runs'][number]);
    else if ('printk' in j) out.printk.push(j.printk as string);
    else if ('log' in j) out.logs.push(j.log as RunnerOutput['logs'][number]);
    else Object.assign(out, j);
  }
  return out;
}

/** hex formats r0 as the runner prints it. */
export const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);

/** NativeMap is one map as the runner prints it at the end. */
export interface NativeMap {
  name: string;
  type: number;
  ncpus: number;
  entries?: [string, string][];
  records?: string[];
  samples?: { cpu: number; data: string }[];
}

/**
 * compileObjectProgram compiles one program of a collection for the runtime, into this file's cache; `verified`:
 * verified first and compiled with the verifier's facts and verdict, as `bpftime-vm load` does.
 */
export function compileObjectProgram(spec: CollectionSpec, name: string, verified = false): Promise<CompiledNative> {
  const opts = { cacheDir: join(scratch(), 'native-cache'), nativeHelpers: readNativeHelpers() };
  if (!verified) return compileCollectionProgram(spec, name, opts);
  const p = spec.programs.find((x) => x.name === name)!;
  const verdict = verifyForNative(spec, p);
  return compileNative(nativeSourceOf(spec, p), { ...opts, facts: verdict.facts, verified: verdict.verified });
}
