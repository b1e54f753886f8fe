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
 */
import { TRAP_BUDGET } from '../abi.js';
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

/** writeCharge writes the charge of a block of `count` instructions starting at `pc`; `markCold` records its `if`. */
export function writeCharge(w: ByteWriter, to: ChargeTargets, count: number, pc: number, markCold: () => void): void {
  budgetOp(w, count, OP.i64_sub);
  w.u8(OP.local_tee);
  w.u32(L_BUDGET);
  w.u8(OP.i64_const);
  w.u8(0);
  w.u8(OP.i64_lt_s);
  markCold();
  w.u8(OP.if);
  w.u8(EMPTY);
  w.u8(OP.nop);
  w.u8(OP.local_get);
  w.u32(L_BUDGET);
  w.u8(OP.global_set);
  w.u32(to.budget);
  w.u8(OP.i32_const);
  w.s32(TRAP_BUDGET);
  w.u8(OP.i32_const);
  w.s32(pc);
  budgetOp(w, count, OP.i64_add);
  w.u8(OP.call);
  w.u32(to.trap);
  w.u8(OP.unreachable);
  w.u8(OP.end);
}
