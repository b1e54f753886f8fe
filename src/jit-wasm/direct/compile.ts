/**
 * The `wasm-fast` tier: eBPF to Wasm bytes without binaryen. Instructions are translated by the same `make*` builders
 * as the binaryen tier (translate.ts), into the tree of `tree.ts`; this file lays out each function's control flow
 * and assembles the module with exactly the binaryen tier's imports, exports and globals (docs/jit-wasm.md).
 *
 * Control flow without a Relooper: the blocks of a function, in slot order (entry first), are laid out inside nested
 * Wasm `block`s, so that the end of label e_j is where block j's code begins:
 *
 *     loop                       ; only when a branch goes backwards
 *       block e_{n-1} ... block e_1 block e_0
 *         local.get label  br_table 0..k  ; dispatch: the label names the block to (re)enter
 *       end  code_0  end  code_1 ... end  code_{n-1}
 *     end  unreachable
 *
 * A forward jump from block i to block j is `br (j - i - 1)`; falling through to block i + 1 costs nothing; a
 * backward jump (to j <= i) sets the label and branches to the loop, which re-dispatches through the `br_table`.
 *
 * That dispatch is the fallback. A function with backward jumps is first reordered so that its loops are contiguous
 * (loops.ts, `loopOrder`); when they then are contiguous, single-entry and nested (every reducible graph, which is
 * what clang emits), each loop becomes a Wasm `loop` and a backward jump a plain `br` (`structuredBody`), which V8
 * optimises as a loop (measured on wasm-fast: strcmp against 64 keys 314 -> 147 us, prime counting 886 -> 765 us).
 */
import { ENTRY_EXPORT, ENV_MODULE, EXPORT_SIGNATURE, FUNCTION_SIGNATURE, functionExport, GLOBAL_INIT, GLOBALS, type GlobalName, HELPER_MODULE, BPF_MODULE, IMPORT_SIGNATURES, MEMORY_IMPORT, TRAP_FELL_OFF } from '../abi.js';
import { PSEUDO_FUNC, PSEUDO_IMM64 } from '../../isa/index.js';
import { reachable, type Block } from '../blocks.js';
import type { Expr } from '../builder.js';
import { entryCaches, trap } from '../calls.js';
import { fnName, i64c, L_BUDGET, L_LABEL, VAR_COUNT_I32, VAR_COUNT_I64, type Ctx } from '../emit.js';
import { makeJmpCond } from '../jumps.js';
import { binaryToText } from '../module.js';
import { blockStatements, finishTranslation, helperImportName, startTranslation, type CompiledProgram, type CompileOptions, type Translation } from '../translate.js';
import type { ValidProgram } from '../../isa/index.js';
import { NotSupportedError } from '../../errors.js';
import { ByteWriter } from './bytes.js';
import { writeCharge, type ChargeTargets } from './charge.js';
import { assembleModule, resolverOf, type FuncDef, type FuncImport, type ModuleDef } from './assemble.js';
import { EMPTY, OP } from './opcodes.js';
import { Tree, TREE_TYPES, type Resolver } from './tree.js';
import { layoutLoops, loopOrder, type Graph, type LoopPlan } from './loops.js';

const LOCALS: FuncDef['locals'] = [[VAR_COUNT_I64, 'i64'], [VAR_COUNT_I32, 'i32']];

/** Layout is what laying out functions needs about the whole program, shared by its functions. */
interface Layout {
  /** isStart[pc] is 1 where a block starts. */
  readonly isStart: Uint8Array;
  /** index[pc] is the layout position of the block starting at pc in the function being laid out. */
  readonly index: Int32Array;
}

/**
 * functionBody lays out the blocks reachable from `entry` (see the file comment); a successor that is no block (past
 * the last instruction) becomes a block that traps, as in the binaryen tier.
 */
