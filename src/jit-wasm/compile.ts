/**
 * eBPF to WebAssembly (DESIGN.md section 6). Each BPF function becomes a Wasm function whose basic blocks go through
 * binaryen's Relooper, which rebuilds structured control flow from the gotos. `compileInsn` dispatches on the
 * instruction form to small `make*` builders that mirror the interpreter's cases. Every block first charges its
 * instruction count to the budget (so an infinite loop stops with the interpreter's budget error); lddw values are
 * resolved at compile time with the same LddwResolver the interpreter gets and embedded as constants.
 */
import { LoadError } from '../errors.js';
import type { HelperDef, HelperSet } from '../helpers/registry.js';
import { formatInsn, PSEUDO_FUNC, PSEUDO_IMM64, LDDW_PSEUDO_NAMES, type Form, type Insn, type ValidProgram } from '../isa/index.js';
import { TEXT_BASE } from '../memory/guest-memory.js';
import { BPF_MODULE, ENTRY_EXPORT, ENV_MODULE, functionExport, GLOBALS, HELPER_MODULE, MEMORY_IMPORT, TRAP_BUDGET, TRAP_FELL_OFF, TRAP_POISON } from './abi.js';
import { makeAlu32, makeAlu64, makeEnd, makeMovsx } from './alu.js';
import { reachable, splitBlocks, type Block } from './blocks.js';
import { HELPER_PARAMS, makeCallHelper, makeCallLocal, makeCallx, makeExit, resetCaches, trap } from './calls.js';
import { fnName, i64c, local, L_BUDGET, L_LABEL, setReg, unsupported, VAR_COUNT_I32, VAR_COUNT_I64, type Ctx } from './emit.js';
import { makeJmpCond } from './jumps.js';
import { makeAtomic, makeLdPacket, makeLoad, makeStore } from './memory-ops.js';
import { binaryen, finishModule, newModule, type Expr, type RelooperBlock } from './module.js';

/** Tier selects how much binaryen optimises: `fast` emits the Relooper's output as is, `opt` runs its passes. */
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
  /** Run binaryen's validator (tests); a failure is an internal error. */
  validate?: boolean;
  /** Emit text (`.wat`) too. */
  text?: boolean;
  /**
   * Import the value of every lddw with a map pseudo-source as an i64 global `bpf.lddw_<pc>` instead of resolving it
   * now (modules exported for another host, which owns the maps).
   */
  lddwImports?: boolean;
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
}

/**
 * OPT_LEVELS are binaryen's settings per tier. Measured with `bpftime-vm run bench/programs/*.asm --repeat N`
 * (docs/jit-wasm.md): binaryen's full pipeline (`optimize()` at level 2) cost about 10x the translation and made V8's
 * code 2-5x slower on these loops, single passes gave nothing beyond noise, and V8's optimising compiler does the
 * rest anyway. So both tiers emit the Relooper's output as is; the optimising tier differs in being compiled by V8's
 * optimising compiler from the start instead of its baseline compiler (src/runtime/jit-backend.ts).
 */
export const OPT_LEVELS: Record<Tier, { level: number; shrink: number; passes?: readonly string[] }> = {
  fast: { level: 0, shrink: 0 },
  opt: { level: 0, shrink: 0 },
};

