/**
 * The eBPF instruction encoding of RFC 9669 as named constants. An opcode byte is composed from a class (low 3 bits)
 * plus, for ALU/JMP classes, an operation (high 4 bits) and a source bit, and for load/store classes a mode (high 3
 * bits) and a size (2 bits). No other module spells these numbers.
 */

// Instruction classes (opcode & 0x07).
export const CLASS_LD = 0x00;
export const CLASS_LDX = 0x01;
export const CLASS_ST = 0x02;
export const CLASS_STX = 0x03;
export const CLASS_ALU = 0x04;
export const CLASS_JMP = 0x05;
export const CLASS_JMP32 = 0x06;
export const CLASS_ALU64 = 0x07;

// Source operand (opcode & 0x08) of ALU and JMP classes.
export const SRC_K = 0x00;
export const SRC_X = 0x08;
/** For the END operation the source bit selects the byte order. */
export const END_TO_LE = SRC_K;
export const END_TO_BE = SRC_X;

// ALU operations (opcode & 0xf0).
export const ALU_ADD = 0x00;
export const ALU_SUB = 0x10;
export const ALU_MUL = 0x20;
export const ALU_DIV = 0x30;
export const ALU_OR = 0x40;
export const ALU_AND = 0x50;
export const ALU_LSH = 0x60;
export const ALU_RSH = 0x70;
export const ALU_NEG = 0x80;
export const ALU_MOD = 0x90;
export const ALU_XOR = 0xa0;
export const ALU_MOV = 0xb0;
export const ALU_ARSH = 0xc0;
export const ALU_END = 0xd0;

// JMP operations (opcode & 0xf0).
export const JMP_JA = 0x00;
export const JMP_JEQ = 0x10;
export const JMP_JGT = 0x20;
export const JMP_JGE = 0x30;
export const JMP_JSET = 0x40;
export const JMP_JNE = 0x50;
export const JMP_JSGT = 0x60;
export const JMP_JSGE = 0x70;
export const JMP_CALL = 0x80;
export const JMP_EXIT = 0x90;
export const JMP_JLT = 0xa0;
export const JMP_JLE = 0xb0;
export const JMP_JSLT = 0xc0;
export const JMP_JSLE = 0xd0;

// Load/store sizes (opcode & 0x18).
export const SIZE_W = 0x00;
export const SIZE_H = 0x08;
export const SIZE_B = 0x10;
export const SIZE_DW = 0x18;

// Load/store modes (opcode & 0xe0).
export const MODE_IMM = 0x00;
export const MODE_ABS = 0x20;
export const MODE_IND = 0x40;
export const MODE_MEM = 0x60;
export const MODE_MEMSX = 0x80;
export const MODE_ATOMIC = 0xc0;

// Atomic operations (imm of STX|ATOMIC).
export const ATOMIC_ADD = ALU_ADD;
export const ATOMIC_OR = ALU_OR;
export const ATOMIC_AND = ALU_AND;
export const ATOMIC_XOR = ALU_XOR;
export const ATOMIC_FETCH = 0x01;
export const ATOMIC_XCHG = 0xe0 | ATOMIC_FETCH;
export const ATOMIC_CMPXCHG = 0xf0 | ATOMIC_FETCH;
/** Load-acquire and store-release (Linux 6.15+, beyond RFC 9669). */
export const ATOMIC_LOAD_ACQ = 0x100;
export const ATOMIC_STORE_REL = 0x110;

// src field of a 64-bit immediate load: what the immediate means.
export const PSEUDO_IMM64 = 0;
export const PSEUDO_MAP_FD = 1;
export const PSEUDO_MAP_VALUE = 2;
export const PSEUDO_BTF_ID = 3;
export const PSEUDO_FUNC = 4;
export const PSEUDO_MAP_IDX = 5;
export const PSEUDO_MAP_IDX_VALUE = 6;

// src field of a call: what imm means.
export const CALL_HELPER = 0;
export const CALL_LOCAL = 1;
export const CALL_KFUNC = 2;

// Register numbers.
export const REG_R0 = 0;
export const REG_R1 = 1;
export const REG_R6 = 6;
export const REG_FP = 10;
/** Registers r0..r10; dst/src fields are 4 bits, so the encoding can name r11..r15, which are invalid. */
export const REG_COUNT = 11;

/** Size in bytes of one instruction slot. */
export const SLOT_SIZE = 8;
/** Stack bytes per call frame. */
export const STACK_FRAME_SIZE = 512;

/** Named opcodes used across layers, composed from the fields above. */
export const OP_LDDW = CLASS_LD | MODE_IMM | SIZE_DW;
export const OP_JA = CLASS_JMP | JMP_JA | SRC_K;
export const OP_JA32 = CLASS_JMP32 | JMP_JA | SRC_K;
export const OP_CALL = CLASS_JMP | JMP_CALL | SRC_K;
export const OP_CALLX = CLASS_JMP | JMP_CALL | SRC_X;
export const OP_EXIT = CLASS_JMP | JMP_EXIT | SRC_K;
export const OP_ATOMIC_W = CLASS_STX | MODE_ATOMIC | SIZE_W;
export const OP_ATOMIC_DW = CLASS_STX | MODE_ATOMIC | SIZE_DW;

/** opClass returns the class bits of an opcode. */
export const opClass = (opcode: number): number => opcode & 0x07;
/** opCode returns the operation bits of an ALU/JMP opcode. */
export const opCode = (opcode: number): number => opcode & 0xf0;
/** opSource returns the source bit of an ALU/JMP opcode. */
export const opSource = (opcode: number): number => opcode & 0x08;
/** opMode returns the mode bits of a load/store opcode. */
export const opMode = (opcode: number): number => opcode & 0xe0;
/** opSize returns the size bits of a load/store opcode. */
export const opSize = (opcode: number): number => opcode & 0x18;

/** sizeBytes returns the width in bytes of a load/store size field. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case SIZE_B:
      return 1;
    case SIZE_H:
      return 2;
    case SIZE_W:
      return 4;
    default:
      return 8;
  }
}
