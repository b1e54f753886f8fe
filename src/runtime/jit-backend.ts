/**
 * Running a program on a Wasm JIT tier inside the interpreter's machine: the Interpreter owns the layout (guest
 * memory, stack region, input buffer, helper environment) and validates and pre-decodes the program (so load errors
 * are the same on every backend); the JIT program is compiled from the same slots and runs against the same memory.
 */
import { compileProgram, JitProgram, type Tier } from '../jit-wasm/index.js';
import { validateProgram, type Insn } from '../isa/index.js';
import { DEFAULT_BUDGET, type Interpreter, type RunOptions, type RunResult } from '../vm/index.js';
import type { LddwResolver, Prepared } from '../vm/prepare.js';

/** CompileStats is what translating, compiling and instantiating a program cost. */
export interface CompileStats {
  /** Milliseconds spent translating, compiling and instantiating (0 for the interpreter's pre-decoding). */
  ms: number;
  /** eBPF instructions (a lddw counts once). */
  insns: number;
}

/** JitOptions selects the tier and the environment the program is bound to. */
export interface JitOptions {
  tier: Tier;
  section?: string;
  resolveLddw?: LddwResolver;
  poisoned?: ReadonlyMap<number, string>;
}

/** compileOn compiles slots for the machine of `vm` and instantiates them; it reports the time it took. */
export function compileOn(vm: Interpreter, insns: readonly Insn[], opts: JitOptions): { jit: JitProgram; stats: CompileStats } {
  const t0 = performance.now();
  const valid = validateProgram(insns, opts.section);
  const compiled = compileProgram(valid, { tier: opts.tier, helpers: vm.helpers, resolveLddw: opts.resolveLddw, poisoned: opts.poisoned, section: opts.section });
  const jit = new JitProgram(compiled, {
    mem: vm.mem,
    stackTop: vm.env.stackTop,
    maxDepth: vm.env.maxDepth,
    helperEnv: () => vm.env.call.env,
  });
  return { jit, stats: { ms: performance.now() - t0, insns: compiled.insnCount } };
}

/** runOn runs a compiled program with the interpreter's run conventions (input, args, budget, zeroed stack). */
export function runOn(vm: Interpreter, prepared: Prepared, jit: JitProgram, opts: RunOptions): RunResult {
  const st = vm.start(prepared, opts);
  vm.mem.u8.fill(0, vm.stack.start, vm.env.stackTop);
  const R = st.R;
  const args: bigint[] = [];
  for (let r = 1; r <= 5; r++) args.push((BigInt(R[r * 2 + 1] >>> 0) << 32n) | BigInt(R[r * 2] >>> 0));
  const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
  return jit.run(args, vm.env.packetStart, vm.env.packetLength, budget);
}
