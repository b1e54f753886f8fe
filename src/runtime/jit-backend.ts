/**
 * Running a program on a Wasm JIT tier inside the interpreter's machine: the Interpreter owns the layout (guest
 * memory, stack region, input buffer, helper environment) and validates and pre-decodes the program (so load errors
 * are the same on every backend); the JIT program is compiled from the same slots and runs against the same memory.
 */
import { compileCached, compileProgram, JitProgram, usesBinaryen, type JitFacts, type MapLookup, type ModuleCache, type Tier } from '../jit-wasm/index.js';
import { validateProgram, type Insn } from '../isa/index.js';
import { DEFAULT_BUDGET, type Interpreter, type RunOptions, type RunResult } from '../vm/index.js';
import type { LddwResolver, Prepared } from '../vm/prepare.js';
import { defaultModuleCache } from './wasm-cache.js';

/** CompileStats is what translating, compiling and instantiating a program cost. */
export interface CompileStats {
  /** Milliseconds spent translating, compiling and instantiating (0 for the interpreter's pre-decoding). */
  ms: number;
  /** eBPF instructions (a lddw counts once). */
  insns: number;
  /** On wasm-opt with a module cache: whether the module came from it (no translation, no binaryen). */
  cached?: boolean;
}

/** JitOptions selects the tier and the environment the program is bound to. */
export interface JitOptions {
  tier: Tier;
  section?: string;
  resolveLddw?: LddwResolver;
  poisoned?: ReadonlyMap<number, string>;
  /** Finds the maps whose lookups and updates the JIT may run inline (src/jit-wasm/inline-map.ts). */
  mapOf?: MapLookup;
  /** The module cache of binaryen-built compiles (default: the disk cache, src/runtime/wasm-cache.ts); false for none. */
  cache?: ModuleCache | false;
  /** What a verifier proved (src/jit-wasm/facts.ts): unchecked accesses, no budget charges when it terminates. */
  facts?: JitFacts;
  /** Keep the budget charges although `facts` prove termination (for runs that ask for a budget). */
  budget?: boolean;
  /** Loads read 0 from a bad address (PROBE_MEM). */
  probeMem?: boolean;
}

type V8 = { setFlagsFromString(flags: string): void };
type NodeProcess = { getBuiltinModule?: (name: string) => unknown; versions?: { v8?: string }; env?: Record<string, string | undefined> };
const proc = (globalThis as { process?: NodeProcess }).process;
const v8 = proc?.getBuiltinModule?.('node:v8') as V8 | undefined;

let hintsEnabled = false;

/**
 * enableBranchHints turns on V8's reading of the branch-hint section (branch-hints.ts) where it is still behind a flag
 * (V8 before 13, e.g. Node 20 and 22): without it V8 ignores the hints, and the cold paths' spills stay on the hot
 * path. Once per process; elsewhere than Node the engine reads the section or ignores it.
 */
function enableBranchHints(): void {
  if (hintsEnabled || !v8) return;
  hintsEnabled = true;
  const major = Number(proc?.versions?.v8?.split('.')[0]);
  if (major < 13 && !proc?.env?.BPFTIME_NO_BRANCH_HINTS) {
    v8.setFlagsFromString('--experimental-wasm-branch-hinting');
  }
}

/**
 * compileModule compiles the bytes with V8. For the optimising tier it asks V8 for optimised code from the start
 * (`--no-liftoff` while compiling): left to itself V8 starts every function in its baseline compiler and optimises
 * only on a later call, so one long run would stay in baseline code. Elsewhere than Node this is a plain compile.
 */
function compileModule(bytes: Uint8Array, tier: Tier): WebAssembly.Module {
  enableBranchHints();
  if (tier !== 'opt' || !v8) return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  v8.setFlagsFromString('--no-liftoff');
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } finally {
    v8.setFlagsFromString('--liftoff');
  }
}

/** compileOn compiles slots for the machine of `vm` and instantiates them; it reports the time it took. */
export function compileOn(vm: Interpreter, insns: readonly Insn[], opts: JitOptions): { jit: JitProgram; stats: CompileStats } {
  const t0 = performance.now();
  const valid = validateProgram(insns, opts.section);
  const regionOf = (addr: bigint) => {
    const r = addr < 2n ** 32n ? vm.mem.regionAt(Number(addr)) : undefined;
    return r && !r.resizable ? { start: r.start, end: r.end, writable: r.writable } : undefined;
  };
  const { tier, resolveLddw, poisoned, section, mapOf, probeMem, facts, budget } = opts;
  const copts = { tier, helpers: vm.helpers, resolveLddw, poisoned, section, regionOf, mapOf, probeMem, facts, budget };
  // Only binaryen's builds are cached: the direct emitter compiles in about the time reading an entry takes.
  const cache = usesBinaryen(tier) && opts.cache !== false ? (opts.cache ?? defaultModuleCache()) : undefined;
  const { compiled, cached } = cache ? compileCached(valid, copts, cache) : { compiled: compileProgram(valid, copts), cached: undefined };
  const jit = new JitProgram(compiled, {
    mem: vm.mem,
    stackTop: vm.env.stackTop,
    maxDepth: vm.env.maxDepth,
    helperEnv: () => vm.env.call.env,
  }, compileModule(compiled.bytes, opts.tier));
  return { jit, stats: { ms: performance.now() - t0, insns: compiled.insnCount, ...(cached !== undefined && { cached }) } };
}

/**
 * runOn runs a compiled program with the interpreter's run conventions (input, args, budget, zeroed stack); the
 * program's interpreter form `_prepared` is not needed (the signature matches the interpreter's `run`).
 */
export function runOn(vm: Interpreter, _prepared: Prepared, jit: JitProgram, opts: RunOptions): RunResult {
  const r0 = runOnR0(vm, jit, opts);
  return { r0, steps: jit.lastSteps };
}

/** runOnR0 is runOn returning r0, with the steps in `jit.lastSteps` (no result object). */
export function runOnR0(vm: Interpreter, jit: JitProgram, opts: RunOptions): bigint {
  const regs = vm.jitArgs(opts);
  const zero = vm.jitStack(jit.stackWrites);
  const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
  return jit.runR0(regs, vm.env.packetStart, vm.env.packetLength, budget, zero);
}
