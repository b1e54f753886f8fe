/**
 * The budget charge at the start of every block, written in one piece: the direct tier's version of `chargeBudget`
 * (translate.ts), with the same effect. It is the most frequent code of all (a block per few instructions), and built
 * operator by operator it took about 45% of the tier's translation time (measured on the 10000-instruction program
 * of `npm run bench -- compile`). Its `if` is recorded as cold (for the module's branch hints), and its arm starts
 * with the `nop` that marks a cold arm for branch-hints.ts's scan.
 *
 *     local.get budget  i64.const count  i64.sub  local.tee budget  i64.const 0  i64.lt_s
 *     if  nop  local.get budget  global.set $budget
 *         i32.const TRAP_BUDGET  i32.const pc  local.get budget  i64.const count  i64.add  call $trap  unreachable
 *     end
 *
 * An unchecked block (checks.ts) has only the subtraction (`local.set budget`); a block covering an unchecked
 * predecessor tests first, in its cold arm, whether the budget ran out there, and names that block if so.
 */
import { TRAP_BUDGET } from '../abi.js';
import type { Block } from '../blocks.js';
import type { ChargePlan } from '../checks.js';
import { L_BUDGET } from '../emit.js';
import type { ByteWriter } from './bytes.js';
import { EMPTY, OP } from './opcodes.js';

/** ChargeTargets are the indexes the charge refers to: the `budget` global and the `trap` import. */
export interface ChargeTargets {
  readonly budget: number;
  readonly trap: number;
}

/** budgetOp writes `local.get budget  i64.const count  op`: the budget after (i64.sub) or before (i64.add) the charge. */
function budgetOp(w: ByteWriter, count: number, op: number): void {
  w.u8(OP.local_get);
  w.u32(L_BUDGET);
  w.u8(OP.i64_const);
  w.s32(count);
  w.u8(op);
}

/** trapAt writes `global.set $budget (budget)  trap(TRAP_BUDGET, pc, budget + more)  unreachable`. */
function trapAt(w: ByteWriter, to: ChargeTargets, pc: number, more: number): void {
  w.u8(OP.local_get);
  w.u32(L_BUDGET);
  w.u8(OP.global_set);
  w.u32(to.budget);
  w.u8(OP.i32_const);
  w.s32(TRAP_BUDGET);
  w.u8(OP.i32_const);
  w.s32(pc);
  budgetOp(w, more, OP.i64_add);
  w.u8(OP.call);
  w.u32(to.trap);
  w.u8(OP.unreachable);
}

/**
 * writeCharge writes the charge of block `blk` as `plan` has it (checks.ts): the subtraction alone for an unchecked
 * block; else the check too, whose trap names the unchecked predecessor the block covers when the budget ran out
 * there. `markCold` records the check's `if`.
 */
export function writeCharge(w: ByteWriter, to: ChargeTargets, blk: Block, plan: ChargePlan, markCold: () => void): void {
  const count = blk.count;
  budgetOp(w, count, OP.i64_sub);
  if (plan.unchecked[blk.start]) {
    w.u8(OP.local_set);
    w.u32(L_BUDGET);
    return;
  }
  w.u8(OP.local_tee);
  w.u32(L_BUDGET);
  w.u8(OP.i64_const);
  w.u8(0);
  w.u8(OP.i64_lt_s);
  markCold();
  w.u8(OP.if);
  w.u8(EMPTY);
  w.u8(OP.nop);
  const y = plan.covered(blk.start);
  if (y) {
    // if (budget + count < 0): the covered predecessor ran it out.
    budgetOp(w, count, OP.i64_add);
    w.u8(OP.i64_const);
    w.u8(0);
    w.u8(OP.i64_lt_s);
    w.u8(OP.if);
    w.u8(EMPTY);
    trapAt(w, to, y.start, count + y.count);
    w.u8(OP.end);
  }
  trapAt(w, to, blk.start, count);
  w.u8(OP.end);
}