function functionBody(c: Ctx, tree: Tree, entry: number, blocks: readonly Block[], poison: ReadonlyMap<number, string>, lay: Layout): Expr {
  // The entry first, then the other blocks and the successors that start none, in slot order (`blocks` is sorted).
  const layout: number[] = [entry];
  const laid: (Block | undefined)[] = [undefined];
  let extra: number[] | undefined;
  for (const blk of blocks) {
    if (blk.start === entry) laid[0] = blk;
    else {
      layout.push(blk.start);
      laid.push(blk);
    }
    for (const t of blk.next) if (!lay.isStart[t] && t !== entry && !(extra ??= []).includes(t)) extra.push(t);
  }
  if (extra) {
    const byStart = new Map(laid.map((blk, i) => [layout[i], blk]));
    const rest = [...layout.slice(1), ...extra].sort((x, y) => x - y);
    layout.length = 1;
    layout.push(...rest);
    for (let i = 1; i < layout.length; i++) laid[i] = byStart.get(layout[i]);
  }
  const { index } = lay;
  const n = layout.length;
  for (let i = 0; i < n; i++) index[layout[i]] = i;
  let maxBack = -1;
  for (let i = 0; i < n; i++) {
    const next = laid[i]?.next;
    if (next) for (const t of next) if (index[t] <= i && index[t] > maxBack) maxBack = index[t];
  }
  const looped = maxBack >= 0;
  if (looped) {
    // Reorder so that loops are contiguous (loops.ts); keep the order in slots when the loops still do not qualify.
    const order = loopOrder(graphOfLayout(laid, index));
    const slots = layout.slice();
    const blocks = laid.slice();
    for (let i = 0; i < n; i++) {
      layout[i] = slots[order[i]];
      laid[i] = blocks[order[i]];
      index[layout[i]] = i;
    }
    const plan = layoutLoops(graphOfLayout(laid, index));
    if (plan) return structuredBody(c, tree, laid, layout, index, plan, poison);
    for (let i = 0; i < n; i++) {
      layout[i] = slots[i];
      laid[i] = blocks[i];
      index[layout[i]] = i;
    }
  }

  const out = prologue(c, tree);
  out.push(tree.raw(dispatch(n, maxBack)));
  for (let i = 0; i < n; i++) {
    const blk = laid[i];
    const cond = blockCode(c, out, blk, layout[i], poison);
    if (cond !== NO_COND) jump(tree, out, i, n, index[blk!.next[0]], cond);
    if (blk?.next.length) jump(tree, out, i, n, index[blk.next[blk.next.length - 1]], NO_COND);
    if (i < n - 1) out.push(tree.ctl(OP.end));
  }
  if (looped) out.push(tree.ctl(OP.end));
  out.push(tree.unreachable());
  return tree.block(null, out, TREE_TYPES.unreachable);
}

/** graphOfLayout is the control flow of the laid-out blocks (successors as layout positions, by `index`). */
function graphOfLayout(laid: readonly (Block | undefined)[], index: Int32Array): Graph {
  const n = laid.length;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + (laid[i]?.next.length ?? 0);
  const to = new Int32Array(start[n]);
  for (let i = 0; i < n; i++) {
    const next = laid[i]?.next;
    if (next) for (let k = 0; k < next.length; k++) to[start[i] + k] = index[next[k]];
  }
  return { n, start, to };
}

/** structuredBody lays out a function whose loops qualify (loops.ts): real Wasm loops, no label dispatch. */
function structuredBody(c: Ctx, tree: Tree, laid: readonly (Block | undefined)[], layout: readonly number[], index: Int32Array, plan: LoopPlan, poison: ReadonlyMap<number, string>): Expr {
  const { loopEnd, needsLabel, opensAt } = plan;
  const out = prologue(c, tree);
  // Labels open: `depth` of them; each opens once, at the depth kept per block (forwardAt: the block ending at block
  // j; loopAt: the loop headed by block h), so a branch's depth is one subtraction. `loops`: the headers of the open
  // loops, innermost last.
  let depth = 0;
  const loops: number[] = [];
  const forwardAt = new Int32Array(laid.length);
  const loopAt = new Int32Array(laid.length);
  const openBlocks = (targets: readonly number[] | undefined): void => {
    if (targets) for (const j of targets) {
      out.push(tree.raw(BLOCK));
      forwardAt[j] = depth++;
    }
  };
  const end = (): void => {
    depth--;
    out.push(tree.ctl(OP.end));
  };
  const branch = (i: number, t: number, cond: Expr): void => {
    if (t === i + 1 && cond === NO_COND) return;
    if (cond !== NO_COND) out.push(cond);
    out.push(tree.ctl(cond !== NO_COND ? OP.br_if : OP.br, depth - 1 - (t > i ? forwardAt[t] : loopAt[t])));
  };
  openBlocks(opensAt[0]);
  for (let i = 0; i < laid.length; i++) {
    if (needsLabel[i]) end();
    if (loopEnd[i] >= 0) {
      out.push(tree.raw(LOOP));
      loopAt[i] = depth++;
      loops.push(i);
      openBlocks(opensAt[i + 1]);
    }
    const blk = laid[i];
    const cond = blockCode(c, out, blk, layout[i], poison);
    if (cond !== NO_COND) branch(i, index[blk!.next[0]], cond);
    if (blk?.next.length) branch(i, index[blk.next[blk.next.length - 1]], NO_COND);
    while (loops.length && loopEnd[loops[loops.length - 1]] === i) {
      loops.pop();
      end();
    }
  }
  out.push(tree.unreachable());
  return tree.block(null, out, TREE_TYPES.unreachable);
}

