/**
 * Running a benchmark's BPF build on one bpftime-vm backend: a Collection per backend, setup() run once, then
 * bench() timed with bench/measure.ts. Call-overhead programs are run in batches so one sample lasts about a
 * millisecond, as the native driver does.
 */
import { readFileSync } from 'node:fs';
import { loadCollectionSpec } from '../../src/loader/collection.js';
import { Collection, type Program } from '../../src/runtime/collection.js';
import { measure } from '../measure.js';
import type { Timing } from './native.js';
import { SUITE_CTX } from './programs.js';

/** CompileStats is what a JIT backend reports about compiling a program (absent on backends that do not). */
export interface CompileStats {
  ms: number;
  insns: number;
}

/** LoadedBench is one benchmark's bench() on one backend, ready to time. */
export interface LoadedBench {
  /** The backend that runs it, as the program reports it (or the collection when the program does not). */
  backend: string;
  insns: number;
  compile: CompileStats | null;
  once(): { r0: bigint; steps: number };
}

/** compileStatsOf reads `compileStats` defensively: the JIT branch adds it to Program; older builds lack it. */
function compileStatsOf(p: Program): CompileStats | null {
  const s = (p as { compileStats?: Partial<CompileStats> }).compileStats;
  return s && typeof s.ms === 'number' && typeof s.insns === 'number' ? { ms: s.ms, insns: s.insns } : null;
}

/** loadBench loads `object` on `backend` and runs its setup program. */
export function loadBench(object: string, backend: string, ctx: Uint8Array = SUITE_CTX): LoadedBench {
  const collection = new Collection(loadCollectionSpec(readFileSync(object)), { backend });
  const setup = collection.program('setup');
  setup.run({ ctx });
  const p = collection.program('bench');
  const resolved = (p as { backend?: string }).backend ?? collection.backend;
  return { backend: resolved, insns: p.spec.insns.length, compile: compileStatsOf(p), once: () => p.run({ ctx }) };
}

/**
 * COMPILE_LOADS is how many more times a program is loaded to time its compilation: a single compile in a process
 * mostly measures V8 warming up the translator's own code for that program's shapes (one run of 2026-12-01 had a
 * 4-instruction program taking 10.8 ms on wasm-fast), so the figure reported is the median of these.
 */
export const COMPILE_LOADS = 7;

/**
 * steadyCompile loads `object` on `backend` COMPILE_LOADS more times and returns the median compile time of its
 * bench program (null when the backend reports none).
 */
export function steadyCompile(object: string, backend: string): CompileStats | null {
  const bytes = readFileSync(object);
  const times: number[] = [];
  let insns = 0;
  for (let k = 0; k < COMPILE_LOADS; k++) {
    const collection = new Collection(loadCollectionSpec(bytes), { backend });
    const s = compileStatsOf(collection.program('bench'));
    if (!s) return null;
    times.push(s.ms);
    insns = s.insns;
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], insns };
}

/** VmSample is the timing of one benchmark on one backend. */
export interface VmSample {
  r0: bigint;
  steps: number;
  medianNs: number;
  bestNs: number;
  runs: number;
  batch: number;
}

/** measureBench times bench() (median of runs, per call), batching calls that take under a millisecond. */
export function measureBench(b: LoadedBench, t: Timing): VmSample {
  let last = b.once();
  let batch = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) last = b.once();
    if (performance.now() - start >= 1 || batch >= 1 << 20) break;
    batch *= 2;
  }
  const s = measure(() => {
    for (let i = 0; i < batch; i++) last = b.once();
  }, t);
  return { r0: last.r0, steps: last.steps, medianNs: (s.medianMs * 1e6) / batch, bestNs: (s.bestMs * 1e6) / batch, runs: s.runs, batch };
}
