/**
 * What the runtime decides about a program before preparing it on a backend: which instructions are poisoned (failed
 * CO-RE relocations, calls to weak kfuncs the target lacks) and with what message, whether its loads are PROBE_MEM
 * loads, and where kfunc addresses point.
 */
import { helperId } from '../helpers/kernel/index.js';
import { BTF_TRACING_TYPES } from '../loader/contexts.js';
import type { ProgramSpec } from '../loader/spec.js';
import { corePoisonMessages } from '../loader/core-poison.js';
import { OP_CALL } from '../isa/index.js';

/**
 * KFUNC_ADDRESS_BASE is where kfunc addresses point (`&bpf_task_from_pid`, what bpf_ksym_exists tests): the start of
 * the x86-64 kernel's text, plus the target BTF id. No guest memory is there, so the address can only be compared.
 */
export const KFUNC_ADDRESS_BASE = 0xffff_ffff_8100_0000n;

/** poisonedSlots maps each poisoned instruction of a program to the message running it reports. */
export function poisonedSlots(spec: ProgramSpec): Map<number, string> {
  const out = new Map<number, string>();
  for (const k of spec.ksyms ?? []) {
    if (k.kind === 'call' && k.btfId === 0) {
      out.set(k.pc, `kfunc ${k.name} is not in the target kernel's BTF: the weak extern resolved to 0 (guard its calls with bpf_ksym_exists)`);
    }
  }
  for (const [pc, message] of corePoisonMessages(spec)) out.set(pc, message);
  return out;
}

/**
 * readsKernelPointers tells whether a program dereferences BTF-typed kernel pointers directly, so that its loads are
 * PROBE_MEM loads (a bad address reads 0): the arguments of BTF-typed tracing programs, the task of
 * bpf_get_current_task_btf, the objects kfuncs return. The kernel's verifier marks exactly those loads; without a
 * verifier every load of such a program is one (a load the verifier would have refused reads 0 instead of faulting).
 */
export function readsKernelPointers(p: ProgramSpec): boolean {
  if (BTF_TRACING_TYPES.has(p.type)) return true;
  if ((p.ksyms ?? []).some((k) => k.kind === 'call')) return true;
  return p.insns.some((i) => i.opcode === OP_CALL && i.src === 0 && i.imm === GET_CURRENT_TASK_BTF);
}

const GET_CURRENT_TASK_BTF = helperId('get_current_task_btf');