/** prologue is a function's first statements: load the budget, start the cached bounds (entryCaches). */
function prologue(c: Ctx, tree: Tree): Expr[] {
  const out = STATEMENTS;
  out.length = 0;
  out.push(tree.local.set(L_BUDGET, tree.global.get('budget', TREE_TYPES.i64)));
  for (const e of entryCaches(c)) out.push(e);
  return out;
}

/**
 * STATEMENTS is the statement list of the function being laid out, reused from one function (and compilation) to
 * the next: it grows to a few statements per block, and growing a fresh one each time was ~10% of the fast tier's
 * allocation. A function's list is consumed (`tree.block`) before the next function starts.
 */
const STATEMENTS: Expr[] = [];

/** NO_COND stands for "no condition": the branch to the last successor of a block, always taken. */
const NO_COND = -1;

/**
 * blockCode appends the code of a laid-out block (or the trap of a successor that starts none, at slot `slot`) and
 * returns the condition of its jump when it ends in a conditional jump with two different successors, else NO_COND.
 * The caller then writes the block's branches (the layout decides how): to `next[0]` when that condition holds, then
 * to the last successor (`next[next.length - 1]`), if any.
 */
function blockCode(c: Ctx, out: Expr[], blk: Block | undefined, slot: number, poison: ReadonlyMap<number, string>): Expr {
  if (!blk) {
    out.push(trap(c, TRAP_FELL_OFF, i64c(c, 0), slot));
    return NO_COND;
  }
  blockStatements(c, blk, poison, out);
  const f = c.forms[blk.last]!;
  if (blk.next.length === 2 && blk.next[0] !== blk.next[1] && f.kind === 'jcond') {
    c.pc = blk.last;
    return makeJmpCond(c, f, c.insns[blk.last]);
  }
  return NO_COND;
}

const BLOCK = Uint8Array.of(OP.block, EMPTY);
const LOOP = Uint8Array.of(OP.loop, EMPTY);

/**
 * dispatch is the code that opens a function's labels: the loop when a branch goes back (`maxBack` is the last block
 * one goes to, -1 when none does), the n - 1 blocks and, in a loop, the `br_table` on the label local.
 */
function dispatch(n: number, maxBack: number): Uint8Array {
  const w = new ByteWriter(2 * n + 16 + 2 * maxBack);
  if (maxBack >= 0) {
    w.u8(OP.loop);
    w.u8(EMPTY);
  }
  for (let k = 0; k < n - 1; k++) {
    w.u8(OP.block);
    w.u8(EMPTY);
  }
  if (maxBack < 0) return w.view();
  w.u8(OP.block);
  w.u8(EMPTY);
  w.u8(OP.local_get);
  w.u32(L_LABEL);
  w.u8(OP.br_table);
  w.u32(maxBack + 1);
  for (let j = 0; j <= maxBack; j++) w.u32(j);
  w.u8(0);
  w.u8(OP.end);
  return w.view();
}

/**
 * jump appends the branch from the code of block i (of n) to block j, taken when `cond` holds (always when it is NO_COND).
 * Labels e_{i+1}..e_{n-1} and then the loop enclose the code of block i.
 */
function jump(tree: Tree, out: Expr[], i: number, n: number, j: number, cond: Expr): void {
  if (j === i + 1 && cond === NO_COND) return;
  const forward = j > i;
  if (!forward) out.push(tree.local.set(L_LABEL, tree.i32.const(j)));
  if (cond !== NO_COND) out.push(cond);
  out.push(tree.ctl(cond !== NO_COND ? OP.br_if : OP.br, forward ? j - i - 1 : n - 1 - i));
}

/** exportBody calls the function of `entry` with r1..r5 and r10 from the export's parameters, r0 and r6..r9 zero. */
function exportBody(tree: Tree, entry: number): Expr {
  const zero = (): Expr => tree.i64.const(0n);
  const p = (k: number): Expr => tree.local.get(k, TREE_TYPES.i64);
  return tree.call(fnName(entry), [zero(), p(0), p(1), p(2), p(3), p(4), zero(), zero(), zero(), zero(), p(5)], TREE_TYPES.i64);
}

/**
 * planModule fixes the module's layout before translation (so that the code can be written with final indexes): the
 * helpers and map-reference globals the reachable, unpoisoned instructions use, which are what translating them
 * registers; `compileDirect` checks that it did.
 */
