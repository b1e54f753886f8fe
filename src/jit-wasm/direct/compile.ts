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
 */
import { ENTRY_EXPORT, ENV_MODULE, EXPORT_SIGNATURE, FUNCTION_SIGNATURE, functionExport, GLOBALS, HELPER_MODULE, BPF_MODULE, IMPORT_SIGNATURES, MEMORY_IMPORT, TRAP_FELL_OFF } from '../abi.js';
import { PSEUDO_FUNC, PSEUDO_IMM64 } from '../../isa/index.js';
import { reachable, type Block } from '../blocks.js';
import type { Expr } from '../builder.js';
import { resetCaches, trap } from '../calls.js';
import { fnName, i64c, L_BUDGET, L_LABEL, VAR_COUNT_I32, VAR_COUNT_I64, type Ctx } from '../emit.js';
import { makeJmpCond } from '../jumps.js';
import { binaryToText } from '../module.js';
import { finishTranslation, helperImportName, makeBlock, startTranslation, type CompiledProgram, type CompileOptions } from '../translate.js';
import type { ValidProgram } from '../../isa/index.js';
import { NotSupportedError } from '../../errors.js';
import { assembleModule, resolverOf, type FuncDef, type FuncImport, type ModuleDef } from './assemble.js';
import { uleb } from './bytes.js';
import { EMPTY, OP } from './opcodes.js';
import { Tree, TREE_TYPES } from './tree.js';

const LOCALS: FuncDef['locals'] = [[VAR_COUNT_I64, 'i64'], [VAR_COUNT_I32, 'i32']];

/** setLabel is the bytes of `label = j`. */
const setLabel = (j: number): number[] => [OP.i32_const, ...sleb32(j), OP.local_set, ...uleb(L_LABEL)];

function sleb32(v: number): number[] {
  // Block indexes are non-negative; values up to 2^31 - 1 need the sign bit of the last byte clear.
  const out = uleb(v);
  if (out[out.length - 1] & 0x40) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return out;
}

/**
 * functionBody lays out the blocks reachable from `entry` (see the file comment); a successor that is no block (past
 * the last instruction) becomes a block that traps, as in the binaryen tier.
 */
function functionBody(c: Ctx, tree: Tree, entry: number, blocks: readonly Block[], poison: ReadonlyMap<number, string>): Expr {
  const byStart = new Map<number, Block>();
  const starts = new Set<number>();
  for (const blk of blocks) {
    byStart.set(blk.start, blk);
    starts.add(blk.start);
  }
  for (const blk of blocks) for (const n of blk.next) starts.add(n);
  starts.delete(entry);
  const layout = [entry, ...[...starts].sort((x, y) => x - y)];
  // index[pc] is the layout position of the block starting at pc (successors are at most one past the last slot).
  const index = new Int32Array(c.insns.length + 1);
  for (let i = 0; i < layout.length; i++) index[layout[i]] = i;
  const n = layout.length;
  let maxBack = -1;
  for (let i = 0; i < n; i++) {
    const next = byStart.get(layout[i])?.next;
    if (next) for (const t of next) if (index[t] <= i && index[t] > maxBack) maxBack = index[t];
  }
  const looped = maxBack >= 0;

  const out: Expr[] = [tree.local.set(L_BUDGET, tree.global.get('budget', TREE_TYPES.i64)), ...resetCaches(c)];
  const open: number[] = [];
  if (looped) open.push(OP.loop, EMPTY);
  for (let k = 0; k < n - 1; k++) open.push(OP.block, EMPTY);
  if (looped) {
    open.push(OP.block, EMPTY, OP.local_get, ...uleb(L_LABEL), OP.br_table, ...uleb(maxBack + 1));
    for (let j = 0; j <= maxBack; j++) for (const b of uleb(j)) open.push(b);
    open.push(0, OP.end);
  }
  out.push(tree.raw(open));
  const end = tree.raw([OP.end]);
  for (let i = 0; i < n; i++) {
    const blk = byStart.get(layout[i]);
    if (!blk) {
      out.push(trap(c, TRAP_FELL_OFF, i64c(c, 0), layout[i]));
    } else {
      out.push(makeBlock(c, blk, poison));
      const f = c.forms[blk.last]!;
      if (blk.next.length === 2 && blk.next[0] !== blk.next[1] && f.kind === 'jcond') {
        c.pc = blk.last;
        jump(tree, out, i, n, index[blk.next[0]], makeJmpCond(c, f, c.insns[blk.last]));
      }
      if (blk.next.length) jump(tree, out, i, n, index[blk.next[blk.next.length - 1]], undefined);
    }
    if (i < n - 1) out.push(end);
  }
  if (looped) out.push(end);
  out.push(tree.unreachable());
  return tree.block(null, out, TREE_TYPES.unreachable);
}

