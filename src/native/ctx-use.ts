/**
 * Whether a program may read its context: r1 holds the context's address at entry, and a program that overwrites
 * r1 on every path before reading it has no other way to reach the context (the runtime checks the helpers that
 * read it by themselves, bpf_get_func_arg and friends). The native runtime then skips copying the 168-byte pt_regs
 * into the thread's slot on every hit (docs/native.md, "Runs"): about a third of its run path without vector
 * registers. The analysis is a backward liveness of r1 over the slots, conservative where eBPF allows it: any call
 * (helper, kfunc, bpf-to-bpf) reads r1..r5, and so does a legacy packet load.
 */
import type { Insn } from '../isa/index.js';
import {
  ALU_END, ALU_MOV, ALU_NEG, CLASS_ALU, CLASS_ALU64, CLASS_JMP, CLASS_JMP32, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX,
  JMP_CALL, JMP_EXIT, JMP_JA, OP_LDDW, SRC_X,
} from '../isa/opcodes.js';

const CTX = 1;

/** uses says whether the slot reads r1. */
function uses(ins: Insn): boolean {
  const cls = ins.opcode & 0x07, op = ins.opcode & 0xf0, x = (ins.opcode & SRC_X) !== 0;
  switch (cls) {
    case CLASS_LD: return ins.opcode !== OP_LDDW; // legacy packet loads read r6 and clobber r1..r5: conservative
    case CLASS_LDX: return ins.src === CTX;
    case CLASS_ST: return ins.dst === CTX;
    case CLASS_STX: return ins.dst === CTX || ins.src === CTX;
    case CLASS_ALU: case CLASS_ALU64:
      if (op === ALU_MOV) return x && ins.src === CTX;
      if (op === ALU_NEG || op === ALU_END) return ins.dst === CTX;
      return ins.dst === CTX || (x && ins.src === CTX);
    default: // jumps
      if (op === JMP_CALL) return true;
      if (op === JMP_EXIT || op === JMP_JA) return false;
      return ins.dst === CTX || (x && ins.src === CTX);
  }
}

/** defines says whether the slot writes r1 (after any read of it). */
function defines(ins: Insn): boolean {
  const cls = ins.opcode & 0x07;
  if (cls === CLASS_LDX || cls === CLASS_ALU || cls === CLASS_ALU64) return ins.dst === CTX;
  if (ins.opcode === OP_LDDW) return ins.dst === CTX;
  return (cls === CLASS_JMP || cls === CLASS_JMP32) && (ins.opcode & 0xf0) === JMP_CALL; // calls clobber r1..r5
}

/** successors lists the slots control may go to after slot i (a slot past the end stands for "unknown"). */
function successors(insns: readonly Insn[], i: number): number[] {
  const ins = insns[i], cls = ins.opcode & 0x07, op = ins.opcode & 0xf0;
  if (ins.opcode === OP_LDDW) return [i + 2];
  if (cls !== CLASS_JMP && cls !== CLASS_JMP32) return [i + 1];
  if (op === JMP_EXIT) return [];
  if (op === JMP_CALL) return [i + 1];
  if (op === JMP_JA) return [i + 1 + (cls === CLASS_JMP32 ? ins.imm : ins.off)];
  return [i + 1, i + 1 + ins.off];
}

/** readsContext says whether the program may read r1 (its context's address) before writing it, on some path from pc 0. */
export function readsContext(insns: readonly Insn[]): boolean {
  const n = insns.length;
  const live = new Uint8Array(n);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let v = uses(insns[i]);
      if (!v && !defines(insns[i])) v = successors(insns, i).some((s) => s < 0 || s >= n || live[s] === 1);
      if (v && !live[i]) live[i] = 1, changed = true;
    }
  }
  return n === 0 || live[0] === 1;
}