function planModule(prog: ValidProgram, opts: CompileOptions, reach: readonly (readonly Block[])[], usesTailCall: boolean, usesCallx: boolean): ModuleDef {
  const helpers = new Set<string>();
  const lddw = new Set<number>();
  let atomic = false;
  const seen = new Uint8Array(prog.insns.length);
  for (const blocks of reach) for (const blk of blocks) {
    if (seen[blk.start]) continue;
    seen[blk.start] = 1;
    for (let pc = blk.start; pc < blk.end; pc++) {
      const f = prog.forms[pc];
      if (!f || opts.poisoned?.has(pc)) continue;
      if (f.kind === 'call' && f.mode !== 'local') {
        const def = f.mode === 'kfunc' ? opts.helpers.kfuncAt(prog.insns[pc].imm).def : opts.helpers.get(prog.insns[pc].imm);
        if (def) helpers.add(def.name);
      }
      if (f.kind === 'atomic' && opts.atomicImports) atomic = true;
      if (f.kind === 'lddw' && opts.lddwImports && f.pseudo !== PSEUDO_IMM64 && f.pseudo !== PSEUDO_FUNC) lddw.add(pc);
    }
  }
  const S = IMPORT_SIGNATURES;
  const service = (name: keyof typeof S): FuncImport => ({ name, module: BPF_MODULE, field: name, sig: S[name] });
  const funcImports: FuncImport[] = [service('trap'), service('refill')];
  if (usesTailCall) funcImports.push(service('tail_call'));
  if (usesCallx) funcImports.push(service('callx'));
  if (atomic) funcImports.push(service('atomic'));
  for (const name of helpers) funcImports.push({ name: helperImportName(name), module: HELPER_MODULE, field: name, sig: S.helper });
  const funcs: FuncDef[] = prog.functions.flatMap((entry) => [
    { name: fnName(entry), sig: FUNCTION_SIGNATURE, locals: LOCALS },
    { name: `${fnName(entry)}_export`, sig: EXPORT_SIGNATURE, locals: [], export: entry === 0 ? ENTRY_EXPORT : functionExport(entry) },
  ]);
  return {
    memory: { module: ENV_MODULE, field: MEMORY_IMPORT, min: 1 },
    funcImports,
    globalImports: [...lddw].sort((x, y) => x - y).map((pc) => ({ name: `lddw_${pc}`, module: BPF_MODULE, field: `lddw_${pc}`, type: 'i64' })),
    globals: Object.entries(GLOBALS).map(([name, type]) => ({ name, type, init: GLOBAL_INIT[name as GlobalName] })),
    funcs,
  };
}

/** compileDirect translates a validated program to a Wasm module, writing the bytes itself. */
export function compileDirect(prog: ValidProgram, opts: CompileOptions): CompiledProgram {
  let reach: Block[][] = [];
  let def!: ModuleDef;
  let tree!: Tree;
  let names!: Resolver;
  const t = startTranslation(prog, opts, TREE_TYPES, (blocks, uses) => {
    reach = prog.functions.map((entry) => reachable(blocks, entry, prog.insns.length));
    def = planModule(prog, opts, reach, uses.tailCall, uses.callx);
    names = resolverOf(def);
    tree = Tree.acquire(names);
    return tree;
  });
  const { c } = t;
  try {
    const to: ChargeTargets = { budget: names.global('budget'), trap: names.func('trap') };
    c.charge = (blk) => {
      writeCharge(tree.startWriting(), to, blk, c.plan, tree.markCold);
      return tree.endWriting();
    };
    const lay: Layout = { isStart: new Uint8Array(prog.insns.length + 1), index: new Int32Array(prog.insns.length + 1) };
    for (const blk of t.blocks.list) lay.isStart[blk.start] = 1;
    const bodies: Expr[] = [];
    prog.functions.forEach((entry, i) => {
      bodies.push(functionBody(c, tree, entry, reach[i], t.poison, lay));
      bodies.push(exportBody(tree, entry));
    });
    checkPlan(t, def);
    const bytes = assembleModule(def, tree, bodies);
    if (opts.validate && !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
      throw new NotSupportedError('jit-invalid-module', 'internal error: the directly emitted module does not validate');
    }
    return { ...finishTranslation(t, opts, bytes, opts.text ? binaryToText(bytes) : undefined, true), called: new Set(tree.called) };
  } finally {
    tree.dispose();
  }
}

/** checkPlan checks that translation used only the imports `planModule` planned. */
function checkPlan(t: Translation, def: ModuleDef): void {
  const planned = new Set(def.funcImports.map((f) => f.name));
  const plannedGlobals = new Set(def.globalImports.map((g) => g.name));
  if ([...t.helperImports.keys()].some((n) => !planned.has(helperImportName(n))) || t.lddwImports.some((l) => !plannedGlobals.has(l.global))) {
    throw new NotSupportedError('jit-invalid-module', 'internal error: the direct emitter planned other imports than the translation uses');
  }
}
