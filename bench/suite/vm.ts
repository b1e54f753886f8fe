/**
 * Running a benchmark's BPF build on one bpftime-vm backend: a Collection per backend, setup() run once, then
 * bench() timed with bench/measure.ts. Call-overhead programs are run in batches so one sample lasts about a
 * millisecond, as the native driver does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { memAccess, validateProgram, type Insn } from '../../src/isa/index.js';
import type { JitFacts } from '../../src/jit-wasm/index.js';
import { loadCollectionSpec } from '../../src/loader/collection.js';
import type { CollectionSpec, ProgramSpec } from '../../src/loader/spec.js';
import { tierOf, type BackendName } from '../../src/runtime/backends.js';
import { Collection, type Program } from '../../src/runtime/collection.js';
import { compileOn } from '../../src/runtime/jit-backend.js';
import { Metering, runMetered, STEPS_NOT_COUNTED } from '../../src/runtime/metering.js';
import { verifyProgram, verifySpec, type VerifyResult } from '../../src/verifier/index.js';
import { Interpreter, type RunResult } from '../../src/vm/index.js';
import { measure } from '../measure.js';
import type { Timing } from './native.js';
import { DECLARED_FACTS, SUITE_CTX, type BenchProgram } from './programs.js';

/** FACTS_SUFFIX marks a suite backend that is a JIT tier given the declared facts of programs.ts (`wasm-opt+facts`). */
export const FACTS_SUFFIX = '+facts';

/**
 * VERIFIED_SUFFIX marks a suite backend that is a JIT tier given what the verifier proved about bench()
 * (`wasm-opt+verified`): the facts of `verifySpec` (as a raw program for the input-memory ones), and nothing else. A
 * bench() the verifier rejects runs with every check and budget charge, as `verify: 'warn'` loads it, and the row says
 * so (LoadedBench.unverified): the geometric mean then counts what a user gets today, not what the declared facts
 * (`+facts`) would give. setup() runs once, unmeasured and unverified.
 */
export const VERIFIED_SUFFIX = '+verified';

/** engineOf is the runtime backend of a suite backend name (without FACTS_SUFFIX or VERIFIED_SUFFIX). */
export const engineOf = (backend: string): string => backend.replace(/\+(facts|verified)$/, '');

/**
 * declaredFacts is DECLARED_FACTS made concrete for `insns`: every load, store and atomic in bounds, termination. (A
 * verifier's facts list only what it proved; here the declaration covers every access.)
 */
export function declaredFacts(insns: readonly Insn[]): JitFacts {
  const valid = validateProgram(insns);
  const inBounds = new Set<number>();
  if (DECLARED_FACTS.allAccessesInBounds) valid.forms.forEach((f, pc) => f && memAccess(f, insns[pc]) && inBounds.add(pc));
  return { inBounds, terminates: DECLARED_FACTS.terminates };
}

/**
 * VERIFY_LIMIT is the complexity limit the suite verifies bench() under: the verifier's (and the kernel's) default.
 * Every program needs under 10,000 instructions processed, the two with a loop inside a loop over 64 keys
 * (strcmp_mismatch, strcmp_mismatch_input) 1,141 and 2,302 (`npm run bench -- verify-suite`).
 */
export const VERIFY_LIMIT = 1_000_000;

/** Verdicts by object content and program, so both tiers of one run share a verification. */
const verdicts = new Map<string, { facts?: JitFacts; unverified?: string }>();

/** proved returns what the verifier proved about a program (its facts), or its rejection, once per `key`. */
function proved(key: string, verify: () => VerifyResult): { facts?: JitFacts; unverified?: string } {
  let v = verdicts.get(key);
  if (!v) {
    const r = verify();
    v = r.ok ? { facts: r.facts } : { unverified: r.error!.message };
    verdicts.set(key, v);
  }
  return v;
}

const keyOf = (bytes: Uint8Array, name: string): string => `${createHash('sha256').update(bytes).digest('hex')} ${name}`;

// A plain backend row loads unverified (`verify: 'off'`) and measures every check and budget charge, a `+facts` row
// exactly the declared facts, a `+verified` row what the verifier proved.
/** collectionOptions are the Collection's options for a suite backend loading `spec` (the object's `bytes`). */
function collectionOptions(backend: string, bytes: Uint8Array, spec: CollectionSpec) {
  const engine = engineOf(backend);
  let facts: ((p: ProgramSpec) => JitFacts | undefined) | undefined;
  let unverified: string | undefined;
  if (backend.endsWith(FACTS_SUFFIX)) facts = (p) => (p.name === 'bench' ? declaredFacts(p.insns) : undefined);
  if (backend.endsWith(VERIFIED_SUFFIX)) {
    const bench = spec.programs.find((p) => p.name === 'bench')!;
    const v = proved(keyOf(bytes, 'bench'), () => verifySpec(bench, spec.maps, { maxInsns: VERIFY_LIMIT }));
    unverified = v.unverified;
    facts = (p) => (p.name === 'bench' ? v.facts : undefined);
  }
  return { options: { backend: engine, facts, verify: 'off' as const }, unverified };
}

/**
 * inputFacts are the facts an input-memory bench() is compiled with on `backend`: declared (`+facts`), proved by the
 * verifier as a raw program (`+verified`; none when it rejects, with the rejection), or none.
 */
