/**
 * Turning what the interpreter's hot loop throws into located errors. The loop throws two constant sentinels for
 * memory faults (no allocation, no message building on the hot path); here the faulting instruction is decoded again
 * to recover the access (base register, offset, size, direction) and the full 64-bit address, and guest memory says
 * which region was involved. Any other error gets the pc and instruction text prefixed once.
 */
import { ExecError } from '../errors.js';
import { accessFault, locatedError } from '../memory/access-fault.js';
import { classify, formatInsn, memAccess } from '../isa/index.js';
import { toU64 } from './int64.js';
import type { Env, ExecState } from './interpreter.js';
import type { Prepared } from './prepare.js';

/** FAULT_MEMORY is thrown by the loop for an access outside every region, out of bounds or to read-only memory. */
export const FAULT_MEMORY = { fault: 'memory' } as const;
/** FAULT_MISALIGNED is thrown by the loop for an atomic access that is not naturally aligned. */
export const FAULT_MISALIGNED = { fault: 'misaligned' } as const;

/** locateFault converts anything thrown while running instruction `st.pc` into an ExecError with that location. */
export function locateFault(e: unknown, p: Prepared, st: ExecState, env: Env): ExecError {
  const pc = st.pc;
  if (e instanceof ExecError && e.location.pc !== undefined) return e;
  if (e === FAULT_MEMORY || e === FAULT_MISALIGNED) {
    const ins = p.insns[pc];
    const form = classify(ins);
    const acc = form.kind === 'invalid' ? undefined : memAccess(form, ins);
    if (!acc) return new ExecError('internal', `pc ${pc}: ${formatInsn(p.insns, pc)}: memory fault without a memory operand`, { pc, insn: formatInsn(p.insns, pc) });
    const address = BigInt.asUintN(64, toU64(st.R, acc.base * 2) + BigInt(acc.off));
    return accessFault(env.mem, p.insns, pc, address, acc.size, acc.write, e === FAULT_MISALIGNED);
  }
  return locatedError(p.insns, pc, e);
}
