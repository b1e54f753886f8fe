/**
 * The mnemonics of the assembler's syntax (./assembler.ts) and what each names: decoded once per spelling, since a
 * program repeats a handful of them (a 1000-instruction program, ten); the assembler keeps the decoded spellings of
 * the text it reads.
 */
import { ALU_OP_CODES, JMP_COND_CODES, type AluOp, type JmpCond } from './forms.js';
import * as op from './opcodes.js';

/** Mnemonic is what a mnemonic names, with the parts of the opcode its spelling gives (`code`: the whole opcode but its source bit). */
export type Mnemonic =
  | { kind: 'exit' | 'call' | 'lock' | 'lddw' | '.insn' }
  | { kind: 'ja'; is32: boolean }
  | { kind: 'jcond'; code: number }
  | { kind: 'movsx'; bits: 8 | 16 | 32; is64: boolean }
  | { kind: 'end'; code: number; bits: 16 | 32 | 64 }
  | { kind: 'alu'; op: AluOp; code: number; signed: 0 | 1 } // signed: the offset field, 1 for sdiv and smod
  | { kind: 'ldx'; signed: boolean; size: Size }
  | { kind: 'st' | 'stx' | 'ldacq' | 'strel'; size: Size }
  | { kind: 'ldabs' | 'ldind'; size: Exclude<Size, 'dw'> };

type Size = 'b' | 'h' | 'w' | 'dw';

/** SIZE_BITS maps a size suffix to the size bits of an opcode. */
export const SIZE_BITS: Record<Size, number> = { b: op.SIZE_B, h: op.SIZE_H, w: op.SIZE_W, dw: op.SIZE_DW };

const END_CODES = {
  le: op.CLASS_ALU | op.ALU_END | op.END_TO_LE,
  be: op.CLASS_ALU | op.ALU_END | op.END_TO_BE,
  bswap: op.CLASS_ALU64 | op.ALU_END | op.END_TO_LE,
  swap: op.CLASS_ALU64 | op.ALU_END | op.END_TO_LE,
};

/**
 * decodeMnemonic says what a lowercase mnemonic names, or undefined for an unknown one. The ALU and conditional jump
 * mnemonics carry a width suffix (`add`, `add32`, `add64`; `jeq`, `jeq32`).
 */
export function decodeMnemonic(name: string): Mnemonic | undefined {
  switch (name) {
    case 'exit':
    case 'call':
    case 'lock':
    case 'lddw':
    case '.insn':
      return { kind: name };
  }
  const suffix = name.endsWith('32') ? '32' : name.endsWith('64') ? '64' : undefined;
  const base = suffix ? name.slice(0, -2) : name;
  if (base === 'ja' && suffix !== '64') return { kind: 'ja', is32: suffix === '32' };
  if (Object.hasOwn(JMP_COND_CODES, base) && suffix !== '64') {
    return { kind: 'jcond', code: (suffix === '32' ? op.CLASS_JMP32 : op.CLASS_JMP) | JMP_COND_CODES[base as JmpCond] };
  }
  if (Object.hasOwn(ALU_OP_CODES, base)) {
    const code = (suffix === '32' ? op.CLASS_ALU : op.CLASS_ALU64) | ALU_OP_CODES[base as AluOp];
    return { kind: 'alu', op: base as AluOp, code, signed: base === 'sdiv' || base === 'smod' ? 1 : 0 };
  }
  let m: RegExpExecArray | null;
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(name))) return { kind: 'movsx', bits: Number(m[1]) as 8 | 16 | 32, is64: m[2] === '64' };
  if ((m = /^(le|be|bswap|swap)(16|32|64)$/.exec(name))) {
    return { kind: 'end', code: END_CODES[m[1] as keyof typeof END_CODES], bits: Number(m[2]) as 16 | 32 | 64 };
  }
  if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(name))) return { kind: 'ldx', signed: m[1] === 's', size: m[2] as Size };
  if ((m = /^(stx?|ldacq|strel)(b|h|w|dw)$/.exec(name))) return { kind: m[1] as 'st' | 'stx' | 'ldacq' | 'strel', size: m[2] as Size };
  if ((m = /^ld(abs|ind)(b|h|w)$/.exec(name))) return { kind: m[1] === 'abs' ? 'ldabs' : 'ldind', size: m[2] as 'b' | 'h' | 'w' };
  return undefined;
}
