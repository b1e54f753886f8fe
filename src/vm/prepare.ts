/**
 * Decode once: turn a structurally valid program into the interpreter's flat code array. Each slot becomes four
 * int32 words: [op | dst*2 << 8 | src*2 << 16, imm (low word), jump target or memory offset, high word of the
 * immediate]. Registers are pre-scaled to their index in the (lo, hi) register file, jump offsets become absolute slot
 * numbers, helper ids become indexes into a resolved table, and 64-bit immediates are split into words.
 */
import { LoadError, NotSupportedError } from '../errors.js';
import type { HelperDef, HelperSet } from '../helpers/registry.js';
import {
  formatInsn,
  jumpTarget,
  LDDW_PSEUDO_NAMES,
  PSEUDO_FUNC,
  PSEUDO_IMM64,
  type Form,
  type Insn,
  type ValidProgram,
} from '../isa/index.js';
import * as O from './ops.js';

import { TEXT_BASE } from '../memory/guest-memory.js';
export { TEXT_BASE };

/** LddwResolver gives the 64-bit value of a lddw with a map or BTF pseudo-source (supplied by the loader). */
export type LddwResolver = (pc: number, pseudo: number, imm: number, imm2: number) => bigint;

/** Prepared is a program ready for the interpreter. */
export interface Prepared {
  readonly insns: readonly Insn[];
  /** Four words per slot plus the FELL_OFF sentinel. */
  readonly code: Int32Array;
  /** Helpers called by `call imm`, indexed by the code's helper index. */
  readonly helpers: readonly HelperDef[];
  /** The helper set, for `callx` to a helper id computed at run time. */
  readonly helperSet: HelperSet;
  /** Function entry slots (0 and every local-call or pseudo-func target). */
  readonly functions: ReadonlySet<number>;
  /** Why each poisoned slot was poisoned (failed CO-RE relocations); executing one faults with this message. */
  readonly poison: ReadonlyMap<number, string>;
  /** Loads from a bad address read 0 instead of faulting (the kernel's PROBE_MEM, for BTF-typed tracing programs). */
  readonly probeMem: boolean;
}

/** Code word layout. */
export const STRIDE = 4;
export const W_IMM = 1;
export const W_TARGET = 2;
export const W_HI = 3;

const ALU_K: Record<string, number> = {
  add: O.ADD64_K, sub: O.SUB64_K, mul: O.MUL64_K, div: O.DIV64_K, sdiv: O.SDIV64_K, or: O.OR64_K, and: O.AND64_K,
  lsh: O.LSH64_K, rsh: O.RSH64_K, mod: O.MOD64_K, smod: O.SMOD64_K, xor: O.XOR64_K, mov: O.MOV64_K, arsh: O.ARSH64_K,
};
const JMP_K: Record<string, number> = {
  jeq: O.JEQ_K, jgt: O.JGT_K, jge: O.JGE_K, jset: O.JSET_K, jne: O.JNE_K, jsgt: O.JSGT_K, jsge: O.JSGE_K,
  jlt: O.JLT_K, jle: O.JLE_K, jslt: O.JSLT_K, jsle: O.JSLE_K,
};
const ATOMIC: Record<string, number> = {
  add: O.AADD_W, or: O.AOR_W, and: O.AAND_W, xor: O.AXOR_W,
  'fetch add': O.AFADD_W, 'fetch or': O.AFOR_W, 'fetch and': O.AFAND_W, 'fetch xor': O.AFXOR_W,
  'fetch xchg': O.AXCHG_W, 'fetch cmpxchg': O.ACMPXCHG_W,
};
const LDX = { 1: O.LDX_B, 2: O.LDX_H, 4: O.LDX_W, 8: O.LDX_DW } as const;
const LDXS = { 1: O.LDXS_B, 2: O.LDXS_H, 4: O.LDXS_W, 8: O.LDX_DW } as const;
const ST = { 1: O.ST_B, 2: O.ST_H, 4: O.ST_W, 8: O.ST_DW } as const;
const STX = { 1: O.STX_B, 2: O.STX_H, 4: O.STX_W, 8: O.STX_DW } as const;
const LDABS = { 1: O.LDABS_B, 2: O.LDABS_H, 4: O.LDABS_W, 8: O.LDABS_W } as const;
const LDIND = { 1: O.LDIND_B, 2: O.LDIND_H, 4: O.LDIND_W, 8: O.LDIND_W } as const;
const END_OPS: Record<string, number> = {
  le16: O.LE16, le32: O.LE32, le64: O.LE64, be16: O.BE16, be32: O.BE32, be64: O.BE64,
  swap16: O.BSWAP16, swap32: O.BSWAP32, swap64: O.BSWAP64,
};
const MOVSX: Record<string, number> = {
  '8_32': O.MOVSX8_32, '16_32': O.MOVSX16_32, '8_64': O.MOVSX8_64, '16_64': O.MOVSX16_64, '32_64': O.MOVSX32_64,
};

