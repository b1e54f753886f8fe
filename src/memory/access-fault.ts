/**
 * The located error for a rejected memory access, built the same way for every backend: the interpreter decodes it
 * from its fault sentinel, the Wasm JIT from the address its bounds check rejected. Same code, same message.
 */
import { BpfError, ExecError } from '../errors.js';
import { formatInsn, type Insn } from '../isa/index.js';
import type { GuestMemory } from './guest-memory.js';

/** accessFault describes the access of `size` bytes at 64-bit `address` by the instruction at `pc`. */
export function accessFault(mem: GuestMemory, insns: readonly Insn[], pc: number, address: bigint, size: number, write: boolean, misaligned: boolean): ExecError {
  const insn = formatInsn(insns, pc);
  const f = misaligned
    ? { code: 'misaligned', message: `misaligned atomic access of ${size} bytes at 0x${address.toString(16)}` }
    : mem.describeFault(address, size, write);
  const err = new ExecError(f.code, `pc ${pc}: ${insn}: ${f.message}`, { pc, insn });
  err.address = Number(address);
  const region = 'region' in f ? f.region : mem.regionAt(Number(address))?.name;
  if (region !== undefined) err.region = region;
  return err;
}

/** locatedError prefixes anything thrown while running the instruction at `pc` with that location, once. */
export function locatedError(insns: readonly Insn[], pc: number, e: unknown): ExecError {
  if (e instanceof ExecError && e.location.pc !== undefined) return e;
  const insn = formatInsn(insns, pc);
  const base = e instanceof Error ? e.message : String(e);
  const code = e instanceof BpfError ? e.code : 'internal';
  const err = new ExecError(code, `pc ${pc}: ${insn}: ${base}`, { pc, insn }, { cause: e });
  if (e instanceof ExecError) {
    if (e.address !== undefined) err.address = e.address;
    if (e.region !== undefined) err.region = e.region;
  }
  return err;
}