function inputFacts(backend: string, insns: readonly Insn[], key: string): { facts?: JitFacts; unverified?: string } {
  if (backend.endsWith(FACTS_SUFFIX)) return { facts: declaredFacts(insns) };
  if (!backend.endsWith(VERIFIED_SUFFIX)) return {};
  return proved(key, () => verifyProgram(insns, { type: 'raw', program: 'bench', maxInsns: VERIFY_LIMIT }));
}

/** UNLIMITED is a budget no suite run reaches: it asks for counted steps without limiting anything. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/**
 * countedSteps returns `once` with exact steps: a module compiled with a termination proof counts none
 * (STEPS_NOT_COUNTED), so they are taken once from a run that asks for a budget (the metered module).
 */
function countedSteps(once: () => RunResult, metered: () => RunResult): () => RunResult {
  const first = once();
  if (first.steps !== STEPS_NOT_COUNTED) return once;
  const steps = metered().steps;
  return () => ({ r0: once().r0, steps });
}

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
  /** `+verified` backends: the verifier's rejection of bench(), which then runs with every check. */
  unverified?: string;
}

/** compileStatsOf reads `compileStats` defensively: the JIT branch adds it to Program; older builds lack it. */
function compileStatsOf(p: Program): CompileStats | null {
  const s = (p as { compileStats?: Partial<CompileStats> }).compileStats;
  return s && typeof s.ms === 'number' && typeof s.insns === 'number' ? { ms: s.ms, insns: s.insns } : null;
}

/**
 * loadBench loads `object` on `backend` and runs its setup program. With `countSteps` (the default) bench() reports
 * exact steps even when compiled without budget charges (countedSteps, which runs it twice first); without, such a
 * program reports STEPS_NOT_COUNTED and has not run yet.
 */
export function loadBench(object: string, backend: string, p: BenchProgram, o: { ctx?: Uint8Array; countSteps?: boolean } = {}): LoadedBench {
  const ctx = o.ctx ?? SUITE_CTX;
  const counted = o.countSteps === false ? (once: () => RunResult) => once : countedSteps;
  if (p.input) return loadInputBench(object, backend, p.input, counted);
  const bytes = readFileSync(object);
  const spec = loadCollectionSpec(bytes);
  const { options, unverified } = collectionOptions(backend, bytes, spec);
  const collection = new Collection(spec, options);
  const setup = collection.program('setup');
  setup.run({ ctx });
  const prog = collection.program('bench');
  const resolved = (prog as { backend?: string }).backend ?? collection.backend;
  const once = counted(() => prog.run({ ctx }), () => prog.run({ ctx, budget: UNLIMITED }));
  return { backend: resolved, insns: prog.spec.insns.length, compile: compileStatsOf(prog), once, ...(unverified ? { unverified } : {}) };
}

/**
 * loadInputBench loads an input-memory program (bench.h BENCH_INPUT_ENTRY) the way raw programs run: the input
 * region holds `bytes` bytes, setup(r1, r2) fills it once on the interpreter, and every bench(r1, r2) run keeps it
 * (no copy per run, as the .bss programs have none).
 */
function loadInputBench(object: string, backend: string, bytes: number, counted: typeof countedSteps): LoadedBench {
  const spec = loadCollectionSpec(readFileSync(object));
  const insnsOf = (name: string): readonly Insn[] => spec.programs.find((x) => x.name === name)!.insns;
  const vm = new Interpreter();
  const args = [BigInt(vm.setInput(new Uint8Array(bytes))), BigInt(bytes)];
  vm.run(vm.load(insnsOf('setup')), { args, keepInput: true, budget: 0 });
  const insns = insnsOf('bench');
  const t0 = performance.now();
  const prepared = vm.load(insns);
  const tier = tierOf(engineOf(backend) as BackendName);
  if (!tier) {
    const compile = { ms: performance.now() - t0, insns: countForms(insns) };
    return { backend, insns: insns.length, compile, once: () => vm.run(prepared, { args, keepInput: true }) };
  }
  const { facts, unverified } = inputFacts(backend, insns, keyOf(readFileSync(object), 'bench'));
  const { jit, stats } = compileOn(vm, insns, { tier, facts });
  const metering = new Metering(() => compileOn(vm, insns, { tier, facts, budget: true }).jit);
  const run = (budget?: number) => runMetered(vm, prepared, jit, metering, { args, keepInput: true, budget });
  return { backend: engineOf(backend), insns: insns.length, compile: stats, once: counted(() => run(), () => run(UNLIMITED)), ...(unverified ? { unverified } : {}) };
}

/** collectionOf loads an object's bytes on a suite backend. */
function collectionOf(bytes: Uint8Array, backend: string): Collection {
  const spec = loadCollectionSpec(bytes);
  return new Collection(spec, collectionOptions(backend, bytes, spec).options);
}

/** countForms counts instructions (a lddw once). */
const countForms = (insns: readonly Insn[]): number => validateProgram(insns).forms.filter((f) => f !== null).length;

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
export function steadyCompile(object: string, backend: string, p: BenchProgram): CompileStats | null {
  const bytes = readFileSync(object);
  const times: number[] = [];
  let insns = 0;
  for (let k = 0; k < COMPILE_LOADS; k++) {
    const s = p.input ? loadBench(object, backend, p, { countSteps: false }).compile : compileStatsOf(collectionOf(bytes, backend).program('bench'));
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
