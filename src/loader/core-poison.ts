/**
 * The messages of instructions libbpf poisons when a CO-RE relocation finds no match in the target BTF: the verifier
 * names them when such an instruction is reachable, the runtime when one runs.
 */
import { OP_CALL } from '../isa/index.js';
import { CORE_POISON_IMM } from './btf/core.js';
import type { ProgramSpec } from './spec.js';

/** corePoisonMessages maps each CO-RE-poisoned call of a program (at the relocated slot or right after a poisoned lddw) to what failed. */
export function corePoisonMessages(spec: ProgramSpec): Map<number, string> {
  const out = new Map<number, string>();
  const failed = new Map(spec.coreRelocations.filter((r) => !r.found).map((r) => [r.pc, r]));
  spec.insns.forEach((ins, pc) => {
    if (ins.opcode !== OP_CALL || ins.imm !== CORE_POISON_IMM) return;
    const r = failed.get(pc) ?? failed.get(pc - 1);
    out.set(pc, r ? `CO-RE relocation ${r.kind} of ${r.access} failed: ${r.reason ?? 'no match in the target BTF'}` : 'instruction poisoned by a failed CO-RE relocation');
  });
  return out;
}
