/**
 * The one model of valid instructions: `classify` turns a slot into a `Form` (what the instruction does, with its
 * variant fields decoded) or says why the encoding is invalid. The formatter, the assembler, the structural validator,
 * the interpreter's pre-decoder and the conformance gating all read forms, so the ISA is decoded in one place.
 */
import type { Insn } from './insn.js';
import * as op from './opcodes.js';

/** AluOp names an arithmetic or logic operation as the conformance syntax spells it (without the `32` suffix). */
export type AluOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'sdiv'
  | 'or'
  | 'and'
  | 'lsh'
  | 'rsh'
  | 'neg'
  | 'mod'
  | 'smod'
  | 'xor'
  | 'mov'
  | 'arsh';

/** JmpCond names a conditional jump (without the `32` suffix). */
export type JmpCond = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

/** AtomicOp names a read-modify-write atomic operation. */
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

/** MemSize is an access width in bytes. */
export type MemSize = 1 | 2 | 4 | 8;

/** Form is a classified, valid instruction. */
export type Form =
  | { kind: 'alu'; is64: boolean; op: AluOp; useReg: boolean }
  | { kind: 'movsx'; is64: boolean; bits: 8 | 16 | 32 }
  | { kind: 'end'; order: 'le' | 'be' | 'swap'; bits: 16 | 32 | 64 }
  | { kind: 'ja'; is32: boolean }
  | { kind: 'jcond'; is32: boolean; cond: JmpCond; useReg: boolean }
  | { kind: 'call'; mode: 'helper' | 'local' | 'kfunc' }
  | { kind: 'callx' }
  | { kind: 'exit' }
  | { kind: 'lddw'; pseudo: number }
  | { kind: 'ldabs'; size: MemSize }
  | { kind: 'ldind'; size: MemSize }
  | { kind: 'ldx'; size: MemSize; signed: boolean }
  | { kind: 'st'; size: MemSize }
  | { kind: 'stx'; size: MemSize }
  | { kind: 'atomic'; size: 4 | 8; op: AtomicOp; fetch: boolean }
  | { kind: 'load_acq'; size: MemSize }
  | { kind: 'store_rel'; size: MemSize };

/** Invalid describes why a slot is not a valid instruction. */
export interface Invalid {
  kind: 'invalid';
  reason: string;
}

const ALU_OPS = new Map<number, AluOp>([
  [op.ALU_ADD, 'add'],
  [op.ALU_SUB, 'sub'],
  [op.ALU_MUL, 'mul'],
  [op.ALU_DIV, 'div'],
  [op.ALU_OR, 'or'],
  [op.ALU_AND, 'and'],
  [op.ALU_LSH, 'lsh'],
  [op.ALU_RSH, 'rsh'],
  [op.ALU_NEG, 'neg'],
  [op.ALU_MOD, 'mod'],
  [op.ALU_XOR, 'xor'],
  [op.ALU_MOV, 'mov'],
  [op.ALU_ARSH, 'arsh'],
]);

/** ALU_OP_CODES maps each AluOp to its operation bits (signed division shares the bits of division). */
export const ALU_OP_CODES: Record<AluOp, number> = {
  add: op.ALU_ADD,
  sub: op.ALU_SUB,
  mul: op.ALU_MUL,
  div: op.ALU_DIV,
  sdiv: op.ALU_DIV,
  or: op.ALU_OR,
  and: op.ALU_AND,
  lsh: op.ALU_LSH,
  rsh: op.ALU_RSH,
  neg: op.ALU_NEG,
  mod: op.ALU_MOD,
  smod: op.ALU_MOD,
  xor: op.ALU_XOR,
  mov: op.ALU_MOV,
  arsh: op.ALU_ARSH,
};

