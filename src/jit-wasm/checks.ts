/**
 * Which blocks may skip their budget check. Every block still subtracts its instructions from the budget (so steps
 * stay exact), but the compare-and-branch after it is needed only where running out must stop the program before
 * something observable happens. A block of register arithmetic and jumps ("pure": no memory access, no call, no
 * exit) changes nothing a budget error leaves behind (the registers are lost with the error), so it may run on with
 * the budget below zero as long as the deficit is caught at the start of the next block, and that block can tell
 * where the interpreter would have stopped.
 *
 * So a pure block Y goes unchecked when every successor S of Y is a checked block of which Y is the only unchecked
 * predecessor. At S the budget left before S is then negative only when it ran out in Y (a checked predecessor
 * leaves it at zero or more), and S's trap names Y's start and what was left before Y (left before S plus Y's
 * count), exactly what Y's own check would have named. Y's predecessors are all checked (an unchecked block's
 * successors are), so what was left before Y is never negative. Function entries keep their check (their
 * predecessors are call sites in other functions), and so do blocks with a poisoned slot.
 *
 * Measured in the TurboFan code of the suite's loops: clang's loops often end in a block of an increment and the
 * jump back (memcpy: `goto`, strcmp: `w1 += 1; r3 = r2; if w0 == w3 goto`), whose check is then dropped.
 */
import type { Form } from '../isa/index.js';
import type { Block, Blocks } from './blocks.js';

/** ChargePlan is what planChecks decides, by block start slot. */
export interface ChargePlan {
  /** unchecked[start] is 1 when the block only subtracts its count. */
  readonly unchecked: Uint8Array;
  /** covered(start) is the unchecked predecessor whose deficit the block's check reports, if any. */
  covered(start: number): Block | undefined;
}

/** isPure tells whether a block has only register arithmetic and jumps (and does not fall off or end the program). */
function isPure(blk: Block, forms: readonly (Form | null)[], poisoned: ReadonlySet<number>): boolean {
  const anyPoison = poisoned.size > 0;
  for (let pc = blk.start; pc < blk.end; pc++) {
    const f = forms[pc];
    if (!f) continue;
    if (anyPoison && poisoned.has(pc)) return false;
    switch (f.kind) {
      case 'alu': case 'movsx': case 'end': case 'lddw': case 'ja': case 'jcond': break;
      default: return false;
    }
  }
  return blk.next.length > 0;
}

/** planChecks decides which blocks skip their check (see the file comment), preferring later blocks (loop latches). */
export function planChecks(blocks: Blocks, forms: readonly (Form | null)[], entries: readonly number[], poisoned: ReadonlySet<number>, slots: number): ChargePlan {
  const unchecked = new Uint8Array(slots + 1);
  // coverOf[start]: 1 + the index in blocks.list of the unchecked block covered there, 0 for none.
  const coverOf = new Int32Array(slots + 1);
  const entry = new Uint8Array(slots + 1);
  for (const e of entries) entry[e] = 1;
  const list = blocks.list;
  for (let i = list.length - 1; i >= 0; i--) {
    const y = list[i];
    if (entry[y.start] || coverOf[y.start] || !isPure(y, forms, poisoned)) continue;
    let ok = true;
    for (const t of y.next) {
      const s = blocks.get(t);
      if (!s || s === y || unchecked[t] || (coverOf[t] && coverOf[t] !== i + 1)) ok = false;
    }
    if (!ok) continue;
    unchecked[y.start] = 1;
    for (const t of y.next) coverOf[t] = i + 1;
  }
  return { unchecked, covered: (start) => (coverOf[start] ? list[coverOf[start] - 1] : undefined) };
}
