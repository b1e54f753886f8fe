/**
 * What both tiers share when translating a program: the options and result types, the per-program translation state
 * (`startTranslation`), the `compileInsn` dispatch to the `make*` builders and the per-block budget charge
 * (`makeBlock`). A tier only decides how blocks become control flow and how the module is assembled: binaryen's
 * Relooper and emitter (`compile.ts`, wasm-opt) or the direct byte emitter (`direct/`, wasm-fast).
 */
import { LoadError } from '../errors.js';
import type { HelperDef, HelperSet } from '../helpers/registry.js';
import { formatInsn, PSEUDO_FUNC, PSEUDO_IMM64, LDDW_PSEUDO_NAMES, type Form, type Insn, type ValidProgram } from '../isa/index.js';
import { TEXT_BASE } from '../memory/guest-memory.js';
import { TRAP_BUDGET, TRAP_POISON } from './abi.js';
import { withBranchHints } from './branch-hints.js';
import { makeAlu32, makeAlu64, makeEnd, makeMovsx } from './alu.js';
import { splitBlocks, type Block, type Blocks } from './blocks.js';
import { planChecks } from './checks.js';
import type { Expr, ExprBuilder, ValueTypes } from './builder.js';
import { makeCallHelper, makeCallLocal, makeCallx, makeExit, trap } from './calls.js';
import { coldIf, i64c, local, L_BUDGET, setReg, unsupported, type Ctx } from './emit.js';
import { makeAtomic, makeLdPacket, makeLoad, makeStore } from './memory-ops.js';
import type { MapLookup } from './inline-map.js';
import { meteredWith, type JitFacts } from './facts.js';
import { forgetGuesses, noGuesses, trackGuesses, type RegionLookup } from './regions.js';

/** Tier selects the compiler: `fast` emits Wasm bytes directly (V8 baseline first), `opt` goes through binaryen. */
export type Tier = 'fast' | 'opt';

/** LddwResolver gives the value of a lddw with a map or BTF pseudo-source (the interpreter's resolver type). */
export type LddwResolver = (pc: number, pseudo: number, imm: number, imm2: number) => bigint;

/** CompileOptions is what translation needs besides the program. */
export interface CompileOptions {
  tier: Tier;
  helpers: HelperSet;
  resolveLddw?: LddwResolver;
  /** Slots poisoned by failed CO-RE relocations, with the message executing them reports. */
  poisoned?: ReadonlyMap<number, string>;
  section?: string;
  /** Validate the module (tests); a failure is an internal error. */
  validate?: boolean;
  /** Emit text (`.wat`) too (binaryen prints it, so it must be loaded). */
  text?: boolean;
  /**
   * Import the value of every lddw with a map pseudo-source as an i64 global `bpf.lddw_<pc>` instead of resolving it
   * now (modules exported for another host, which owns the maps).
   */
  lddwImports?: boolean;
  /** Atomic read-modify-writes call the `bpf.atomic` import (hosts running a program on several threads). */
  atomicImports?: boolean;
  /** Finds the fixed region of a lddw's value, for the constant-bounds fast check of accesses through it. */
  regionOf?: RegionLookup;
  /** Finds the map a lddw's value is the handle of, when its lookups and updates can run inline (inline-map.ts). */
  mapOf?: MapLookup;
  /** What a verifier proved (facts.ts): accesses compiled without bounds checks, and termination (no budget charges). */
  facts?: JitFacts;
  /** Keep the budget charges even when `facts` prove termination (a run that asks for an instruction budget). */
  budget?: boolean;
  /** Loads are PROBE_MEM loads: a bad address reads 0 instead of trapping (BTF-typed tracing programs). */
  probeMem?: boolean;
}

/** LddwImport is a lddw whose value the host supplies: the instruction's pseudo-source and immediates. */
export interface LddwImport {
  readonly pc: number;
  readonly global: string;
  readonly pseudo: number;
  readonly imm: number;
  readonly imm2: number;
}

