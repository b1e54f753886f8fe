/**
 * Instructions as the kernel and libbpf hold them: one `Insn` per 8-byte slot, a 64-bit immediate load (lddw)
 * taking two slots whose second slot carries the upper 32 bits in `imm`. Jump offsets count slots, so slot indexes
 * are program counters everywhere in bpftime-vm.
 */
import { LoadError } from '../errors.js';
import { SLOT_SIZE } from './opcodes.js';

/** Insn is one raw instruction slot, fields as encoded (little-endian). */
export interface Insn {
  /** Opcode byte. */
  opcode: number;
  /** Destination register field, 0..15 (only 0..10 are valid registers). */
  dst: number;
  /** Source register field, 0..15; also the pseudo-source of lddw and the mode of call. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

/** insn builds an Insn, normalising fields to their encoded widths. */
export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode: opcode & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 };
}

/** decodeInsn reads the slot at byte offset `at` of `bytes`. */
export function decodeInsn(bytes: Uint8Array, at: number): Insn {
  const regs = bytes[at + 1];
  return {
    opcode: bytes[at],
    dst: regs & 0x0f,
    src: regs >> 4,
    off: ((bytes[at + 2] | (bytes[at + 3] << 8)) << 16) >> 16,
    imm: bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24),
  };
}

/** encodeInsn writes `ins` into `out` at byte offset `at`. */
export function encodeInsn(ins: Insn, out: Uint8Array, at: number): void {
  out[at] = ins.opcode;
  out[at + 1] = (ins.dst & 0x0f) | ((ins.src & 0x0f) << 4);
  out[at + 2] = ins.off & 0xff;
  out[at + 3] = (ins.off >> 8) & 0xff;
  out[at + 4] = ins.imm & 0xff;
  out[at + 5] = (ins.imm >> 8) & 0xff;
  out[at + 6] = (ins.imm >> 16) & 0xff;
  out[at + 7] = (ins.imm >>> 24) & 0xff;
}

/** decodeProgram splits raw bytecode into slots. It checks only the length; `validateProgram` checks the rest. */
export function decodeProgram(bytes: Uint8Array, section = ''): Insn[] {
  if (bytes.length % SLOT_SIZE !== 0) {
    throw new LoadError(
      'bad-length',
      `bytecode length ${bytes.length} is not a multiple of ${SLOT_SIZE}`,
      section ? { section } : {},
    );
  }
  const out: Insn[] = new Array(bytes.length / SLOT_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = decodeInsn(bytes, i * SLOT_SIZE);
  return out;
}

/** encodeProgram is the inverse of decodeProgram. */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * SLOT_SIZE);
  insns.forEach((ins, i) => encodeInsn(ins, out, i * SLOT_SIZE));
  return out;
}
