/**
 * ISA versions (`-mcpu=v1..v4`) and the conformance groups of RFC 9669 section 2.4 (plus bpf_conformance's `callx`),
 * and what each instruction requires. The requirements reproduce the table the official bpf_conformance runner gates
 * tests with, including its three irregular rows (noted below), so that `--cpu-version` and `--include-groups` skip
 * exactly the tests the official runner skips.
 */
import { classify, type Form } from './forms.js';
import type { Insn } from './insn.js';
import * as op from './opcodes.js';

/** CpuVersion is an ISA version, 1..4. */
export type CpuVersion = 1 | 2 | 3 | 4;

/** GROUPS maps each conformance group name to its bit. */
export const GROUPS = {
  base32: 0x01,
  base64: 0x02,
  atomic32: 0x04,
  atomic64: 0x08,
  divmul32: 0x10,
  divmul64: 0x20,
  packet: 0x40,
  callx: 0x80,
} as const;

/** GroupName is the name of a conformance group. */
export type GroupName = keyof typeof GROUPS;

/** DEFAULT_GROUPS is what the official runner enables without `--include-groups`. */
export const DEFAULT_GROUPS =
  GROUPS.base32 | GROUPS.base64 | GROUPS.atomic32 | GROUPS.atomic64 | GROUPS.divmul32 | GROUPS.divmul64;

/** Requirement is the ISA version and groups an instruction (or a whole program) needs. */
export interface Requirement {
  cpu: CpuVersion;
  groups: number;
}

/** groupNames lists the names of the bits set in `mask`. */
export function groupNames(mask: number): GroupName[] {
  return (Object.keys(GROUPS) as GroupName[]).filter((g) => (mask & GROUPS[g]) !== 0);
}

const NONE: Requirement = { cpu: 1, groups: 0 };
const req = (cpu: CpuVersion, groups: number): Requirement => ({ cpu, groups });

/** Atomic immediates the official table lists (the RFC 9669 read-modify-write set). */
const LISTED_ATOMICS = new Set([
  op.ATOMIC_ADD,
  op.ATOMIC_ADD | op.ATOMIC_FETCH,
  op.ATOMIC_OR,
  op.ATOMIC_OR | op.ATOMIC_FETCH,
  op.ATOMIC_AND,
  op.ATOMIC_AND | op.ATOMIC_FETCH,
  op.ATOMIC_XOR,
  op.ATOMIC_XOR | op.ATOMIC_FETCH,
  op.ATOMIC_XCHG,
  op.ATOMIC_CMPXCHG,
]);

/**
 * Irregular rows of the official table, by opcode: sub64 with a register source, neg64 and jsgt with a register source
 * are listed in base32 rather than base64, and every bswap (whatever its width) is listed as v4 base32.
 */
const OFFICIAL_OVERRIDES = new Map<number, Requirement>([
  [op.CLASS_ALU64 | op.ALU_SUB | op.SRC_X, req(1, GROUPS.base32)],
  [op.CLASS_ALU64 | op.ALU_NEG | op.SRC_K, req(1, GROUPS.base32)],
  [op.CLASS_JMP | op.JMP_JSGT | op.SRC_X, req(1, GROUPS.base32)],
  [op.CLASS_ALU64 | op.ALU_END | op.END_TO_LE, req(4, GROUPS.base32)],
]);

function formRequirement(f: Form, ins: Insn): Requirement {
  switch (f.kind) {
    case 'alu': {
      const divmul = f.op === 'mul' || f.op === 'div' || f.op === 'sdiv' || f.op === 'mod' || f.op === 'smod';
      const signed = f.op === 'sdiv' || f.op === 'smod';
      const group = divmul ? (f.is64 ? GROUPS.divmul64 : GROUPS.divmul32) : f.is64 ? GROUPS.base64 : GROUPS.base32;
      return req(signed ? 4 : 1, group);
    }
    case 'movsx':
      return req(4, f.is64 ? GROUPS.base64 : GROUPS.base32);
    case 'end':
      return req(f.order === 'swap' ? 4 : 1, f.bits === 64 ? GROUPS.base64 : GROUPS.base32);
    case 'ja':
      return req(f.is32 ? 4 : 1, GROUPS.base32);
    case 'jcond': {
      if (f.is32) return req(3, GROUPS.base32);
      const v2 = f.cond === 'jlt' || f.cond === 'jle' || f.cond === 'jslt' || f.cond === 'jsle';
      return req(v2 ? 2 : 1, GROUPS.base64);
    }
    case 'call':
      return req(f.mode === 'helper' ? 1 : 3, GROUPS.base32);
    case 'callx':
      return req(1, GROUPS.callx);
    case 'exit':
      return req(1, GROUPS.base32);
    case 'lddw':
      return req(1, GROUPS.base64);
    case 'ldabs':
    case 'ldind':
      return req(1, GROUPS.packet);
    case 'ldx':
      if (f.signed) return req(4, GROUPS.base32);
      return req(1, f.size === 8 ? GROUPS.base64 : GROUPS.base32);
    case 'st':
    case 'stx':
      return req(1, f.size === 8 ? GROUPS.base64 : GROUPS.base32);
    case 'atomic':
      if (!LISTED_ATOMICS.has(ins.imm)) return NONE;
      return req(3, f.size === 8 ? GROUPS.atomic64 : GROUPS.atomic32);
    case 'load_acq':
    case 'store_rel':
      return NONE;
  }
}

/** insnRequirement returns what one instruction requires; invalid encodings require nothing, as upstream. */
export function insnRequirement(ins: Insn): Requirement {
  const f = classify(ins);
  if (f.kind === 'invalid') return NONE;
  return OFFICIAL_OVERRIDES.get(ins.opcode) ?? formRequirement(f, ins);
}

/** programRequirement combines the requirements of every instruction, skipping lddw second slots. */
export function programRequirement(insns: readonly Insn[]): Requirement {
  let cpu: CpuVersion = 1;
  let groups = 0;
  for (let i = 0; i < insns.length; i++) {
    const r = insnRequirement(insns[i]);
    if (r.cpu > cpu) cpu = r.cpu;
    groups |= r.groups;
    if (insns[i].opcode === op.OP_LDDW) i++;
  }
  return { cpu, groups };
}
