/**
 * Backends that run raw programs (slots plus an input buffer), chosen by name everywhere a backend is chosen
 * (`--backend`, the conformance runner, the plugin, Collection). `interp` is the reference interpreter, `wasm-fast`
 * and `wasm-opt` the two JIT tiers, and `auto` picks one by program size and expected runs. Each loaded program
 * reports the backend it actually runs on, so nothing falls back silently.
 */
import { UsageError, type VerifierError } from '../errors.js';
import { MAX_INPUT, parseVerifyMode, verifyProgram, type VerifyMode, type VerifyResult } from '../verifier/index.js';
import type { HelperSet } from '../helpers/registry.js';
import { OP_LDDW, type Insn } from '../isa/index.js';
import { loadBinaryen, type JitProgram, type Tier } from '../jit-wasm/index.js';
import { Interpreter, type RunOptions, type RunResult } from '../vm/index.js';
import { compileOn, runOn, type CompileStats } from './jit-backend.js';
import { BACKENDS, type BackendChoice, type BackendName } from './backend-names.js';

export type { CompileStats } from './jit-backend.js';

export { BACKENDS, ENGINES, type BackendChoice, type BackendName } from './backend-names.js';

/** LoadedProgram is a program bound to a backend, ready to run any number of times. */
export interface LoadedProgram {
  /** The verifier's verdict, when the program was verified. */
  readonly verification?: VerifyResult;
  /** The backend the program runs on (`auto` resolved; it changes once if `auto` tiers up, see AUTO_TIER_UP_STEPS). */
  readonly backend: BackendName;
  /** Time spent translating, compiling and instantiating, and the instruction count (of the current backend). */
  readonly compileStats: CompileStats;
  run(opts?: RunOptions): RunResult;
}

/**
 * AUTO_TIER_UP_STEPS is how many instructions `auto` lets the interpreter execute, over all runs, before it compiles
 * with wasm-fast: about 10-20 ms of interpretation, which pays for compiling programs of a few hundred instructions.
 * It catches what the static estimate cannot see: a small program whose loops run long.
 */
export const AUTO_TIER_UP_STEPS = 2_000_000;

/**
 * TierUp counts what `auto` left on the interpreter executes and says, once, when to compile with wasm-fast (which
 * needs no binaryen, so the compile can always happen).
 */
export class TierUp {
  private executed = 0;
  constructor(private active: boolean) {}

  /** count adds a run's steps and returns true exactly once, when the threshold is crossed. */
  count(steps: number): boolean {
    if (!this.active) return false;
    this.executed += steps;
    if (this.executed < AUTO_TIER_UP_STEPS) return false;
    this.active = false;
    return true;
  }
}

/** LoadOptions configures loading of a raw program. */
export interface LoadOptions {
  backend?: string;
  helpers?: HelperSet;
  maxCallDepth?: number;
  section?: string;
  /** How many runs the caller expects (lets `auto` weigh compile time); default 1. */
  expectedRuns?: number;
  /**
   * Verify before loading (the raw-program contract: r1 = input memory, r2 = its length); default `off` here, since
   * raw loading also serves the conformance runner and fuzzers. The CLI and Collection verify by default.
   */
  verify?: VerifyMode;
  /** Called with the rejection when `verify` is `warn` and the verifier rejects the program. */
  onWarning?: (e: VerifierError) => void;
}

/** parseBackend checks a backend name given by a user. */
export function parseBackend(name: string | undefined): BackendChoice {
  const n = name ?? 'interp';
  if ((BACKENDS as readonly string[]).includes(n)) return n as BackendChoice;
  throw new UsageError('bad-backend', `unknown backend "${n}", expected one of: ${BACKENDS.join(', ')}`);
}

/**
 * AUTO_JIT_WORK is the instruction count times expected runs from which `auto` compiles. Size times runs is a lower
 * bound of the instructions a program will execute; a wasm-fast compile (about 0.3 ms plus 3-4 ms per 1000
 * instructions, bench/RESULTS.md "Compile time") costs what interpreting 10^5 or more instructions does, so small,
 * rarely run programs stay on the interpreter. A heuristic; AUTO_TIER_UP_STEPS catches what it misjudges.
 */