/** CompiledProgram is a translated program: the module bytes and what the host needs to instantiate it. */
export interface CompiledProgram {
  readonly bytes: Uint8Array;
  readonly text?: string;
  readonly insns: readonly Insn[];
  readonly forms: readonly (Form | null)[];
  /** Helpers imported from HELPER_MODULE, by import name. */
  readonly helperImports: ReadonlyMap<string, HelperDef>;
  readonly helperSet: HelperSet;
  readonly functions: readonly number[];
  readonly poison: ReadonlyMap<number, string>;
  readonly usesTailCall: boolean;
  readonly usesCallx: boolean;
  readonly lddwImports: readonly LddwImport[];
  /** Instructions (slots that are not a lddw's second half). */
  readonly insnCount: number;
  /**
   * Whether blocks charge the budget. False only with a termination proof and no budget asked for: the module then
   * neither counts steps nor stops at a budget (the `budget` global is left as the host set it).
   */
  readonly metered: boolean;
  /** Memory accesses compiled without a bounds check because `facts` proved them in bounds. */
  readonly uncheckedAccesses: number;
  /** The functions the code calls by name, imports included (the direct emitter says; budget charges not included). */
  readonly called?: ReadonlySet<string>;
}

/** Translation is the state of translating one program, whichever tier assembles it. */
export interface Translation {
  readonly c: Ctx;
  readonly blocks: Blocks;
  readonly poison: ReadonlyMap<number, string>;
  readonly helperImports: Map<string, HelperDef>;
  readonly lddwImports: LddwImport[];
  readonly usesCallx: boolean;
}

/** helperImportName is the internal name of the import of helper `name` (calls are made by this name). */
export const helperImportName = (name: string): string => `h_${name}`;

/** BuilderFactory makes the expression builder once the blocks and the services a program needs are known. */
export type BuilderFactory = (blocks: Blocks, uses: { tailCall: boolean; callx: boolean }) => ExprBuilder;

/** startTranslation builds the translation context of a program over an expression builder. */
export function startTranslation(prog: ValidProgram, opts: CompileOptions, b: ValueTypes, builder: BuilderFactory): Translation {
  const { insns, forms, functions } = prog;
  const helperImports = new Map<string, HelperDef>();
  const lddwImports: LddwImport[] = [];
  const poison = new Map(opts.poisoned ?? []);
  let usesCallx = false;
  let usesTailCall = false;
  let anyLddw = false;
  for (let pc = 0; pc < forms.length; pc++) {
    const f = forms[pc];
    if (f?.kind === 'lddw') anyLddw = true;
    else if (f?.kind === 'callx') usesCallx = true;
    else if (f?.kind === 'call' && f.mode === 'helper' && opts.helpers.get(insns[pc].imm)?.proto.ret === 'noreturn_on_success') usesTailCall = true;
  }
  usesTailCall ||= usesCallx;
  const poisoned = new Set(poison.keys());
  const blocks = splitBlocks(insns, forms, functions, poisoned);
  const metered = meteredWith(opts.facts, opts.budget);
  const plan = planChecks(blocks, forms, functions, poisoned, insns.length);
  const m = builder(blocks, { tailCall: usesTailCall, callx: usesCallx });
  const c: Ctx = {
    b,
    m,
    insns,
    forms,
    pc: 0,
    functions,
    usesTailCall,
    atomicImports: opts.atomicImports ?? false,
    helpers: opts.helpers,
    section: opts.section ?? '',
    probeMem: opts.probeMem === true,
    helperImport(def) {
      helperImports.set(def.name, def);
      return helperImportName(def.name);
    },
    lddwValue: (pc) => {
      const f = forms[pc] as Extract<Form, { kind: 'lddw' }>;
      if (!opts.lddwImports || f.pseudo === PSEUDO_IMM64 || f.pseudo === PSEUDO_FUNC) return i64c(c, lddwValue(c, pc, opts));
      const global = `lddw_${pc}`;
      if (!lddwImports.some((l) => l.pc === pc)) lddwImports.push({ pc, global, pseudo: f.pseudo, imm: insns[pc].imm, imm2: insns[pc + 1].imm });
      return m.global.get(global, b.i64);
    },
    lddwRegion: (pc) => {
      const f = forms[pc] as Extract<Form, { kind: 'lddw' }>;
      if (!opts.regionOf || (opts.lddwImports && f.pseudo !== PSEUDO_IMM64) || f.pseudo === PSEUDO_FUNC) return undefined;
      return opts.regionOf(lddwValue(c, pc, opts));
    },
    guess: noGuesses(),
    charge: undefined,
    plan,
    tracksGuesses: anyLddw,
    lddwMap: (pc) => {
      const f = forms[pc] as Extract<Form, { kind: 'lddw' }>;
      if (!opts.mapOf || opts.lddwImports || f.pseudo === PSEUDO_IMM64 || f.pseudo === PSEUDO_FUNC) return undefined;
      return opts.mapOf(lddwValue(c, pc, opts));
    },
    mapGuess: noGuesses(),
    metered,
    inBounds: opts.facts && opts.facts.inBounds.size > 0 ? opts.facts.inBounds : undefined,
    uncheckedAccesses: 0,
  };
  return { c, blocks, poison, helperImports, lddwImports, usesCallx };
}