/**
 * jump appends the branch from the code of block i (of n) to block j, taken when `cond` holds (always without one).
 * Labels e_{i+1}..e_{n-1} and then the loop enclose the code of block i.
 */
function jump(tree: Tree, out: Expr[], i: number, n: number, j: number, cond: Expr | undefined): void {
  if (j === i + 1 && cond === undefined) return;
  const forward = j > i;
  if (!forward) out.push(tree.raw(setLabel(j)));
  if (cond !== undefined) out.push(cond);
  out.push(tree.raw([cond !== undefined ? OP.br_if : OP.br, ...uleb(forward ? j - i - 1 : n - 1 - i)]));
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
  const seen = new Set<number>();
  for (const blocks of reach) for (const blk of blocks) {
    if (seen.has(blk.start)) continue;
    seen.add(blk.start);
    for (let pc = blk.start; pc < blk.end; pc++) {
      const f = prog.forms[pc];
      if (!f || opts.poisoned?.has(pc)) continue;
      if (f.kind === 'call' && f.mode === 'helper') {
        const def = opts.helpers.get(prog.insns[pc].imm);
        if (def) helpers.add(def.name);
      }
      if (f.kind === 'lddw' && opts.lddwImports && f.pseudo !== PSEUDO_IMM64 && f.pseudo !== PSEUDO_FUNC) lddw.add(pc);
    }
  }
  const S = IMPORT_SIGNATURES;
  const service = (name: keyof typeof S): FuncImport => ({ name, module: BPF_MODULE, field: name, sig: S[name] });
  const funcImports: FuncImport[] = [service('trap'), service('refill')];
  if (usesTailCall) funcImports.push(service('tail_call'));
  if (usesCallx) funcImports.push(service('callx'));
  for (const name of helpers) funcImports.push({ name: helperImportName(name), module: HELPER_MODULE, field: name, sig: S.helper });
  const funcs: FuncDef[] = prog.functions.flatMap((entry) => [
    { name: fnName(entry), sig: FUNCTION_SIGNATURE, locals: LOCALS },
    { name: `${fnName(entry)}_export`, sig: EXPORT_SIGNATURE, locals: [], export: entry === 0 ? ENTRY_EXPORT : functionExport(entry) },
  ]);
  return {
    memory: { module: ENV_MODULE, field: MEMORY_IMPORT, min: 1 },
    funcImports,
    globalImports: [...lddw].sort((x, y) => x - y).map((pc) => ({ name: `lddw_${pc}`, module: BPF_MODULE, field: `lddw_${pc}`, type: 'i64' })),
    globals: Object.entries(GLOBALS).map(([name, type]) => ({ name, type })),
    funcs,
  };
}

/** compileDirect translates a validated program to a Wasm module, writing the bytes itself. */
export function compileDirect(prog: ValidProgram, opts: CompileOptions): CompiledProgram {
  let reach: Block[][] = [];
  let def!: ModuleDef;
  let tree!: Tree;
  const t = startTranslation(prog, opts, TREE_TYPES, (blocks, uses) => {
    reach = prog.functions.map((entry) => reachable(blocks, entry, prog.insns.length));
    def = planModule(prog, opts, reach, uses.tailCall, uses.callx);
    tree = new Tree(resolverOf(def));
    return tree;
  });
  const { c } = t;
  const bodies: Uint8Array[] = [];
  prog.functions.forEach((entry, i) => {
    bodies.push(tree.code(functionBody(c, tree, entry, reach[i], t.poison)));
    bodies.push(tree.code(exportBody(tree, entry)));
  });
  const planned = new Set(def.funcImports.map((f) => f.name));
  const plannedGlobals = new Set(def.globalImports.map((g) => g.name));
  if ([...t.helperImports.keys()].some((n) => !planned.has(helperImportName(n))) || t.lddwImports.some((l) => !plannedGlobals.has(l.global))) {
    throw new NotSupportedError('jit-invalid-module', 'internal error: the direct emitter planned other imports than the translation uses');
  }
  const bytes = assembleModule(def, bodies);
  if (opts.validate && !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    throw new NotSupportedError('jit-invalid-module', 'internal error: the directly emitted module does not validate');
  }
  return finishTranslation(t, opts, bytes, opts.text ? binaryToText(bytes) : undefined);
}