const AUTO_JIT_WORK = 20_000;

/**
 * resolveBackend turns a choice into the engine to use for `insnCount` instructions run `runs` times. When `auto`
 * compiles it picks wasm-fast: it runs as fast as wasm-opt on every benchmark measured (bench/RESULTS.md) and compiles
 * 5-8x faster, and it does not need binaryen.
 */
export function resolveBackend(choice: string | undefined, insnCount: number, runs = 1): BackendName {
  const c = parseBackend(choice);
  if (c !== 'auto') return c;
  return runs <= 1 || insnCount * runs < AUTO_JIT_WORK ? 'interp' : 'wasm-fast';
}

/** tierOf gives the JIT tier of a wasm engine. */
export function tierOf(backend: BackendName): Tier | undefined {
  return backend === 'wasm-fast' ? 'fast' : backend === 'wasm-opt' ? 'opt' : undefined;
}

/**
 * prepareBackend loads what a backend needs before programs can be loaded synchronously on it: binaryen, for wasm-opt
 * (the other engines, and `auto`, which picks among interp and wasm-fast, need nothing). Without it, loading on
 * wasm-opt is a NotSupportedError.
 */
export async function prepareBackend(choice: string | undefined): Promise<void> {
  if (parseBackend(choice) === 'wasm-opt') await loadBinaryen();
}

/** countInsns counts instructions, a lddw (two slots) once. */
export function countInsns(insns: readonly Insn[]): number {
  let n = 0;
  for (let pc = 0; pc < insns.length; pc += insns[pc].opcode === OP_LDDW ? 2 : 1) n++;
  return n;
}

/** verifyRaw runs the verifier as `opts.verify` asks: throws in strict mode, reports in warn mode. */
function verifyRaw(insns: readonly Insn[], opts: LoadOptions): VerifyResult | undefined {
  const mode = parseVerifyMode(opts.verify, 'off');
  if (mode === 'off') return undefined;
  const r = verifyProgram(insns, { helpers: opts.helpers, section: opts.section });
  if (!r.ok && mode === 'strict') throw r.error!;
  if (!r.ok) opts.onWarning?.(r.error!);
  return r;
}

/** checkInput refuses input larger than the verifier assumed for an accepted program (MAX_INPUT). */
function checkInput(v: VerifyResult | undefined, o: RunOptions): RunOptions {
  if (v?.ok && o.input && o.input.length > Number(MAX_INPUT)) {
    throw new UsageError('input-too-large', `input of ${o.input.length} bytes is larger than the ${Number(MAX_INPUT)} bytes a verified raw program may be given`);
  }
  return o;
}

/** loadRaw validates and prepares raw slots on the chosen backend. */
export function loadRaw(insns: readonly Insn[], opts: LoadOptions = {}): LoadedProgram {
  const vm = new Interpreter({ helpers: opts.helpers, maxCallDepth: opts.maxCallDepth });
  const verification = verifyRaw(insns, opts);
  const t0 = performance.now();
  const prepared = vm.load(insns, opts.section);
  const insnCount = countInsns(insns);
  const backend = resolveBackend(opts.backend, insnCount, opts.expectedRuns);
  const tier = tierOf(backend);
  if (tier) {
    const { jit, stats } = compileOn(vm, insns, { tier, section: opts.section });
    return { backend, compileStats: stats, verification, run: (o = {}) => runOn(vm, prepared, jit, checkInput(verification, o)) };
  }
  const tierUp = new TierUp(parseBackend(opts.backend) === 'auto');
  let current: BackendName = backend;
  let compileStats: CompileStats = { ms: performance.now() - t0, insns: insnCount };
  let jit: JitProgram | undefined;
  return {
    get backend() {
      return current;
    },
    get compileStats() {
      return compileStats;
    },
    verification,
    run(o: RunOptions = {}): RunResult {
      checkInput(verification, o);
      if (jit) return runOn(vm, prepared, jit, o);
      const r = vm.run(prepared, o);
      if (tierUp.count(r.steps)) {
        const compiled = compileOn(vm, insns, { tier: 'fast', section: opts.section });
        [jit, current, compileStats] = [compiled.jit, 'wasm-fast', compiled.stats];
      }
      return r;
    },
  };
}