/** compileInsn translates one instruction that is not a jump (jumps become Relooper branches). */
function compileInsn(c: Ctx, f: Form, ins: Insn): Expr {
  switch (f.kind) {
    case 'alu': return f.is64 ? makeAlu64(c, f, ins) : makeAlu32(c, f, ins);
    case 'movsx': return makeMovsx(c, f, ins);
    case 'end': return makeEnd(c, f, ins);
    case 'ja': case 'jcond': return c.m.nop();
    case 'call':
      if (f.mode === 'local') return makeCallLocal(c, c.pc + 1 + ins.imm);
      if (f.mode === 'kfunc') throw unsupported(c, 'kfunc', 'kfunc calls are not supported');
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

/** makeBlock translates the instructions of a block, after charging the budget. */
function makeBlock(c: Ctx, blk: Block, poison: ReadonlyMap<number, string>): Expr {
  const { m, b } = c;
  c.pc = blk.start;
  const out: Expr[] = [
    m.local.set(L_BUDGET, m.i64.sub(local(c, L_BUDGET), i64c(c, blk.count))),
    m.if(m.i64.lt_s(local(c, L_BUDGET), i64c(c, 0)), trap(c, TRAP_BUDGET, m.i64.add(local(c, L_BUDGET), i64c(c, blk.count)))),
  ];
  for (let pc = blk.start; pc < blk.end; pc++) {
    const f = c.forms[pc];
    if (!f) continue;
    c.pc = pc;
    out.push(poison.has(pc) ? trap(c, TRAP_POISON, i64c(c, 0)) : compileInsn(c, f, c.insns[pc]));
  }
  return m.block(null, out, b.none);
}

/** compileFunction builds the Wasm function for the BPF function entered at `entry`. */
function compileFunction(c: Ctx, entry: number, all: ReadonlyMap<number, Block>, poison: ReadonlyMap<number, string>): void {
  const { m, b } = c;
  const blocks = reachable(all, entry);
  const r = new b.Relooper(m);
  const byStart = new Map<number, RelooperBlock>();
  for (const blk of blocks) byStart.set(blk.start, r.addBlock(makeBlock(c, blk, poison)));
  const at = (pc: number): RelooperBlock => {
    let t = byStart.get(pc);
    if (t === undefined) {
      t = r.addBlock(trap(c, TRAP_FELL_OFF, i64c(c, 0), pc));
      byStart.set(pc, t);
    }
    return t;
  };
  for (const blk of blocks) {
    const from = byStart.get(blk.start)!;
    const f = c.forms[blk.last]!;
    if (blk.next.length === 2 && blk.next[0] !== blk.next[1] && f.kind === 'jcond') {
      c.pc = blk.last;
      r.addBranch(from, at(blk.next[0]), makeJmpCond(c, f, c.insns[blk.last]), 0);
    }
    if (blk.next.length) r.addBranch(from, at(blk.next[blk.next.length - 1]), 0, 0);
  }
  const body = m.block(null, [
    m.local.set(L_BUDGET, m.global.get('budget', b.i64)),
    ...resetCaches(c),
    r.renderAndDispose(byStart.get(entry)!, L_LABEL),
    m.unreachable(),
  ], b.i64);
  const vars = [...Array<number>(VAR_COUNT_I64).fill(b.i64), ...Array<number>(VAR_COUNT_I32).fill(b.i32)];
  m.addFunction(fnName(entry), b.createType(Array<number>(11).fill(b.i64)), b.i64, vars, body);
  // The export takes r1..r5 and r10; inside, functions also receive r0 and r6..r9 as the interpreter's callees see them.
  const params = [1, 2, 3, 4, 5].map((k) => m.local.get(k - 1, b.i64));
  const zero = (): number => m.i64.const(0);
  const call = m.call(fnName(entry), [zero(), ...params, zero(), zero(), zero(), zero(), m.local.get(5, b.i64)], b.i64);
  m.addFunction(`${fnName(entry)}_export`, b.createType(Array<number>(6).fill(b.i64)), b.i64, [], call);
  m.addFunctionExport(`${fnName(entry)}_export`, entry === 0 ? ENTRY_EXPORT : functionExport(entry));
}

/** compileProgram translates a validated program to a Wasm module. */
export function compileProgram(prog: ValidProgram, opts: CompileOptions): CompiledProgram {
  const b = binaryen();
  const m = newModule();
  const { insns, forms, functions } = prog;
  const helperImports = new Map<string, HelperDef>();
  const poison = new Map(opts.poisoned ?? []);
  const usesCallx = forms.some((f) => f?.kind === 'callx');
  const usesTailCall = usesCallx || forms.some((f, pc) => f?.kind === 'call' && f.mode === 'helper' && opts.helpers.get(insns[pc].imm)?.proto.ret === 'noreturn_on_success');
  const c: Ctx = {
    b,
    m,
    insns,
    forms,
    pc: 0,
    functions,
    usesTailCall,
    helpers: opts.helpers,
    section: opts.section ?? '',
    helperImport(def) {
      helperImports.set(def.name, def);
      return `h_${def.name}`;
    },
    lddwValue: (pc) => {
      const f = forms[pc] as Extract<Form, { kind: 'lddw' }>;
      if (!opts.lddwImports || f.pseudo === PSEUDO_IMM64 || f.pseudo === PSEUDO_FUNC) return i64c(c, lddwValue(c, pc, opts));
      const global = `lddw_${pc}`;
      if (!lddwImports.some((l) => l.pc === pc)) lddwImports.push({ pc, global, pseudo: f.pseudo, imm: insns[pc].imm, imm2: insns[pc + 1].imm });
      return m.global.get(global, b.i64);
    },
  };
  const lddwImports: LddwImport[] = [];
  m.setMemory(1, -1);
  m.addMemoryImport('0', ENV_MODULE, MEMORY_IMPORT);
  for (const [name, type] of Object.entries(GLOBALS)) {
    m.addGlobal(name, type === 'i32' ? b.i32 : b.i64, true, type === 'i32' ? m.i32.const(0) : m.i64.const(0));
    m.addGlobalExport(name, name);
  }
  const blocks = splitBlocks(insns, forms, functions, new Set(poison.keys()));
  for (const entry of functions) compileFunction(c, entry, blocks, poison);
  const t = (...ts: number[]) => b.createType(ts);
  m.addFunctionImport('trap', BPF_MODULE, 'trap', t(b.i32, b.i32, b.i64), b.none);
  m.addFunctionImport('refill', BPF_MODULE, 'refill', t(b.i64, b.i32, b.i32, b.i32), b.i64);
  if (usesTailCall) m.addFunctionImport('tail_call', BPF_MODULE, 'tail_call', t(b.i64, b.i64, b.i64, b.i64, b.i64, b.i64), b.i64);
  if (usesCallx) m.addFunctionImport('callx', BPF_MODULE, 'callx', t(b.i32, b.i64, b.i64, b.i64, b.i64, b.i64, b.i64), b.i64);
  for (const l of lddwImports) m.addGlobalImport(l.global, BPF_MODULE, l.global, b.i64, false);
  for (const name of helperImports.keys()) {
    m.addFunctionImport(`h_${name}`, HELPER_MODULE, name, t(...Array<number>(HELPER_PARAMS).fill(b.i32)), b.i32);
  }
  try {
    const bytes = finishModule(m, OPT_LEVELS[opts.tier], opts.validate ?? false);
    const text = opts.text ? m.emitText() : undefined;
    return {
      bytes,
      ...(text !== undefined ? { text } : {}),
      insns,
      forms,
      helperImports,
      helperSet: opts.helpers,
      functions,
      poison,
      usesTailCall,
      usesCallx,
      lddwImports,
      insnCount: forms.filter((f) => f !== null).length,
    };
  } finally {
    m.dispose();
  }
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
