/**
 * The one instruction formatter. It prints the bpf_conformance assembly syntax (`add32 %r0, 1`, `ldxdw %r0,
 * [%r1+8]`, `lock fetch add [%r10-8], %r1`), extended for encodings that syntax cannot name (pseudo lddw, kfunc
 * calls, legacy packet loads, load-acquire/store-release). Errors, test diffs and CLI dumps all print through here,
 * and the assembler accepts everything printed here (round trip).
 */
import { classify, type Form, type MemSize } from './forms.js';
import type { Insn } from './insn.js';
import * as op from './opcodes.js';

const SIZE_SUFFIX: Record<MemSize, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** LDDW_PSEUDO_NAMES names the lddw pseudo-sources 1..6 in assembly text. */
export const LDDW_PSEUDO_NAMES: Record<number, string> = {
  [op.PSEUDO_MAP_FD]: 'map_fd',
  [op.PSEUDO_MAP_VALUE]: 'map_value',
  [op.PSEUDO_BTF_ID]: 'btf_id',
  [op.PSEUDO_FUNC]: 'func',
  [op.PSEUDO_MAP_IDX]: 'map_idx',
  [op.PSEUDO_MAP_IDX_VALUE]: 'map_idx_value',
};

/** reg prints a register field. */
export const reg = (n: number): string => `%r${n}`;

/** formatImm prints a signed 32-bit immediate: decimal when small, signed hex otherwise. */
export function formatImm(v: number): string {
  if (v > -0x10000 && v < 0x10000) return String(v);
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** formatOffset prints a signed jump offset or pc-relative target as `+N` / `-N`. */
export const formatOffset = (v: number): string => (v < 0 ? String(v) : `+${v}`);

/** formatMem prints a memory operand `[%rN+off]`. */
export function formatMem(base: number, off: number): string {
  if (off === 0) return `[${reg(base)}]`;
  return `[${reg(base)}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;
}

/** formatU64 prints an unsigned 64-bit value in hex. */
export const formatU64 = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);

function formatForm(f: Form, ins: Insn, next: Insn | undefined): string {
  switch (f.kind) {
    case 'alu': {
      const name = f.op + (f.is64 ? '' : '32');
      if (f.op === 'neg') return `${name} ${reg(ins.dst)}`;
      return `${name} ${reg(ins.dst)}, ${f.useReg ? reg(ins.src) : formatImm(ins.imm)}`;
    }
    case 'movsx':
      return `movsx${f.bits}${f.is64 ? 64 : 32} ${reg(ins.dst)}, ${reg(ins.src)}`;
    case 'end':
      return `${f.order === 'swap' ? 'bswap' : f.order}${f.bits} ${reg(ins.dst)}`;
    case 'ja':
      return f.is32 ? `ja32 ${formatOffset(ins.imm)}` : `ja ${formatOffset(ins.off)}`;
    case 'jcond': {
      const rhs = f.useReg ? reg(ins.src) : formatImm(ins.imm);
      return `${f.cond}${f.is32 ? '32' : ''} ${reg(ins.dst)}, ${rhs}, ${formatOffset(ins.off)}`;
    }
    case 'call':
      if (f.mode === 'local') return `call local ${formatOffset(ins.imm)}`;
      if (f.mode === 'kfunc') return `call kfunc ${ins.imm}`;
      return `call ${ins.imm}`;
    case 'callx':
      return `call ${reg(ins.dst)}`;
    case 'exit':
      return 'exit';
    case 'lddw':
      return formatLddw(f.pseudo, ins, next);
    case 'ldabs':
      return `ldabs${SIZE_SUFFIX[f.size]} ${formatImm(ins.imm)}`;
    case 'ldind':
      return `ldind${SIZE_SUFFIX[f.size]} ${reg(ins.src)}, ${formatImm(ins.imm)}`;
    case 'ldx':
      return `ldx${f.signed ? 's' : ''}${SIZE_SUFFIX[f.size]} ${reg(ins.dst)}, ${formatMem(ins.src, ins.off)}`;
    case 'st':
      return `st${SIZE_SUFFIX[f.size]} ${formatMem(ins.dst, ins.off)}, ${formatImm(ins.imm)}`;
    case 'stx':
      return `stx${SIZE_SUFFIX[f.size]} ${formatMem(ins.dst, ins.off)}, ${reg(ins.src)}`;
    case 'atomic': {
      const fetch = f.fetch && f.op !== 'xchg' && f.op !== 'cmpxchg' ? 'fetch ' : '';
      return `lock ${fetch}${f.op}${f.size === 4 ? '32' : ''} ${formatMem(ins.dst, ins.off)}, ${reg(ins.src)}`;
    }
    case 'load_acq':
      return `ldacq${SIZE_SUFFIX[f.size]} ${reg(ins.dst)}, ${formatMem(ins.src, ins.off)}`;
    case 'store_rel':
      return `strel${SIZE_SUFFIX[f.size]} ${formatMem(ins.dst, ins.off)}, ${reg(ins.src)}`;
  }
}

function formatLddw(pseudo: number, ins: Insn, next: Insn | undefined): string {
  const hi = next?.imm ?? 0;
  if (pseudo === op.PSEUDO_IMM64) {
    return `lddw ${reg(ins.dst)}, ${formatU64((BigInt(hi >>> 0) << 32n) | BigInt(ins.imm >>> 0))}`;
  }
  const name = LDDW_PSEUDO_NAMES[pseudo];
  const first = pseudo === op.PSEUDO_FUNC ? formatOffset(ins.imm) : String(ins.imm);
  const withSecond = hi !== 0 || pseudo === op.PSEUDO_MAP_VALUE || pseudo === op.PSEUDO_MAP_IDX_VALUE;
  return `lddw ${reg(ins.dst)}, ${name} ${first}${withSecond ? `, ${hi}` : ''}`;
}

/** formatRaw prints a slot that is not a valid instruction as a `.insn` directive the assembler accepts back. */
export function formatRaw(ins: Insn): string {
  const h = (n: number, w: number): string => '0x' + (n >>> 0).toString(16).padStart(w, '0');
  return `.insn ${h(ins.opcode, 2)}, ${ins.dst}, ${ins.src}, ${ins.off}, ${formatImm(ins.imm)}`;
}

/**
 * formatInsn prints slot `i` of `insns`. A lddw reads its second slot from `insns[i + 1]`. Invalid encodings print as
 * `.insn` directives so that a listing of any bytes can be shown and assembled back.
 */
export function formatInsn(insns: readonly Insn[], i: number): string {
  const ins = insns[i];
  const f = classify(ins);
  if (f.kind === 'invalid') return formatRaw(ins);
  if (f.kind === 'lddw' && !isCleanSecondSlot(insns[i + 1])) return formatRaw(ins);
  return formatForm(f, ins, insns[i + 1]);
}

/** isCleanSecondSlot reports whether a slot can be the second half of a lddw (only imm may be set). */
export function isCleanSecondSlot(ins: Insn | undefined): boolean {
  return ins !== undefined && ins.opcode === 0 && ins.dst === 0 && ins.src === 0 && ins.off === 0;
}
