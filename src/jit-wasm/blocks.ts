/**
 * Basic blocks. A block ends at a jump, an exit, any call (a helper may end the program or tail-call, and the budget
 * is charged per block) and a packet load (which may end the program); a block starts at every function entry, jump
 * target and after every block end. A Wasm function holds the blocks reachable from its entry without following
 * calls: eBPF code may jump between "functions" (the interpreter knows no function bounds), so a block may belong to
 * several Wasm functions and is then translated in each.
 */
import type { Form, Insn } from '../isa/index.js';
import { jumpTarget } from '../isa/index.js';

/** Block is a straight-line run of slots [start, end) whose last instruction is at `last`. */
export interface Block {
  readonly start: number;
  readonly end: number;
  readonly last: number;
  /** Instructions in the block (a lddw counts once, as the interpreter counts it). */
  readonly count: number;
  /** Slots control may go to next: the jump target first, then the fall-through; empty after exit. */
  readonly next: readonly number[];
}

const ENDS_BLOCK = new Set<Form['kind']>(['ja', 'jcond', 'exit', 'call', 'callx', 'ldabs', 'ldind']);

const width = (f: Form): number => (f.kind === 'lddw' ? 2 : 1);

/** splitBlocks cuts the whole program into basic blocks, by start slot. */
export function splitBlocks(insns: readonly Insn[], forms: readonly (Form | null)[], entries: readonly number[], poisoned: ReadonlySet<number>): Map<number, Block> {
  const leaders = new Set<number>(entries);
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f) continue;
    const t = f.kind === 'ja' || f.kind === 'jcond' ? jumpTarget(f, insns[pc], pc) : undefined;
    if (t !== undefined) leaders.add(t);
    if (ENDS_BLOCK.has(f.kind) || poisoned.has(pc)) leaders.add(pc + width(f));
  }
  const blocks = new Map<number, Block>();
  let first = 0;
  let count = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f) continue;
    count++;
    const end = pc + width(f);
    if (end < insns.length && !leaders.has(end)) continue;
    const target = f.kind === 'ja' || f.kind === 'jcond' ? jumpTarget(f, insns[pc], pc)! : undefined;
    const next = f.kind === 'exit' || poisoned.has(pc) ? [] : f.kind === 'ja' ? [target!] : f.kind === 'jcond' ? [target!, end] : [end];
    blocks.set(first, { start: first, end, last: pc, count, next });
    first = end;
    count = 0;
  }
  return blocks;
}

/** reachable lists the blocks reachable from `entry` (slot order); a successor equal to insns.length falls off. */
export function reachable(blocks: ReadonlyMap<number, Block>, entry: number): Block[] {
  const seen = new Set<number>([entry]);
  const work = [entry];
  while (work.length) {
    const blk = blocks.get(work.pop()!);
    if (!blk) continue;
    for (const n of blk.next) if (!seen.has(n)) { seen.add(n); work.push(n); }
  }
  return [...seen].sort((x, y) => x - y).map((s) => blocks.get(s)).filter((b): b is Block => b !== undefined);
}