/** opFor maps a form to its interpreter op id. */
function opFor(f: Form): number {
  switch (f.kind) {
    case 'alu':
      if (f.op === 'neg') return f.is64 ? O.NEG64 : O.NEG32;
      // Register forms follow immediate forms by 14 ids; 32-bit forms follow 64-bit forms by 30.
      return ALU_K[f.op] + (f.useReg ? 14 : 0) + (f.is64 ? 0 : 30);
    case 'movsx':
      return MOVSX[`${f.bits}_${f.is64 ? 64 : 32}`];
    case 'end':
      return END_OPS[`${f.order}${f.bits}`];
    case 'ja':
      return O.JA;
    case 'jcond':
      // Register forms follow immediate forms by 11 ids; 32-bit forms follow 64-bit forms by 22.
      return JMP_K[f.cond] + (f.useReg ? 11 : 0) + (f.is32 ? 22 : 0);
    case 'call':
      return f.mode === 'local' ? O.CALL_LOCAL : O.CALL_HELPER;
    case 'callx':
      return O.CALLX;
    case 'exit':
      return O.EXIT;
    case 'lddw':
      return O.LD_IMM64;
    case 'ldabs':
      return LDABS[f.size];
    case 'ldind':
      return LDIND[f.size];
    case 'ldx':
      return (f.signed ? LDXS : LDX)[f.size];
    case 'load_acq':
      return LDX[f.size];
    case 'st':
      return ST[f.size];
    case 'stx':
    case 'store_rel':
      return STX[f.size];
    case 'atomic':
      return ATOMIC[(f.fetch ? 'fetch ' : '') + f.op] + (f.size === 8 ? 10 : 0);
  }
}

/** PrepareOptions supplies the environment a program is bound to. */
export interface PrepareOptions {
  helpers: HelperSet;
  /** Resolves map and BTF pseudo-sources of lddw; without it such programs are rejected. */
  resolveLddw?: LddwResolver;
  section?: string;
  /** Slots to poison, with the message their execution reports (failed CO-RE relocations). */
  poisoned?: ReadonlyMap<number, string>;
  /** Make every load a PROBE_MEM load: a bad address reads 0 (BTF-typed tracing programs). */
  probeMem?: boolean;
}

/** prepare builds the interpreter's code for a validated program. */
export function prepare(prog: ValidProgram, opts: PrepareOptions): Prepared {
  const { insns, forms } = prog;
  const code = new Int32Array((insns.length + 1) * STRIDE);
  const helpers: HelperDef[] = [];
  const helperIndex = new Map<number, number>();
  const where = (pc: number) => ({ ...(opts.section ? { section: opts.section } : {}), pc, insn: formatInsn(insns, pc) });
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    const at = pc * STRIDE;
    const ins = insns[pc];
    if (f === null) {
      code[at] = O.LDDW_HI;
      continue;
    }
    if (opts.poisoned?.has(pc)) {
      code[at] = O.POISON;
      continue;
    }
    code[at] = opFor(f) | ((ins.dst * 2) << 8) | ((ins.src * 2) << 16);
    code[at + W_IMM] = ins.imm;
    code[at + W_HI] = ins.imm >> 31;
    code[at + W_TARGET] = jumpTarget(f, ins, pc) ?? ins.off;
    if (f.kind === 'call' && f.mode === 'kfunc') {
      const { def, name } = opts.helpers.kfuncAt(ins.imm);
      if (!def) {
        const msg = name
          ? `pc ${pc}: ${formatInsn(insns, pc)}: kfunc ${name} is not supported by bpftime-vm`
          : `pc ${pc}: ${formatInsn(insns, pc)}: kfunc call to BTF id ${ins.imm}: kfuncs are found by the name of an object's __ksym extern, and no extern names this id`;
        throw new NotSupportedError('unsupported-kfunc', msg, where(pc));
      }
      // Kfuncs share the helpers' table and calling convention; their key cannot collide with a helper id.
      const key = -1 - ins.imm;
      let index = helperIndex.get(key);
      if (index === undefined) {
        index = helpers.push(def) - 1;
        helperIndex.set(key, index);
      }
      code[at + W_IMM] = index;
    }
    if (f.kind === 'call' && f.mode === 'helper') {
      const def = opts.helpers.get(ins.imm);
      if (!def) {
        const known = opts.helpers.abiName(ins.imm);
        if (known) {
          const msg = `pc ${pc}: ${formatInsn(insns, pc)}: helper bpf_${known} (${opts.helpers.name} helper ${ins.imm}) is not supported by bpftime-vm`;
          throw new NotSupportedError('unsupported-helper', msg, where(pc));
        }
        throw new LoadError('unknown-helper', `pc ${pc}: ${formatInsn(insns, pc)}: unknown helper ${ins.imm} in helper set ${opts.helpers.name}`, where(pc));
      }
      let index = helperIndex.get(ins.imm);
      if (index === undefined) {
        index = helpers.push(def) - 1;
        helperIndex.set(ins.imm, index);
      }
      code[at + W_IMM] = index;
    }
    if (f.kind === 'lddw') {
      const value = lddwValue(f.pseudo, pc, insns, opts, () => where(pc));
      code[at + W_IMM] = Number(BigInt.asIntN(32, value));
      code[at + W_HI] = Number(BigInt.asIntN(32, value >> 32n));
    }
  }
  code[insns.length * STRIDE] = O.FELL_OFF;
  return {
    insns,
    code,
    helpers,
    helperSet: opts.helpers,
    functions: new Set(prog.functions),
    poison: new Map(opts.poisoned ?? []),
    probeMem: opts.probeMem === true,
  };
}

function lddwValue(pseudo: number, pc: number, insns: readonly Insn[], opts: PrepareOptions, where: () => object): bigint {
  const imm = insns[pc].imm;
  const imm2 = insns[pc + 1].imm;
  if (pseudo === PSEUDO_IMM64) return (BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0);
  if (pseudo === PSEUDO_FUNC) return TEXT_BASE + BigInt(pc + 1 + imm) * 8n;
  if (opts.resolveLddw) return opts.resolveLddw(pc, pseudo, imm, imm2);
  throw new NotSupportedError(
    'lddw-pseudo',
    `pc ${pc}: ${formatInsn(insns, pc)}: ${LDDW_PSEUDO_NAMES[pseudo]} needs maps or BTF, which only a loaded object provides`,
    where(),
  );
}