/** JMP_COND_CODES maps each JmpCond to its operation bits. */
export const JMP_COND_CODES: Record<JmpCond, number> = {
  jeq: op.JMP_JEQ,
  jgt: op.JMP_JGT,
  jge: op.JMP_JGE,
  jset: op.JMP_JSET,
  jne: op.JMP_JNE,
  jsgt: op.JMP_JSGT,
  jsge: op.JMP_JSGE,
  jlt: op.JMP_JLT,
  jle: op.JMP_JLE,
  jslt: op.JMP_JSLT,
  jsle: op.JMP_JSLE,
};
const JMP_CONDS = new Map<number, JmpCond>(
  Object.entries(JMP_COND_CODES).map(([name, code]) => [code, name as JmpCond]),
);

/** ATOMIC_OP_CODES maps each AtomicOp to its imm bits, without the fetch flag for add/or/and/xor. */
export const ATOMIC_OP_CODES: Record<AtomicOp, number> = {
  add: op.ATOMIC_ADD,
  or: op.ATOMIC_OR,
  and: op.ATOMIC_AND,
  xor: op.ATOMIC_XOR,
  xchg: op.ATOMIC_XCHG,
  cmpxchg: op.ATOMIC_CMPXCHG,
};

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(2, '0');
const invalid = (reason: string): Invalid => ({ kind: 'invalid', reason });

/** reserved returns a reason when any of the named fields is non-zero, for fields an instruction does not use. */
function reserved(ins: Insn, fields: ReadonlyArray<'dst' | 'src' | 'off' | 'imm'>): Invalid | null {
  for (const f of fields) {
    if (ins[f] !== 0) return invalid(`reserved field ${f} is ${ins[f]}, must be 0`);
  }
  return null;
}

function classifyAlu(ins: Insn, is64: boolean): Form | Invalid {
  const code = op.opCode(ins.opcode);
  const useReg = op.opSource(ins.opcode) === op.SRC_X;
  if (code === op.ALU_END) {
    if (is64 && useReg) return invalid(`unknown opcode ${hex(ins.opcode)}`);
    const bad = reserved(ins, ['src', 'off']);
    if (bad) return bad;
    if (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) {
      return invalid(`byte swap width ${ins.imm} is not 16, 32 or 64`);
    }
    const order = is64 ? 'swap' : useReg ? 'be' : 'le';
    return { kind: 'end', order, bits: ins.imm };
  }
  const name = ALU_OPS.get(code);
  if (name === undefined) return invalid(`unknown opcode ${hex(ins.opcode)}`);
  if (name === 'neg') {
    if (useReg) return invalid(`unknown opcode ${hex(ins.opcode)}`);
    return reserved(ins, ['src', 'off', 'imm']) ?? { kind: 'alu', is64, op: 'neg', useReg: false };
  }
  const bad = reserved(ins, useReg ? ['imm'] : ['src']);
  if (bad) return bad;
  if (name === 'div' || name === 'mod') {
    if (ins.off === 0) return { kind: 'alu', is64, op: name, useReg };
    if (ins.off === 1) return { kind: 'alu', is64, op: name === 'div' ? 'sdiv' : 'smod', useReg };
    return invalid(`offset ${ins.off} of ${name} is not 0 (unsigned) or 1 (signed)`);
  }
  if (name === 'mov' && ins.off !== 0) {
    const widths = is64 ? [8, 16, 32] : [8, 16];
    if (!useReg || !widths.includes(ins.off)) {
      return invalid(`offset ${ins.off} of mov${is64 ? '' : '32'} is not a sign-extension width`);
    }
    return { kind: 'movsx', is64, bits: ins.off as 8 | 16 | 32 };
  }
  if (ins.off !== 0) return invalid(`reserved field off is ${ins.off}, must be 0`);
  return { kind: 'alu', is64, op: name, useReg };
}