/**
 * finishTranslation is the compiled program of a translation, given its module: `hinted` when the module already
 * has its branch hints (the direct tier), else they are added here.
 */
export function finishTranslation(t: Translation, opts: CompileOptions, bytes: Uint8Array, text: string | undefined, hinted = false): CompiledProgram {
  const { c } = t;
  return {
    bytes: hinted ? bytes : withBranchHints(bytes),
    ...(text !== undefined ? { text } : {}),
    insns: c.insns,
    forms: c.forms,
    helperImports: t.helperImports,
    helperSet: opts.helpers,
    functions: c.functions,
    poison: t.poison,
    usesTailCall: c.usesTailCall,
    usesCallx: t.usesCallx,
    lddwImports: t.lddwImports,
    insnCount: countForms(c.forms),
    metered: c.metered,
    uncheckedAccesses: c.uncheckedAccesses,
  };
}

/** compileInsn translates one instruction that is not a jump (jumps become the tier's branches). */
function compileInsn(c: Ctx, f: Form, ins: Insn): Expr {
  switch (f.kind) {
    case 'alu': return f.is64 ? makeAlu64(c, f, ins) : makeAlu32(c, f, ins);
    case 'movsx': return makeMovsx(c, f, ins);
    case 'end': return makeEnd(c, f, ins);
    case 'ja': case 'jcond': return c.m.nop();
    case 'call':
      if (f.mode === 'local') return makeCallLocal(c, c.pc + 1 + ins.imm);
      if (f.mode === 'kfunc') {
        const def = c.helpers.kfuncAt(ins.imm).def;
        if (!def) throw unsupported(c, 'unsupported-kfunc', `kfunc ${c.helpers.kfuncAt(ins.imm).name ?? `BTF id ${ins.imm}`} is not supported`);
        return makeCallHelper(c, def);
      }
      return makeCallHelper(c, helperDef(c, ins));
    case 'callx': return makeCallx(c, ins);
    case 'exit': return makeExit(c);
    case 'lddw': return setReg(c, ins.dst, c.lddwValue(c.pc));
    case 'ldabs': case 'ldind': return makeLdPacket(c, f, ins);
    case 'ldx': case 'load_acq': return makeLoad(c, f, ins);
    case 'st': case 'stx': case 'store_rel': return makeStore(c, f, ins);
    case 'atomic': return makeAtomic(c, f, ins);
  }
}

