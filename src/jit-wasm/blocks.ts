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

/** endsBlock tells the kinds of instruction after which a block ends. */
function endsBlock(kind: Form['kind']): boolean {
  switch (kind) {
    case 'ja': case 'jcond': case 'exit': case 'call': case 'callx': case 'ldabs': case 'ldind': return true;
    default: return false;
  }
}

const width = (f: Form): number => (f.kind === 'lddw' ? 2 : 1);

/** Blocks are a program's basic blocks, in slot order, found by their start slot. */
export class Blocks {
  /** at[pc] is 1 + the index in `list` of the block starting at pc, 0 where none does. */
  private readonly at: Int32Array;

  constructor(readonly list: readonly Block[], slots: number) {
    this.at = new Int32Array(slots + 1);
    for (let i = 0; i < list.length; i++) this.at[list[i].start] = i + 1;
  }

  /** get is the block starting at `pc`, if any. */
  get(pc: number): Block | undefined {
    const i = pc >= 0 && pc < this.at.length ? this.at[pc] : 0;
    return i ? this.list[i - 1] : undefined;
  }

  get size(): number {
    return this.list.length;
  }
}

/** splitBlocks cuts the whole program into basic blocks. */
export function splitBlocks(insns: readonly Insn[], forms: readonly (Form | null)[], entries: readonly number[], poisoned: ReadonlySet<number>): Blocks {
  // leader[pc] is 1 where a block starts (jump targets are in [0, insns.length], as validated).
  const leader = new Uint8Array(insns.length + 1);
  for (const e of entries) leader[e] = 1;
  const anyPoison = poisoned.size > 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f) continue;
    if (f.kind === 'ja' || f.kind === 'jcond') leader[jumpTarget(f, insns[pc], pc)!] = 1;
    if (endsBlock(f.kind) || (anyPoison && poisoned.has(pc))) leader[pc + width(f)] = 1;
  }
  const list: Block[] = [];
  let first = 0;
  let count = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f) continue;
    count++;
    const end = pc + width(f);
    if (end < insns.length && !leader[end]) continue;
    const target = f.kind === 'ja' || f.kind === 'jcond' ? jumpTarget(f, insns[pc], pc)! : undefined;
    const next = f.kind === 'exit' || (anyPoison && poisoned.has(pc)) ? [] : f.kind === 'ja' ? [target!] : f.kind === 'jcond' ? [target!, end] : [end];
    list.push({ start: first, end, last: pc, count, next });
    first = end;
    count = 0;
  }
  return new Blocks(list, insns.length);
}

/**
 * reachable lists the blocks reachable from `entry`, in slot order, given the blocks of a program of `slots` slots as
 * `splitBlocks` returns them; a successor equal to `slots` falls off.
 */
export function reachable(blocks: Blocks, entry: number, slots: number): Block[] {
  const seen = new Uint8Array(slots + 1);
  seen[entry] = 1;
  const work = [entry];
  while (work.length) {
    const blk = blocks.get(work.pop()!);
    if (!blk) continue;
    for (const n of blk.next) {
      if (!seen[n]) {
        seen[n] = 1;
        work.push(n);
      }
    }
  }
  const found: Block[] = [];
  for (const blk of blocks.list) if (seen[blk.start]) found.push(blk);
  return found;
}
