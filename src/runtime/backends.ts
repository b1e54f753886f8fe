/**
 * Backends that run raw programs (slots plus an input buffer), chosen by name everywhere a backend is chosen
 * (`--backend`, the conformance runner, the plugin, Collection). `interp` is the reference interpreter, `wasm-fast`
 * and `wasm-opt` the two JIT tiers, and `auto` picks one by program size and expected runs. Each loaded program
 * reports the backend it actually runs on, so nothing falls back silently.
 */
import { NotSupportedError, UsageError, type VerifierError } from '../errors.js';
import { MAX_INPUT, parseVerifyMode, verifyProgram, type VerifyMode, type VerifyResult } from '../verifier/index.js';
import type { HelperSet } from '../helpers/registry.js';
import { OP_LDDW, type Insn } from '../isa/index.js';
import { loadBinaryen, usesBinaryen, type JitFacts, type JitProgram, type Tier } from '../jit-wasm/index.js';
import { Interpreter, NO_RUN_OPTIONS, type RunOptions, type RunResult } from '../vm/index.js';
import type { Prepared } from '../vm/prepare.js';
import { compileOn, runOnR0, type CompileStats } from './jit-backend.js';
import { Metering, runMetered, STEPS_NOT_COUNTED } from './metering.js';
import { BACKENDS, type BackendChoice, type BackendName } from './backend-names.js';
import { debugCache, debugLog } from './wasm-cache.js';

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
   * What a verifier proved about the program (src/jit-wasm/facts.ts), for the JIT tiers: accesses proved in bounds
   * run unchecked; with `terminates`, runs without a budget run unmetered (steps: STEPS_NOT_COUNTED). Default: the
   * facts of this load's own verification when it accepted the program, else none.
   */
  facts?: JitFacts;
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
 * compiles it picks wasm-fast: both tiers build the same module (docs/jit-wasm.md "Verdict on the tiers"), and
 * wasm-fast's lazy compilation costs less up front for the short runs `auto` expects.
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
 * prepareBackend loads what a backend needs before programs can be loaded synchronously on it: binaryen, when its tier
 * is set to run binaryen's passes (OPT_LEVELS in src/jit-wasm/compile.ts; not by default: both tiers are built without
 * binaryen). Without it, loading on such a tier is a NotSupportedError.
 */
export async function prepareBackend(choice: string | undefined): Promise<void> {
  const tier = tierOf(resolveBackend(choice, 0));
  if (tier && usesBinaryen(tier)) await loadBinaryenLogged();
}

/** loadBinaryenLogged loads binaryen, saying so on stderr under `BPFTIME_VM_DEBUG=cache` (what the cache spares). */
async function loadBinaryenLogged(): Promise<void> {
  if (debugCache()) debugLog('loading binaryen');
  await loadBinaryen();
}

/** needsBinaryen reports whether an error is a compile that found no cached module with binaryen not loaded. */
export function needsBinaryen(e: unknown): boolean {
  return e instanceof NotSupportedError && e.code === 'jit-not-loaded';
}

/** missesBinaryen reports whether a collection left programs unloaded for want of binaryen (for `loadOn`). */
export function missesBinaryen(c: { readonly loadErrors: ReadonlyMap<string, unknown> }): boolean {
  for (const e of c.loadErrors.values()) if (needsBinaryen(e)) return true;
  return false;
}

/**
 * loadOn builds what compiles programs on `choice` (a `loadRaw`, a Collection) without loading binaryen first: on a
 * tier set to run binaryen's passes (OPT_LEVELS), a build whose modules all come from the module cache
 * (src/runtime/wasm-cache.ts) never loads it (2-2.6 s and ~100 MiB); one that needs it is built again once it is
 * loaded. `missing` finds that need in what was built (a Collection keeps per-program load errors instead of throwing).
 */
export async function loadOn<T>(choice: string | undefined, build: () => T, missing: (t: T) => boolean = () => false): Promise<T> {
  const tier = tierOf(resolveBackend(choice, 0));
  if (!tier || !usesBinaryen(tier)) return build();
  try {
    const t = build();
    if (!missing(t)) return t;
  } catch (e) {
    if (!needsBinaryen(e)) throw e;
  }
  await loadBinaryenLogged();
  return build();
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

/**
 * JitLoaded is a raw program on a JIT tier. A class, as InterpLoaded: an object literal with accessors is kept in
 * dictionary mode by V8 11, where each `run` lookup is a hash lookup (bench/RESULTS.md "Per-call cost").
 */
class JitLoaded implements LoadedProgram {
  constructor(
    readonly backend: BackendName,
    readonly compileStats: CompileStats,
    readonly verification: VerifyResult | undefined,
    private readonly vm: Interpreter,
    private readonly prepared: Prepared,
    private readonly jit: JitProgram,
    private readonly metering: Metering,
  ) {}

  run(o: RunOptions = NO_RUN_OPTIONS): RunResult {
    if (o !== NO_RUN_OPTIONS) checkInput(this.verification, o);
    // runMetered, written out: this is the whole per-call path of a raw JIT program.
    const jit = o.budget === undefined ? this.jit : this.metering.forRun(this.jit, o.budget);
    const r0 = runOnR0(this.vm, jit, o);
    return { r0, steps: jit.metered ? jit.lastSteps : STEPS_NOT_COUNTED };
  }
}

/** InterpLoaded is a raw program on the interpreter, moved to wasm-fast once if `auto` tiers up (TierUp). */
class InterpLoaded implements LoadedProgram {
  private jit: JitProgram | undefined;
  private current: BackendName;
  private stats: CompileStats;
  private readonly tierUp: TierUp;
  private readonly metering: Metering;

  constructor(
    backend: BackendName,
    stats: CompileStats,
    readonly verification: VerifyResult | undefined,
    private readonly vm: Interpreter,
    private readonly prepared: Prepared,
    private readonly insns: readonly Insn[],
    private readonly opts: LoadOptions,
    private readonly facts: JitFacts | undefined,
  ) {
    this.current = backend;
    this.stats = stats;
    this.tierUp = new TierUp(parseBackend(opts.backend) === 'auto');
    this.metering = new Metering(() => compileOn(vm, insns, { tier: 'fast', section: opts.section, facts, budget: true }).jit);
  }

  get backend(): BackendName {
    return this.current;
  }

  get compileStats(): CompileStats {
    return this.stats;
  }

  run(o: RunOptions = NO_RUN_OPTIONS): RunResult {
    if (o !== NO_RUN_OPTIONS) checkInput(this.verification, o);
    if (this.jit) return runMetered(this.vm, this.prepared, this.jit, this.metering, o);
    const r = this.vm.run(this.prepared, o);
    if (this.tierUp.count(r.steps)) {
      const compiled = compileOn(this.vm, this.insns, { tier: 'fast', section: this.opts.section, facts: this.facts });
      [this.jit, this.current, this.stats] = [compiled.jit, 'wasm-fast', compiled.stats];
    }
    return r;
  }
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
  const facts = opts.facts ?? (verification?.ok ? verification.facts : undefined);
  if (tier) {
    const { jit, stats } = compileOn(vm, insns, { tier, section: opts.section, facts });
    const metering = new Metering(() => compileOn(vm, insns, { tier, section: opts.section, facts, budget: true }).jit);
    return new JitLoaded(backend, stats, verification, vm, prepared, jit, metering);
  }
  return new InterpLoaded(backend, { ms: performance.now() - t0, insns: insnCount }, verification, vm, prepared, insns, opts, facts);
}