function classifyJmp(ins: Insn, is32: boolean): Form | Invalid {
  const code = op.opCode(ins.opcode);
  const useReg = op.opSource(ins.opcode) === op.SRC_X;
  switch (code) {
    case op.JMP_JA:
      if (useReg) return invalid(`unknown opcode ${hex(ins.opcode)}`);
      return reserved(ins, is32 ? ['dst', 'src', 'off'] : ['dst', 'src', 'imm']) ?? { kind: 'ja', is32 };
    case op.JMP_CALL:
      if (is32) return invalid(`unknown opcode ${hex(ins.opcode)}`);
      if (useReg) return reserved(ins, ['src', 'off', 'imm']) ?? { kind: 'callx' };
      {
        const bad = reserved(ins, ['dst', 'off']);
        if (bad) return bad;
      }
      if (ins.src === op.CALL_HELPER) return { kind: 'call', mode: 'helper' };
      if (ins.src === op.CALL_LOCAL) return { kind: 'call', mode: 'local' };
      if (ins.src === op.CALL_KFUNC) return { kind: 'call', mode: 'kfunc' };
      return invalid(`call mode src=${ins.src} is not 0 (helper), 1 (local) or 2 (kfunc)`);
    case op.JMP_EXIT:
      if (is32 || useReg) return invalid(`unknown opcode ${hex(ins.opcode)}`);
      return reserved(ins, ['dst', 'src', 'off', 'imm']) ?? { kind: 'exit' };
    default: {
      const cond = JMP_CONDS.get(code);
      if (cond === undefined) return invalid(`unknown opcode ${hex(ins.opcode)}`);
      return reserved(ins, useReg ? ['imm'] : ['src']) ?? { kind: 'jcond', is32, cond, useReg };
    }
  }
}

function classifyLoadStore(ins: Insn): Form | Invalid {
  const cls = op.opClass(ins.opcode);
  const mode = op.opMode(ins.opcode);
  const size = op.sizeBytes(op.opSize(ins.opcode));
  const unknown = invalid(`unknown opcode ${hex(ins.opcode)}`);
  switch (cls) {
    case op.CLASS_LD:
      if (mode === op.MODE_IMM && size === 8) {
        if (ins.src > op.PSEUDO_MAP_IDX_VALUE) return invalid(`lddw pseudo-source src=${ins.src} is not 0..6`);
        return reserved(ins, ['off']) ?? { kind: 'lddw', pseudo: ins.src };
      }
      if (size === 8) return unknown;
      if (mode === op.MODE_ABS) return reserved(ins, ['dst', 'src', 'off']) ?? { kind: 'ldabs', size };
      if (mode === op.MODE_IND) return reserved(ins, ['dst', 'off']) ?? { kind: 'ldind', size };
      return unknown;
    case op.CLASS_LDX:
      if (mode === op.MODE_MEM) return reserved(ins, ['imm']) ?? { kind: 'ldx', size, signed: false };
      if (mode === op.MODE_MEMSX && size !== 8) return reserved(ins, ['imm']) ?? { kind: 'ldx', size, signed: true };
      return unknown;
    case op.CLASS_ST:
      if (mode === op.MODE_MEM) return reserved(ins, ['src']) ?? { kind: 'st', size };
      return unknown;
    default:
      if (mode === op.MODE_MEM) return reserved(ins, ['imm']) ?? { kind: 'stx', size };
      if (mode !== op.MODE_ATOMIC) return unknown;
      if (ins.imm === op.ATOMIC_LOAD_ACQ) return { kind: 'load_acq', size };
      if (ins.imm === op.ATOMIC_STORE_REL) return { kind: 'store_rel', size };
      if (size !== 4 && size !== 8) return unknown;
      return classifyAtomic(ins.imm, size);
  }
}

