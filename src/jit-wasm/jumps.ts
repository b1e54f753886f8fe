/**
 * Conditional jumps become the condition of a Relooper branch; the branch itself is added by the block builder.
 * 64-bit conditions compare the i64 registers, 32-bit ones their low words.
 */
import type { Form, Insn, JmpCond } from '../isa/index.js';
import { getReg, i32c, i64c, type Ctx } from './emit.js';
import type { Expr } from './builder.js';

/** makeJmpCond returns the i32 condition under which a conditional jump is taken. */
export function makeJmpCond(c: Ctx, f: Extract<Form, { kind: 'jcond' }>, ins: Insn): Expr {
  const { m } = c;
  const ops = f.is32 ? m.i32 : m.i64;
  const a = f.is32 ? m.i32.wrap(getReg(c, ins.dst)) : getReg(c, ins.dst);
  const v = f.useReg
    ? f.is32 ? m.i32.wrap(getReg(c, ins.src)) : getReg(c, ins.src)
    : f.is32 ? i32c(c, ins.imm) : i64c(c, ins.imm);
  switch (f.cond as JmpCond) {
    case 'jeq': return ops.eq(a, v);
    case 'jne': return ops.ne(a, v);
    case 'jgt': return ops.gt_u(a, v);
    case 'jge': return ops.ge_u(a, v);
    case 'jlt': return ops.lt_u(a, v);
    case 'jle': return ops.le_u(a, v);
    case 'jsgt': return ops.gt_s(a, v);
    case 'jsge': return ops.ge_s(a, v);
    case 'jslt': return ops.lt_s(a, v);
    case 'jsle': return ops.le_s(a, v);
    case 'jset': return f.is32 ? m.i32.ne(m.i32.and(a, v), i32c(c, 0)) : m.i64.ne(m.i64.and(a, v), i64c(c, 0));
  }
}
