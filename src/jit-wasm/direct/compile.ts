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
import { reachable, type Block } from '../blocks.js';
import type { Expr } from '../builder.js';
import { resetCaches, trap } from '../calls.js';
import { fnName, i64c, L_BUDGET, L_LABEL, VAR_COUNT_I32, VAR_COUNT_I64, type Ctx } from '../emit.js';
import { makeJmpCond } from '../jumps.js';
import { binaryToText } from '../module.js';
import { finishTranslation, helperImportName, makeBlock, startTranslation, type CompiledProgram, type CompileOptions } from '../translate.js';
import type { ValidProgram } from '../../isa/index.js';
import { NotSupportedError } from '../../errors.js';
import { assembleModule, type FuncDef, type FuncImport } from './assemble.js';
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
function functionBody(c: Ctx, tree: Tree, entry: number, all: ReadonlyMap<number, Block>, poison: ReadonlyMap<number, string>): Expr {
  const blocks = reachable(all, entry);
  const byStart = new Map<number, Block>();
  for (const blk of blocks) byStart.set(blk.start, blk);
  const starts = new Set<number>(byStart.keys());
  for (const blk of blocks) for (const n of blk.next) starts.add(n);
  const layout = [entry, ...[...starts].filter((s) => s !== entry).sort((x, y) => x - y)];
  const index = new Map<number, number>();
  layout.forEach((s, i) => index.set(s, i));
  const n = layout.length;
  let maxBack = -1;
  layout.forEach((s, i) => {
    for (const t of byStart.get(s)?.next ?? []) if (index.get(t)! <= i) maxBack = Math.max(maxBack, index.get(t)!);
  });
  const looped = maxBack >= 0;

  const out: Expr[] = [tree.local.set(L_BUDGET, tree.global.get('budget', TREE_TYPES.i64)), ...resetCaches(c)];
  const open: number[] = [];
  if (looped) open.push(OP.loop, EMPTY);
  for (let k = 0; k < n - 1; k++) open.push(OP.block, EMPTY);
  if (looped) {
    open.push(OP.block, EMPTY, OP.local_get, ...uleb(L_LABEL), OP.br_table, ...uleb(maxBack + 1));
    for (let j = 0; j <= maxBack; j++) open.push(...uleb(j));
    open.push(0, OP.end);
  }
  out.push(tree.raw(open));
  for (let i = 0; i < n; i++) {
    const blk = byStart.get(layout[i]);
    if (!blk) {
      out.push(trap(c, TRAP_FELL_OFF, i64c(c, 0), layout[i]));
    } else {
      out.push(makeBlock(c, blk, poison));
      // From the code of block i, labels e_{i+1}..e_{n-1} and then the loop enclose it.
      const jump = (to: number, conditional: Expr | undefined): void => {
        const j = index.get(to)!;
        if (j === i + 1 && !conditional) return;
        const forward = j > i;
        if (!forward) out.push(tree.raw(setLabel(j)));
        if (conditional !== undefined) out.push(conditional);
        out.push(tree.raw([conditional !== undefined ? OP.br_if : OP.br, ...uleb(forward ? j - i - 1 : n - 1 - i)]));
      };
      const f = c.forms[blk.last]!;
      if (blk.next.length === 2 && blk.next[0] !== blk.next[1] && f.kind === 'jcond') {
        c.pc = blk.last;
        jump(blk.next[0], makeJmpCond(c, f, c.insns[blk.last]));
      }
      if (blk.next.length) jump(blk.next[blk.next.length - 1], undefined);
    }
    if (i < n - 1) out.push(tree.raw([OP.end]));
  }
  if (looped) out.push(tree.raw([OP.end]));
  out.push(tree.unreachable());
  return tree.block(null, out, TREE_TYPES.unreachable);
}

/** exportBody calls the function of `entry` with r1..r5 and r10 from the export's parameters, r0 and r6..r9 zero. */
function exportBody(tree: Tree, entry: number): Expr {
  const zero = (): Expr => tree.i64.const(0n);
  const p = (k: number): Expr => tree.local.get(k, TREE_TYPES.i64);
  return tree.call(fnName(entry), [zero(), p(0), p(1), p(2), p(3), p(4), zero(), zero(), zero(), zero(), p(5)], TREE_TYPES.i64);
}

/** compileDirect translates a validated program to a Wasm module, writing the bytes itself. */
export function compileDirect(prog: ValidProgram, opts: CompileOptions): CompiledProgram {
  const tree = new Tree();
  const t = startTranslation(prog, opts, TREE_TYPES, tree);
  const { c } = t;
  const funcs: FuncDef[] = [];
  for (const entry of prog.functions) {
    funcs.push({ name: fnName(entry), sig: FUNCTION_SIGNATURE, locals: LOCALS, body: functionBody(c, tree, entry, t.blocks, t.poison) });
    const name = entry === 0 ? ENTRY_EXPORT : functionExport(entry);
    funcs.push({ name: `${fnName(entry)}_export`, sig: EXPORT_SIGNATURE, locals: [], body: exportBody(tree, entry), export: name });
  }
  const S = IMPORT_SIGNATURES;
  const service = (name: keyof typeof S): FuncImport => ({ name, module: BPF_MODULE, field: name, sig: S[name] });
  const funcImports: FuncImport[] = [service('trap'), service('refill')];
  if (c.usesTailCall) funcImports.push(service('tail_call'));
  if (t.usesCallx) funcImports.push(service('callx'));
  for (const name of t.helperImports.keys()) funcImports.push({ name: helperImportName(name), module: HELPER_MODULE, field: name, sig: S.helper });
  const bytes = assembleModule(tree, {
    memory: { module: ENV_MODULE, field: MEMORY_IMPORT, min: 1 },
    funcImports,
    globalImports: t.lddwImports.map((l) => ({ name: l.global, module: BPF_MODULE, field: l.global, type: 'i64' })),
    globals: Object.entries(GLOBALS).map(([name, type]) => ({ name, type })),
    funcs,
  });
  if (opts.validate && !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    throw new NotSupportedError('jit-invalid-module', 'internal error: the directly emitted module does not validate');
  }
  return finishTranslation(t, opts, bytes, opts.text ? binaryToText(bytes) : undefined);
}