function helperDef(c: Ctx, ins: Insn): HelperDef {
  const set = c.helpers;
  const def = set.get(ins.imm);
  if (!def) {
    const insn = formatInsn(c.insns, c.pc);
    throw new LoadError('unknown-helper', `pc ${c.pc}: ${insn}: unknown helper ${ins.imm} in helper set ${set.name}`, { pc: c.pc, insn });
  }
  return def;
}

/**
 * chargeBudget is a block's budget charge: take its `count` instructions from the budget and, when that leaves it
 * negative, trap with the block's pc and what was left before it (the host names the pc the interpreter stops at).
 */
export function chargeBudget(c: Ctx, blk: Block): Expr[] {
  const { m } = c;
  const count = blk.count;
  const take = m.local.set(L_BUDGET, m.i64.sub(local(c, L_BUDGET), i64c(c, count)));
  if (c.plan.unchecked[blk.start]) return [take];
  // left: what was left before this block. When an unchecked predecessor ran it out (left < 0), name that block.
  const left = (more: number): Expr => m.i64.add(local(c, L_BUDGET), i64c(c, count + more));
  const y = c.plan.covered(blk.start);
  const exhausted = y
    ? [m.if(m.i64.lt_s(left(0), i64c(c, 0)), trap(c, TRAP_BUDGET, left(y.count), y.start)), trap(c, TRAP_BUDGET, left(0), blk.start)]
    : [trap(c, TRAP_BUDGET, left(0), blk.start)];
  return [take, coldIf(c, m.i64.lt_s(local(c, L_BUDGET), i64c(c, 0)), exhausted)];
}

/** makeBlock translates the instructions of a block, after charging the budget. */
export function makeBlock(c: Ctx, blk: Block, poison: ReadonlyMap<number, string>): Expr {
  const out: Expr[] = [];
  blockStatements(c, blk, poison, out);
  return c.m.block(null, out, c.b.none);
}

/**
 * blockStatements appends to `out` the statements of a block: its budget charge (none in an unmetered module), then
 * its instructions.
 */
export function blockStatements(c: Ctx, blk: Block, poison: ReadonlyMap<number, string>, out: Expr[]): void {
  c.pc = blk.start;
  if (c.metered) {
    if (c.charge) out.push(c.charge(blk));
    else for (const e of chargeBudget(c, blk)) out.push(e);
  }
  const track = c.tracksGuesses;
  if (track) {
    forgetGuesses(c.guess);
    forgetGuesses(c.mapGuess);
  }
  const anyPoison = poison.size > 0;
  for (let pc = blk.start; pc < blk.end; pc++) {
    const f = c.forms[pc];
    if (!f) continue;
    c.pc = pc;
    out.push(anyPoison && poison.has(pc) ? trap(c, TRAP_POISON, i64c(c, 0)) : compileInsn(c, f, c.insns[pc]));
    if (track) {
      trackGuesses(c.guess, f, c.insns[pc], pc, c.lddwRegion);
      trackGuesses(c.mapGuess, f, c.insns[pc], pc, c.lddwMap);
    }
  }
}

/** countForms counts the instructions of a program (the slots with a form: a lddw's second half has none). */
function countForms(forms: readonly (Form | null)[]): number {
  let n = 0;
  for (const f of forms) if (f !== null) n++;
  return n;
}

function lddwValue(c: Ctx, pc: number, opts: CompileOptions): bigint {
  const f = c.forms[pc] as Extract<Form, { kind: 'lddw' }>;
  const imm = c.insns[pc].imm;
  const imm2 = c.insns[pc + 1].imm;
  if (f.pseudo === PSEUDO_IMM64) return (BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0);
  if (f.pseudo === PSEUDO_FUNC) return TEXT_BASE + BigInt(pc + 1 + imm) * 8n;
  if (opts.resolveLddw) return opts.resolveLddw(pc, f.pseudo, imm, imm2);
  throw unsupported(c, 'lddw-pseudo', `${LDDW_PSEUDO_NAMES[f.pseudo]} needs maps or BTF, which only a loaded object provides`);
}