function classifyAtomic(imm: number, size: 4 | 8): Form | Invalid {
  if (imm === op.ATOMIC_XCHG) return { kind: 'atomic', size, op: 'xchg', fetch: true };
  if (imm === op.ATOMIC_CMPXCHG) return { kind: 'atomic', size, op: 'cmpxchg', fetch: true };
  const fetch = (imm & op.ATOMIC_FETCH) !== 0;
  switch (imm & ~op.ATOMIC_FETCH) {
    case op.ATOMIC_ADD:
      return { kind: 'atomic', size, op: 'add', fetch };
    case op.ATOMIC_OR:
      return { kind: 'atomic', size, op: 'or', fetch };
    case op.ATOMIC_AND:
      return { kind: 'atomic', size, op: 'and', fetch };
    case op.ATOMIC_XOR:
      return { kind: 'atomic', size, op: 'xor', fetch };
    default:
      return invalid(`unknown atomic operation imm=${hex(imm)}`);
  }
}

/** classify decodes one slot into its Form, or says why it is invalid. It does not check register numbers. */
export function classify(ins: Insn): Form | Invalid {
  const cls = op.opClass(ins.opcode);
  switch (cls) {
    case op.CLASS_ALU:
    case op.CLASS_ALU64:
      return classifyAlu(ins, cls === op.CLASS_ALU64);
    case op.CLASS_JMP:
    case op.CLASS_JMP32:
      return classifyJmp(ins, cls === op.CLASS_JMP32);
    default:
      return classifyLoadStore(ins);
  }
}

/** writesDst reports whether a form writes its dst register (so dst must not be r10). */
export function writesDst(form: Form): boolean {
  switch (form.kind) {
    case 'alu':
    case 'movsx':
    case 'end':
    case 'lddw':
    case 'ldx':
    case 'load_acq':
      return true;
    default:
      return false;
  }
}

/** readsSrcReg reports whether the src field of a form names a register. */
export function readsSrcReg(form: Form): boolean {
  switch (form.kind) {
    case 'alu':
    case 'jcond':
      return form.useReg;
    case 'movsx':
    case 'ldind':
    case 'ldx':
    case 'stx':
    case 'atomic':
    case 'load_acq':
    case 'store_rel':
      return true;
    default:
      return false;
  }
}

/** usesDstReg reports whether the dst field of a form names a register. */
export function usesDstReg(form: Form): boolean {
  return !(
    form.kind === 'ja' ||
    form.kind === 'call' ||
    form.kind === 'exit' ||
    form.kind === 'ldabs' ||
    form.kind === 'ldind'
  );
}

/** MemAccess describes the memory operand of a load, store or atomic: `[base + off]`, `size` bytes. */
export interface MemAccess {
  base: number;
  off: number;
  size: MemSize;
  read: boolean;
  write: boolean;
}

/** memAccess returns the memory operand of a form, or undefined for instructions that do not address memory. */
export function memAccess(form: Form, ins: Insn): MemAccess | undefined {
  switch (form.kind) {
    case 'ldx':
    case 'load_acq':
      return { base: ins.src, off: ins.off, size: form.size, read: true, write: false };
    case 'st':
    case 'stx':
    case 'store_rel':
      return { base: ins.dst, off: ins.off, size: form.size, read: false, write: true };
    case 'atomic':
      return { base: ins.dst, off: ins.off, size: form.size, read: true, write: true };
    default:
      return undefined;
  }
}

/**
 * writesOnlyStack reports whether a program can write nothing but its own stack: every store and atomic goes through
 * r10 at a constant offset inside the 512-byte frame, and it calls no helper, kfunc or callx target (which write
 * through the pointers they are given). A run of such a program leaves its input, context and maps as it found them,
 * whatever a JIT checks or not (src/cli/commands/run.ts then places `--mem` once for all runs).
 */
export function writesOnlyStack(forms: readonly (Form | null)[], insns: readonly Insn[]): boolean {
  for (let pc = 0; pc < forms.length; pc++) {
    const f = forms[pc];
    if (f === null) continue;
    if (f.kind === 'callx' || (f.kind === 'call' && f.mode !== 'local')) return false;
    const a = memAccess(f, insns[pc]);
    if (a?.write && !(a.base === 10 && a.off >= -512 && a.off + a.size <= 0)) return false;
  }
  return true;
}
