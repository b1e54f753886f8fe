/**
 * Turning what the interpreter's hot loop throws into located errors. The loop throws two constant sentinels for
 * memory faults (no allocation, no message building on the hot path); here the faulting instruction is decoded again
 * to recover the access (base register, offset, size, direction) and the full 64-bit address, and guest memory says
 * which region was involved. Any other error gets the pc and instruction text prefixed once.
 */
import { BpfError, ExecError } from '../errors.js';
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
  const insn = formatInsn(p.insns, pc);
  const where = { pc, insn };
  if (e === FAULT_MEMORY || e === FAULT_MISALIGNED) {
    const ins = p.insns[pc];
    const form = classify(ins);
    const acc = form.kind === 'invalid' ? undefined : memAccess(form, ins);
    if (!acc) return new ExecError('internal', `pc ${pc}: ${insn}: memory fault without a memory operand`, where);
    const address = BigInt.asUintN(64, toU64(st.R, acc.base * 2) + BigInt(acc.off));
    const f =
      e === FAULT_MISALIGNED
        ? { code: 'misaligned', message: `misaligned atomic access of ${acc.size} bytes at 0x${address.toString(16)}` }
        : env.mem.describeFault(address, acc.size, acc.write);
    const err = new ExecError(f.code, `pc ${pc}: ${insn}: ${f.message}`, where);
    err.address = Number(address);
    const region = 'region' in f ? f.region : env.mem.regionAt(Number(address))?.name;
    if (region !== undefined) err.region = region;
    return err;
  }
  const base = e instanceof Error ? e.message : String(e);
  const code = e instanceof BpfError ? e.code : 'internal';
  const err = new ExecError(code, `pc ${pc}: ${insn}: ${base}`, where, { cause: e });
  if (e instanceof ExecError) {
    if (e.address !== undefined) err.address = e.address;
    if (e.region !== undefined) err.region = e.region;
  }
  return err;
}
