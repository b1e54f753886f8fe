/**
 * eBPF to WebAssembly (DESIGN.md section 6): `compileProgram` sends both tiers to the direct byte emitter
 * (direct/compile.ts). The binaryen path here serves measurements of binaryen's passes (OPT_LEVELS): each BPF function
 * becomes a Wasm function whose basic blocks go through binaryen's Relooper, which rebuilds structured control flow
 * from the gotos, and the module then goes through the passes. The instructions themselves are translated by the
 * shared `makeBlock` (translate.ts) either way.
 */
import { NotSupportedError } from '../errors.js';
import type { ValidProgram } from '../isa/index.js';
import { BPF_MODULE, ENTRY_EXPORT, ENV_MODULE, functionExport, GLOBAL_INIT, GLOBALS, type GlobalName, HELPER_MODULE, IMPORT_SIGNATURES, MEMORY_IMPORT, TRAP_FELL_OFF, type Signature } from './abi.js';
import { reachable, type Block, type Blocks } from './blocks.js';
import { entryCaches, trap } from './calls.js';
import { compileDirect } from './direct/compile.js';
import { fnName, i64c, L_BUDGET, L_LABEL, VAR_COUNT_I32, VAR_COUNT_I64, type Ctx } from './emit.js';
import { makeJmpCond } from './jumps.js';
import { binaryen, finishModule, newModule, type Binaryen, type Mod, type RelooperBlock } from './module.js';
import { finishTranslation, helperImportName, makeBlock, startTranslation, type CompiledProgram, type CompileOptions, type Tier } from './translate.js';

export type { CompileOptions, CompiledProgram, LddwImport, LddwResolver, Tier } from './translate.js';

/**
 * OPT_LEVELS are binaryen's settings per tier. Both tiers are built by the direct emitter (direct/compile.ts); they
 * differ in how V8 compiles the module (the optimising tier is compiled by TurboFan from the start,
 * src/runtime/jit-backend.ts). binaryen builds the module (Relooper, then these passes) only when a tier's entry asks
 * for passes: `npm run bench -- tiers` sets them to measure what each pass set is worth. Measured on the suite's work
 * programs (bench/RESULTS.md "Tiers", docs/jit-wasm.md): the best pass sets (-O3, inlining-optimizing) ran 6% faster
 * on the geometric mean, 10-33% on the strcmp loops but 23-30% slower on log2 (branches made selects) and up to 41%
 * on hashmap, for 7-20x the compile time and 110-160 MiB of resident memory; the cheap groups gave nothing beyond
 * noise. Not worth it as the default; the Relooper output without passes ran exactly as the direct emitter's.
 */
export const OPT_LEVELS: Record<Tier, { level: number; shrink: number; passes?: readonly string[] }> = {
  fast: { level: 0, shrink: 0 },
  opt: { level: 0, shrink: 0 },
};

/** usesBinaryen says whether compiling on `tier` needs binaryen: only when OPT_LEVELS asks it for passes. */
export const usesBinaryen = (tier: Tier): boolean => OPT_LEVELS[tier].level > 0 || OPT_LEVELS[tier].passes !== undefined;

/** compileFunction builds the Wasm function for the BPF function entered at `entry`. */
function compileFunction(c: Ctx, m: Mod, b: Binaryen, entry: number, all: Blocks, poison: ReadonlyMap<number, string>): void {
  const blocks = reachable(all, entry, c.insns.length);
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
    ...entryCaches(c),
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

/**
 * compileProgram translates a validated program to a Wasm module: with the direct emitter, or through binaryen when
 * OPT_LEVELS asks for passes on the tier.
 */
export function compileProgram(prog: ValidProgram, opts: CompileOptions): CompiledProgram {
  if (!usesBinaryen(opts.tier)) return compileDirect(prog, opts);
  const b = binaryen();
  const m = newModule();
  try {
    return compileWithBinaryen(prog, opts, b, m);
  } catch (e) {
    // binaryen's Relooper and emitter recurse on the JavaScript stack; very large or deeply nested programs exhaust it.
    if (!(e instanceof RangeError)) throw e;
    const msg = `${prog.insns.length} slots: binaryen ran out of stack building the wasm-opt module (${e.message}); the wasm-fast tier compiles it`;
    throw new NotSupportedError('jit-too-large', msg, { section: opts.section }, { cause: e });
  } finally {
    m.dispose();
  }
}

function compileWithBinaryen(prog: ValidProgram, opts: CompileOptions, b: Binaryen, m: Mod): CompiledProgram {
  const t = startTranslation(prog, opts, b, () => m);
  const { c } = t;
  m.setMemory(1, -1);
  m.addMemoryImport('0', ENV_MODULE, MEMORY_IMPORT);
  for (const [name, type] of Object.entries(GLOBALS)) {
    const init = GLOBAL_INIT[name as GlobalName] ?? 0;
    m.addGlobal(name, type === 'i32' ? b.i32 : b.i64, true, type === 'i32' ? m.i32.const(init) : m.i64.const(BigInt(init)));
    m.addGlobalExport(name, name);
  }
  for (const entry of prog.functions) compileFunction(c, m, b, entry, t.blocks, t.poison);
  const sig = (s: Signature): [number, number] => [b.createType(s.params.map((p) => b[p])), s.results.length ? b[s.results[0]] : b.none];
  const S = IMPORT_SIGNATURES;
  m.addFunctionImport('trap', BPF_MODULE, 'trap', ...sig(S.trap));
  m.addFunctionImport('refill', BPF_MODULE, 'refill', ...sig(S.refill));
  if (c.usesTailCall) m.addFunctionImport('tail_call', BPF_MODULE, 'tail_call', ...sig(S.tail_call));
  if (t.usesCallx) m.addFunctionImport('callx', BPF_MODULE, 'callx', ...sig(S.callx));
  if (opts.atomicImports && prog.forms.some((f) => f?.kind === 'atomic')) m.addFunctionImport('atomic', BPF_MODULE, 'atomic', ...sig(S.atomic));
  for (const l of t.lddwImports) m.addGlobalImport(l.global, BPF_MODULE, l.global, b.i64, false);
  for (const name of t.helperImports.keys()) m.addFunctionImport(helperImportName(name), HELPER_MODULE, name, ...sig(S.helper));
  const bytes = finishModule(m, OPT_LEVELS[opts.tier], opts.validate ?? false);
  return finishTranslation(t, opts, bytes, opts.text ? m.emitText() : undefined);
}
