/**
 * Structural validation of a whole program: every slot is a valid instruction, lddw pairs are whole, registers exist
 * (and r10 is never written), and every jump and local call lands on an instruction inside the program. This is what
 * any backend needs before it can run the bytes at all; safety (bounds, types, termination) is the verifier's job.
 */
import { LoadError } from '../errors.js';
import { classify, readsSrcReg, usesDstReg, writesDst, type Form } from './forms.js';
import { formatInsn } from './format.js';
import type { Insn } from './insn.js';
import { REG_COUNT, REG_FP } from './opcodes.js';

/** ValidProgram is a program that passed `validateProgram`. */
export interface ValidProgram {
  insns: readonly Insn[];
  /** Form of each slot; `null` for the second slot of a lddw. */
  forms: readonly (Form | null)[];
  /** Slot of every function entry: 0 and each local call or pseudo-func target, ascending. */
  functions: readonly number[];
}

/** jumpTarget returns the slot a jump, local call or pseudo-func lddw at `pc` refers to, or undefined. */
export function jumpTarget(form: Form, ins: Insn, pc: number): number | undefined {
  switch (form.kind) {
    case 'ja':
      return pc + 1 + (form.is32 ? ins.imm : ins.off);
    case 'jcond':
      return pc + 1 + ins.off;
    case 'call':
      return form.mode === 'local' ? pc + 1 + ins.imm : undefined;
    case 'lddw':
      return form.pseudo === 4 ? pc + 1 + ins.imm : undefined;
    default:
      return undefined;
  }
}

/** validateProgram checks the structure of `insns` and returns their forms, or throws a located LoadError. */
export function validateProgram(insns: readonly Insn[], section = ''): ValidProgram {
  const where = (pc: number) => ({ ...(section ? { section } : {}), pc, insn: formatInsn(insns, pc) });
  const bad = (pc: number, code: string, why: string): never => {
    throw new LoadError(code, `pc ${pc}: ${formatInsn(insns, pc)}: ${why}`, where(pc));
  };
  if (insns.length === 0) throw new LoadError('empty', 'program has no instructions', section ? { section } : {});
  const forms: (Form | null)[] = new Array(insns.length).fill(null);
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc];
    const form = classify(ins);
    if (form.kind === 'invalid') return bad(pc, 'invalid-insn', form.reason);
    forms[pc] = form;
    if (usesDstReg(form) && ins.dst >= REG_COUNT) bad(pc, 'invalid-register', `invalid register r${ins.dst}`);
    if (writesDst(form) && ins.dst === REG_FP) bad(pc, 'readonly-register', 'r10 is read-only');
    if (readsSrcReg(form) && ins.src >= REG_COUNT) bad(pc, 'invalid-register', `invalid register r${ins.src}`);
    if (form.kind === 'lddw') {
      const next = insns[pc + 1];
      if (next === undefined) bad(pc, 'lddw-truncated', 'lddw is missing its second slot');
      if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        bad(pc, 'lddw-second-slot', 'second slot of lddw must have zero opcode, registers and offset');
      }
      pc++;
    }
  }
  const entries = new Set<number>([0]);
  for (let pc = 0; pc < insns.length; pc++) {
    const form = forms[pc];
    if (form === null) continue;
    const target = jumpTarget(form, insns[pc], pc);
    if (target === undefined) continue;
    if (target < 0 || target >= insns.length) {
      bad(pc, 'jump-out-of-range', `target ${target} is outside the program [0, ${insns.length})`);
    }
    if (forms[target] === null) bad(pc, 'jump-into-lddw', `target ${target} is the second slot of a lddw`);
    if ((form.kind === 'call' || form.kind === 'lddw') && target !== undefined) entries.add(target);
  }
  return { insns, forms, functions: [...entries].sort((a, b) => a - b) };
}
