/**
 * What every `make*` builder shares: the module under construction, the instruction being translated, and the
 * mapping of eBPF registers to Wasm locals. A function's parameters are r0..r10 (locals 0..10, as the interpreter's
 * callees see the caller's registers), followed by the budget countdown, the cached read/write region bounds and
 * scratch locals.
 */
import { NotSupportedError } from '../errors.js';
import type { HelperDef, HelperSet } from '../helpers/registry.js';
import { formatInsn, type Form, type Insn } from '../isa/index.js';
import type { Expr, ExprBuilder, ValueTypes } from './builder.js';
import type { InlineMap } from './inline-map.js';
import type { Guesses, StaticRegion } from './regions.js';
import type { Block } from './blocks.js';
import type { ChargePlan } from './checks.js';

/** L_FP is the local of r10 (the last parameter; r0..r9 are locals 0..9). */
export const L_FP = 10;
/** L_BUDGET is the local counting down the instruction budget. */
export const L_BUDGET = 11;
/** L_RLO and L_RHI are the bounds of the region the last checked read hit. */
export const L_RLO = 12;
export const L_RHI = 13;
/** L_WLO and L_WHI are the bounds of the writable region the last checked write hit. */
export const L_WLO = 14;
export const L_WHI = 15;
/** L_T1 and L_T2 are i64 scratch locals (the checked address, a refill result or fetched value). */
export const L_T1 = 16;
export const L_T2 = 17;
/** L_LABEL is the label local of the control flow (the Relooper's helper, or the direct emitter's dispatch label). */
export const L_LABEL = 18;
/** L_I1 and L_I2 are i32 scratch locals (packet offset and loaded word). */
export const L_I1 = 19;
export const L_I2 = 20;
/** VAR_COUNT_I64 and VAR_COUNT_I32 count the locals after the eleven parameters: budget, caches and scratch; label and i32 scratch. */
export const VAR_COUNT_I64 = 7;
export const VAR_COUNT_I32 = 3;


/** Ctx is the translation state the builders read. */
export interface Ctx {
  /** Type constants of `m`. */
  readonly b: ValueTypes;
  /** Where expressions are built: binaryen's module (wasm-opt) or the direct emitter's tree (wasm-fast). */
  readonly m: ExprBuilder;
  readonly insns: readonly Insn[];
  readonly forms: readonly (Form | null)[];
  /** Slot being translated. */
  pc: number;
  /** Function entry slots, ascending. */
  readonly functions: readonly number[];
  readonly helpers: HelperSet;
  /** Import name of a helper called by id, registering it on first use. */
  helperImport(def: HelperDef): string;
  /** Whether tail calls (helpers that may not return) need the `bpf.tail_call` import. */
  usesTailCall: boolean;
  /** Whether atomics call the `bpf.atomic` import instead of running inline (`CompileOptions.atomicImports`). */
  readonly atomicImports: boolean;
  /** Value of the lddw at `pc`: a constant (resolved by the caller's LddwResolver) or an imported global. */
  lddwValue(pc: number): Expr;
  /** The fixed region the value of the lddw at `pc` points into, when known at translation time (regions.ts). */
  lddwRegion(pc: number): StaticRegion | undefined;
  /** Per register, the region its value is believed to point into, in the block being translated. */
  guess: Guesses;
  /** Whether guesses are tracked at all: only a program with a lddw can have any (every guess starts at one). */
  readonly tracksGuesses: boolean;
  /** The map the value of the lddw at `pc` is the handle of, when its lookups can run inline (inline-map.ts). */
  lddwMap(pc: number): InlineMap | undefined;
  /** Per register, the inline-able map whose handle it is believed to hold, in the block being translated. */
  mapGuess: (InlineMap | undefined)[];
  readonly section: string;
  /** Loads are PROBE_MEM loads: a bad address reads 0 (BTF-typed tracing programs). */
  readonly probeMem: boolean;
  /**
   * charge is the tier's own code for a block's budget charge, when it has one cheaper to build than
   * `chargeBudget`'s (translate.ts), with the same effect.
   */
  charge: ((blk: Block) => Expr) | undefined;
  /** Which blocks skip their budget check, and whose deficit a check reports (checks.ts). */
  readonly plan: ChargePlan;
}

/** fnName is the internal name of the Wasm function for the BPF function at `pc`. */
export const fnName = (pc: number): string => `f${pc}`;

/** getReg reads eBPF register `r` as i64. */
export const getReg = (c: Ctx, r: number): Expr => c.m.local.get(r, c.b.i64);

/** setReg writes eBPF register `r`. */
export const setReg = (c: Ctx, r: number, v: Expr): Expr => c.m.local.set(r, v);

/** i64c is a 64-bit constant (a number is passed on as is, sparing a BigInt for the usual small constants). */
export const i64c = (c: Ctx, v: bigint | number): Expr =>
  c.m.i64.const(typeof v === 'number' && Number.isSafeInteger(v) ? v : BigInt.asIntN(64, BigInt(v)));

/** i32c is a 32-bit constant. */
export const i32c = (c: Ctx, v: number): Expr => c.m.i32.const(v | 0);

/** local reads an i64 helper local. */
export const local = (c: Ctx, l: number): Expr => c.m.local.get(l, c.b.i64);

/** regs1to5 are the argument registers, as passed to helpers. */
export const regs1to5 = (c: Ctx): Expr[] => [1, 2, 3, 4, 5].map((r) => getReg(c, r));

/** regs0to9 are the registers a called BPF function starts with (r10 is passed separately). */
export const regs0to9 = (c: Ctx): Expr[] => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => getReg(c, r));

/** seq makes a statement list. */
export const seq = (c: Ctx, list: readonly Expr[]): Expr => (list.length === 1 ? list[0] : c.m.block(null, list, c.b.none));

/**
 * coldIf is `if (cond) { body }` for a path that is rarely taken (a bounds refill, a trap): its arm starts with a
 * `nop`, the mark by which branch-hints.ts hints the branch as unlikely in the finished module.
 */
export const coldIf = (c: Ctx, cond: Expr, body: readonly Expr[]): Expr => c.m.if(cond, c.m.block(null, [c.m.nop(), ...body], c.b.none));

/** unsupported is the typed error for an instruction the JIT cannot translate. */
export function unsupported(c: Ctx, code: string, why: string, pc = c.pc): NotSupportedError {
  const insn = formatInsn(c.insns, pc);
  return new NotSupportedError(code, `pc ${pc}: ${insn}: ${why}`, { ...(c.section ? { section: c.section } : {}), pc, insn });
}
