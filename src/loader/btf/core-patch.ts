/**
 * Writing a computed CO-RE value into its instruction, as libbpf's bpf_core_patch_insn does: the immediate of an
 * ALU instruction, the offset (and, when the field changed size, the width) of a load or store, or the 64-bit
 * immediate of a lddw. Before patching, the instruction must hold the value computed for the local BTF, which
 * catches relocation records that do not belong to the instruction. A relocation that found nothing poisons the
 * instruction: it becomes a call to helper 0xbad2310, harmless in dead code and reported if it is ever reached.
 */
import {
  CLASS_ALU,
  CLASS_ALU64,
  CLASS_LD,
  CLASS_LDX,
  CLASS_ST,
  CLASS_STX,
  OP_CALL,
  OP_LDDW,
  SIZE_B,
  SIZE_DW,
  SIZE_H,
  SIZE_W,
  SRC_K,
  formatInsn,
  opClass,
  opMode,
  opSize,
  opSource,
  sizeBytes,
  type Insn,
} from '../../isa/index.js';
import type { CoreResult } from './core.js';
import { coreError } from './errors.js';

/** CORE_POISON_IMM is the helper id libbpf writes into poisoned instructions (0xbad2310, "bad relo"). */
export const CORE_POISON_IMM = 0xbad2310;

/** CorePatch says what patchCoreInsn did: patched the value, or poisoned the instruction and why. */
export interface CorePatch {
  poisoned: boolean;
  reason?: string;
}

const S16_MAX = 0x7fff;
const U32_MAX = 0xffffffffn;
const S32_MIN_AS_U64 = (1n << 64n) - (1n << 31n);
const BYTES_TO_SIZE: Record<number, number> = { 1: SIZE_B, 2: SIZE_H, 4: SIZE_W, 8: SIZE_DW };

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

function poison(ins: Insn): void {
  ins.opcode = OP_CALL;
  ins.dst = 0;
  ins.src = 0;
  ins.off = 0;
  ins.imm = CORE_POISON_IMM;
}

/**
 * patchCoreInsn applies `result` to the instruction at slot `pc` of `insns` (in place). An instruction that cannot
 * take the value (wrong form, value out of range, unexpected original value) is a LoadError.
 */
export function patchCoreInsn(insns: Insn[], pc: number, result: CoreResult): CorePatch {
  const ins = insns[pc];
  if (ins === undefined) {
    throw coreError(`insn ${pc}: ${result.kindName} relocation is beyond the ${insns.length} instructions`, { pc });
  }
  const fail = (message: string): Error =>
    coreError(`insn ${pc}: ${result.kindName} relocation of ${result.accessPath}: ${formatInsn(insns, pc)}: ${message}`, {
      pc,
      insn: formatInsn(insns, pc),
    });
  const doPoison = (reason: string): CorePatch => {
    // Poison the second slot of a lddw too, so it does not read as an unknown opcode.
    if (ins.opcode === OP_LDDW && insns[pc + 1] !== undefined) poison(insns[pc + 1]);
    poison(ins);
    return { poisoned: true, reason };
  };
  if (!result.ok) return doPoison(result.reason);
  const { value, localValue, validate } = result;
  switch (opClass(ins.opcode)) {
    case CLASS_ALU:
    case CLASS_ALU64:
      if (opSource(ins.opcode) !== SRC_K) throw fail('the instruction has no immediate operand');
      if (validate && u64(ins.imm) !== localValue) throw fail(`immediate ${ins.imm} is not the expected ${localValue}`);
      if (value > U32_MAX && value < S32_MIN_AS_U64) throw fail(`value ${value} does not fit a 32-bit immediate`);
      ins.imm = Number(BigInt.asIntN(32, value));
      return { poisoned: false };
    case CLASS_LDX:
    case CLASS_ST:
    case CLASS_STX: {
      if (validate && u64(ins.off) !== localValue) throw fail(`offset ${ins.off} is not the expected ${localValue}`);
      if (value > BigInt(S16_MAX)) throw fail(`offset ${value} does not fit 16 bits`);
      if (result.failMemSizeAdjust) {
        return doPoison(
          `${result.accessPath} changed size from ${result.localSize} to ${result.targetSize} bytes and is not ` +
            'a pointer or unsigned integer on both sides, so a resized access would read it incorrectly',
        );
      }
      let opcode = ins.opcode;
      if (result.targetSize !== result.localSize) {
        const have = sizeBytes(opSize(ins.opcode));
        if (have !== result.localSize) throw fail(`access size ${have} is not the field's local size ${result.localSize}`);
        const size = BYTES_TO_SIZE[result.targetSize];
        if (size === undefined) throw fail(`the target field size ${result.targetSize} is not 1, 2, 4 or 8 bytes`);
        opcode = opMode(ins.opcode) | size | opClass(ins.opcode);
      }
      ins.off = Number(value);
      ins.opcode = opcode;
      return { poisoned: false };
    }
    case CLASS_LD: {
      const hi = insns[pc + 1];
      const plain = (i: Insn | undefined, opcode: number): boolean =>
        i !== undefined && i.opcode === opcode && i.src === 0 && i.off === 0 && (opcode === OP_LDDW || i.dst === 0);
      if (!plain(ins, OP_LDDW) || !plain(hi, 0)) throw fail('not a plain 64-bit immediate load');
      const imm = (u64(hi.imm >>> 0) << 32n) | u64(ins.imm >>> 0);
      if (validate && imm !== localValue) throw fail(`immediate ${imm} is not the expected ${localValue}`);
      ins.imm = Number(BigInt.asIntN(32, value));
      hi.imm = Number(BigInt.asIntN(32, value >> 32n));
      return { poisoned: false };
    }
    default:
      throw fail('only ALU immediates, load/store offsets and lddw immediates can be relocated');
  }
}
