/**
 * The reference interpreter's loop: one flat switch over pre-decoded ops (see prepare.ts), one or two lines per case.
 * Registers are (lo, hi) int32 pairs in `R` (register n at R[2n], R[2n+1]); 64-bit semantics come from int64.ts.
 * Every memory access is checked against guest memory regions; a failed check throws a constant sentinel that the
 * `catch` turns into a located ExecError, so the hot path builds no messages. `runSteps` executes at most `limit`
 * instructions and can be resumed, which gives both the instruction budget and single-stepping for `--trace`.
 */
import { ExecError } from '../errors.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import {
  add64, ashr64, bswap16, bswap32, bswap64, divU32, divU64, lsh64, ltS64, ltU64, modU32, modU64, mul64, neg64,
  rsh64, sdiv32, sdiv64, sext16, sext8, smod32, smod64, sub64,
} from './int64.js';
import * as O from './ops.js';
import type { Prepared } from './prepare.js';
import { FAULT_MEMORY, FAULT_MISALIGNED, locateFault } from './faults.js';
import { AFTER_EXIT, AFTER_TAIL_CALL, CALLX_EXIT, CALLX_TAIL_CALL, type HelperCallImpl } from './helper-call.js';

/** FRAME_WORDS is the size of one saved call frame: return pc and r6..r9 as (lo, hi). */
export const FRAME_WORDS = 9;
const R6 = 12;
const R10 = 20;
const STACK_FRAME = 512;

/** ExecState is the resumable state of one program invocation (or of one callback run from a helper). */
export interface ExecState {
  pc: number;
  depth: number;
  /** Depth at which `exit` ends this invocation: 0 for a program, deeper for a callback. */
  readonly baseDepth: number;
  readonly R: Int32Array;
  readonly frames: Int32Array;
  /** The program to resume in when a run stopped early (a tail call may have changed it); cleared when resumed. */
  resume?: Prepared;
  /** Program running at each depth below the current one, to return to after a tail call changed programs. */
  readonly progs: Prepared[];
  /** Tail calls taken so far by this invocation (the kernel allows 33). */
  tailCalls: number;
  /** Deepest call depth reached, so the next run zeroes only the stack it used. */
  maxDepth: number;
  exited: boolean;
  /** Instructions executed so far. */
  steps: number;
}

/** Env is what the loop needs of the machine around it. */
export interface Env {
  readonly mem: GuestMemory;
  /** r10 of frame 0 (the top of the stack region). */
  readonly stackTop: number;
  readonly maxDepth: number;
  /** Start and length of the packet that LD_ABS/LD_IND read (the input memory). */
  packetStart: number;
  packetLength: number;
  readonly call: HelperCallImpl;
  /** Instructions callbacks run from helpers may still execute in this run (their own budget). */
  callbackBudget: number;
}

/** addr computes the guest address base + off for a base register pair; -1 when it cannot be in guest memory. */
function addr(R: Int32Array, b: number, off: number): number {
  const hi = R[b + 1];
  const a = (R[b] >>> 0) + off;
  return hi === 0 ? a : hi === -1 ? a - 4294967296 : -1;
}

/**
 * runSteps executes at most `limit` instructions of `p` from `st`; it returns true when the program exited.
 * Faults throw a located ExecError; `st` then still points at the faulting instruction.
 */
export function runSteps(env: Env, p: Prepared, st: ExecState, limit: number): boolean {
  let code = p.code;
  const base = st.baseDepth;
  const R = st.R;
  const mem = env.mem;
  const frames = st.frames;
  const RC = mem.readCache;
  const WC = mem.writeCache;
  const T = new Int32Array(2);
  let dv = mem.dv;
  let u8 = mem.u8;
  let gen = mem.generation;
  let pc = st.pc;
  let depth = st.depth;
  let n = limit;
  let exited = false;
  try {
    loop: for (;;) {
      if (--n < 0) break;
      const i = pc << 2;
      const w = code[i];
      const d = (w >>> 8) & 0xff;
      const s = w >>> 16;
      pc++;
      let a: number;
      switch (w & 0xff) {
        case O.ADD64_K: add64(R, d, code[i + 1], code[i + 3]); break;
        case O.SUB64_K: sub64(R, d, code[i + 1], code[i + 3]); break;
        case O.MUL64_K: mul64(R, d, code[i + 1], code[i + 3]); break;
        case O.DIV64_K: divU64(R, d, code[i + 1], code[i + 3]); break;
        case O.SDIV64_K: sdiv64(R, d, code[i + 1], code[i + 3]); break;
        case O.OR64_K: R[d] |= code[i + 1]; R[d + 1] |= code[i + 3]; break;
        case O.AND64_K: R[d] &= code[i + 1]; R[d + 1] &= code[i + 3]; break;
        case O.LSH64_K: lsh64(R, d, code[i + 1]); break;
        case O.RSH64_K: rsh64(R, d, code[i + 1]); break;
        case O.MOD64_K: modU64(R, d, code[i + 1], code[i + 3]); break;
        case O.SMOD64_K: smod64(R, d, code[i + 1], code[i + 3]); break;
        case O.XOR64_K: R[d] ^= code[i + 1]; R[d + 1] ^= code[i + 3]; break;
        case O.MOV64_K: R[d] = code[i + 1]; R[d + 1] = code[i + 3]; break;
        case O.ARSH64_K: ashr64(R, d, code[i + 1]); break;
        case O.ADD64_X: add64(R, d, R[s], R[s + 1]); break;
        case O.SUB64_X: sub64(R, d, R[s], R[s + 1]); break;
        case O.MUL64_X: mul64(R, d, R[s], R[s + 1]); break;
        case O.DIV64_X: divU64(R, d, R[s], R[s + 1]); break;
        case O.SDIV64_X: sdiv64(R, d, R[s], R[s + 1]); break;
        case O.OR64_X: R[d] |= R[s]; R[d + 1] |= R[s + 1]; break;
        case O.AND64_X: R[d] &= R[s]; R[d + 1] &= R[s + 1]; break;
        case O.LSH64_X: lsh64(R, d, R[s]); break;
        case O.RSH64_X: rsh64(R, d, R[s]); break;
        case O.MOD64_X: modU64(R, d, R[s], R[s + 1]); break;
        case O.SMOD64_X: smod64(R, d, R[s], R[s + 1]); break;
        case O.XOR64_X: R[d] ^= R[s]; R[d + 1] ^= R[s + 1]; break;
        case O.MOV64_X: R[d] = R[s]; R[d + 1] = R[s + 1]; break;
        case O.ARSH64_X: ashr64(R, d, R[s]); break;
        case O.NEG64: neg64(R, d); break;

        case O.ADD32_K: R[d] = (R[d] + code[i + 1]) | 0; R[d + 1] = 0; break;
        case O.SUB32_K: R[d] = (R[d] - code[i + 1]) | 0; R[d + 1] = 0; break;
        case O.MUL32_K: R[d] = Math.imul(R[d], code[i + 1]); R[d + 1] = 0; break;
        case O.DIV32_K: R[d] = divU32(R[d], code[i + 1]); R[d + 1] = 0; break;
        case O.SDIV32_K: R[d] = sdiv32(R[d], code[i + 1]); R[d + 1] = 0; break;
        case O.OR32_K: R[d] |= code[i + 1]; R[d + 1] = 0; break;
        case O.AND32_K: R[d] &= code[i + 1]; R[d + 1] = 0; break;
        case O.LSH32_K: R[d] <<= code[i + 1]; R[d + 1] = 0; break;
        case O.RSH32_K: R[d] = R[d] >>> code[i + 1]; R[d + 1] = 0; break;
        case O.MOD32_K: R[d] = modU32(R[d], code[i + 1]); R[d + 1] = 0; break;
        case O.SMOD32_K: R[d] = smod32(R[d], code[i + 1]); R[d + 1] = 0; break;
        case O.XOR32_K: R[d] ^= code[i + 1]; R[d + 1] = 0; break;
        case O.MOV32_K: R[d] = code[i + 1]; R[d + 1] = 0; break;
        case O.ARSH32_K: R[d] >>= code[i + 1]; R[d + 1] = 0; break;
        case O.ADD32_X: R[d] = (R[d] + R[s]) | 0; R[d + 1] = 0; break;
        case O.SUB32_X: R[d] = (R[d] - R[s]) | 0; R[d + 1] = 0; break;
        case O.MUL32_X: R[d] = Math.imul(R[d], R[s]); R[d + 1] = 0; break;
        case O.DIV32_X: R[d] = divU32(R[d], R[s]); R[d + 1] = 0; break;
        case O.SDIV32_X: R[d] = sdiv32(R[d], R[s]); R[d + 1] = 0; break;
        case O.OR32_X: R[d] |= R[s]; R[d + 1] = 0; break;
        case O.AND32_X: R[d] &= R[s]; R[d + 1] = 0; break;
        case O.LSH32_X: R[d] <<= R[s]; R[d + 1] = 0; break;
        case O.RSH32_X: R[d] = R[d] >>> R[s]; R[d + 1] = 0; break;
        case O.MOD32_X: R[d] = modU32(R[d], R[s]); R[d + 1] = 0; break;
        case O.SMOD32_X: R[d] = smod32(R[d], R[s]); R[d + 1] = 0; break;
        case O.XOR32_X: R[d] ^= R[s]; R[d + 1] = 0; break;
        case O.MOV32_X: R[d] = R[s]; R[d + 1] = 0; break;
        case O.ARSH32_X: R[d] >>= R[s]; R[d + 1] = 0; break;
        case O.NEG32: R[d] = -R[d] | 0; R[d + 1] = 0; break;

        case O.MOVSX8_32: R[d] = sext8(R[s]); R[d + 1] = 0; break;
        case O.MOVSX16_32: R[d] = sext16(R[s]); R[d + 1] = 0; break;
        case O.MOVSX8_64: R[d] = sext8(R[s]); R[d + 1] = R[d] >> 31; break;
        case O.MOVSX16_64: R[d] = sext16(R[s]); R[d + 1] = R[d] >> 31; break;
        case O.MOVSX32_64: R[d] = R[s]; R[d + 1] = R[d] >> 31; break;
        case O.LE16: R[d] &= 0xffff; R[d + 1] = 0; break;
        case O.LE32: R[d + 1] = 0; break;
        case O.LE64: break;
        case O.BE16: case O.BSWAP16: R[d] = bswap16(R[d]); R[d + 1] = 0; break;
        case O.BE32: case O.BSWAP32: R[d] = bswap32(R[d]); R[d + 1] = 0; break;
        case O.BE64: case O.BSWAP64: bswap64(R, d); break;

        case O.JA: pc = code[i + 2]; break;
        case O.JEQ_K: if (R[d] === code[i + 1] && R[d + 1] === code[i + 3]) pc = code[i + 2]; break;
        case O.JGT_K: if (ltU64(code[i + 1], code[i + 3], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JGE_K: if (!ltU64(R[d], R[d + 1], code[i + 1], code[i + 3])) pc = code[i + 2]; break;
        case O.JSET_K: if ((R[d] & code[i + 1]) !== 0 || (R[d + 1] & code[i + 3]) !== 0) pc = code[i + 2]; break;
        case O.JNE_K: if (R[d] !== code[i + 1] || R[d + 1] !== code[i + 3]) pc = code[i + 2]; break;
        case O.JSGT_K: if (ltS64(code[i + 1], code[i + 3], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JSGE_K: if (!ltS64(R[d], R[d + 1], code[i + 1], code[i + 3])) pc = code[i + 2]; break;
        case O.JLT_K: if (ltU64(R[d], R[d + 1], code[i + 1], code[i + 3])) pc = code[i + 2]; break;
        case O.JLE_K: if (!ltU64(code[i + 1], code[i + 3], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JSLT_K: if (ltS64(R[d], R[d + 1], code[i + 1], code[i + 3])) pc = code[i + 2]; break;
        case O.JSLE_K: if (!ltS64(code[i + 1], code[i + 3], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JEQ_X: if (R[d] === R[s] && R[d + 1] === R[s + 1]) pc = code[i + 2]; break;
        case O.JGT_X: if (ltU64(R[s], R[s + 1], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JGE_X: if (!ltU64(R[d], R[d + 1], R[s], R[s + 1])) pc = code[i + 2]; break;
        case O.JSET_X: if ((R[d] & R[s]) !== 0 || (R[d + 1] & R[s + 1]) !== 0) pc = code[i + 2]; break;
        case O.JNE_X: if (R[d] !== R[s] || R[d + 1] !== R[s + 1]) pc = code[i + 2]; break;
        case O.JSGT_X: if (ltS64(R[s], R[s + 1], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JSGE_X: if (!ltS64(R[d], R[d + 1], R[s], R[s + 1])) pc = code[i + 2]; break;
        case O.JLT_X: if (ltU64(R[d], R[d + 1], R[s], R[s + 1])) pc = code[i + 2]; break;
        case O.JLE_X: if (!ltU64(R[s], R[s + 1], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JSLT_X: if (ltS64(R[d], R[d + 1], R[s], R[s + 1])) pc = code[i + 2]; break;
        case O.JSLE_X: if (!ltS64(R[s], R[s + 1], R[d], R[d + 1])) pc = code[i + 2]; break;
        case O.JEQ32_K: if (R[d] === code[i + 1]) pc = code[i + 2]; break;
        case O.JGT32_K: if (R[d] >>> 0 > code[i + 1] >>> 0) pc = code[i + 2]; break;
        case O.JGE32_K: if (R[d] >>> 0 >= code[i + 1] >>> 0) pc = code[i + 2]; break;
        case O.JSET32_K: if ((R[d] & code[i + 1]) !== 0) pc = code[i + 2]; break;
        case O.JNE32_K: if (R[d] !== code[i + 1]) pc = code[i + 2]; break;
        case O.JSGT32_K: if (R[d] > code[i + 1]) pc = code[i + 2]; break;
        case O.JSGE32_K: if (R[d] >= code[i + 1]) pc = code[i + 2]; break;
        case O.JLT32_K: if (R[d] >>> 0 < code[i + 1] >>> 0) pc = code[i + 2]; break;
        case O.JLE32_K: if (R[d] >>> 0 <= code[i + 1] >>> 0) pc = code[i + 2]; break;
        case O.JSLT32_K: if (R[d] < code[i + 1]) pc = code[i + 2]; break;
        case O.JSLE32_K: if (R[d] <= code[i + 1]) pc = code[i + 2]; break;
        case O.JEQ32_X: if (R[d] === R[s]) pc = code[i + 2]; break;
        case O.JGT32_X: if (R[d] >>> 0 > R[s] >>> 0) pc = code[i + 2]; break;
        case O.JGE32_X: if (R[d] >>> 0 >= R[s] >>> 0) pc = code[i + 2]; break;
        case O.JSET32_X: if ((R[d] & R[s]) !== 0) pc = code[i + 2]; break;
        case O.JNE32_X: if (R[d] !== R[s]) pc = code[i + 2]; break;
        case O.JSGT32_X: if (R[d] > R[s]) pc = code[i + 2]; break;
        case O.JSGE32_X: if (R[d] >= R[s]) pc = code[i + 2]; break;
        case O.JLT32_X: if (R[d] >>> 0 < R[s] >>> 0) pc = code[i + 2]; break;
        case O.JLE32_X: if (R[d] >>> 0 <= R[s] >>> 0) pc = code[i + 2]; break;
        case O.JSLT32_X: if (R[d] < R[s]) pc = code[i + 2]; break;
        case O.JSLE32_X: if (R[d] <= R[s]) pc = code[i + 2]; break;

        case O.CALL_HELPER: {
          const after = env.call.invoke(p.helpers[code[i + 1]], st, p, depth);
          if (after === AFTER_EXIT) { exited = true; break loop; }
          if (after === AFTER_TAIL_CALL) { p = env.call.takeTailTarget(); code = p.code; pc = 0; }
          if (mem.generation !== gen) { dv = mem.dv; u8 = mem.u8; gen = mem.generation; }
          break;
        }
        case O.CALLX: {
          const target = env.call.callx(p, st, depth, d);
          if (target === CALLX_EXIT) { exited = true; break loop; }
          if (target === CALLX_TAIL_CALL) { p = env.call.takeTailTarget(); code = p.code; pc = 0; }
          if (target >= 0) { pushFrame(env, st, p, depth, pc); depth++; pc = target; }
          if (mem.generation !== gen) { dv = mem.dv; u8 = mem.u8; gen = mem.generation; }
          break;
        }
        case O.CALL_LOCAL: pushFrame(env, st, p, depth, pc); depth++; pc = code[i + 2]; break;
        case O.EXIT:
          if (depth === base) { exited = true; break loop; }
          depth--;
          pc = popFrame(env, frames, R, depth);
          p = st.progs[depth];
          code = p.code;
          break;
        case O.POISON:
          throw new ExecError('core-relocation', p.poison.get(pc - 1) ?? 'instruction poisoned by a failed CO-RE relocation');

        case O.LD_IMM64: R[d] = code[i + 1]; R[d + 1] = code[i + 3]; pc++; break;
        case O.LDABS_B: case O.LDIND_B:
          a = (w & 0xff) === O.LDABS_B ? code[i + 1] : (R[s] + code[i + 1]) | 0;
          if (a < 0 || a + 1 > env.packetLength) { R[0] = 0; R[1] = 0; exited = true; break loop; }
          R[0] = u8[env.packetStart + a]; R[1] = 0; break;
        case O.LDABS_H: case O.LDIND_H:
          a = (w & 0xff) === O.LDABS_H ? code[i + 1] : (R[s] + code[i + 1]) | 0;
          if (a < 0 || a + 2 > env.packetLength) { R[0] = 0; R[1] = 0; exited = true; break loop; }
          R[0] = dv.getUint16(env.packetStart + a, false); R[1] = 0; break;
        case O.LDABS_W: case O.LDIND_W:
          a = (w & 0xff) === O.LDABS_W ? code[i + 1] : (R[s] + code[i + 1]) | 0;
          if (a < 0 || a + 4 > env.packetLength) { R[0] = 0; R[1] = 0; exited = true; break loop; }
          R[0] = dv.getInt32(env.packetStart + a, false); R[1] = 0; break;

        case O.LDX_B: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 1 > RC[1]) mem.refill(a, 1, false, FAULT_MEMORY); R[d] = u8[a]; R[d + 1] = 0; break;
        case O.LDX_H: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 2 > RC[1]) mem.refill(a, 2, false, FAULT_MEMORY); R[d] = dv.getUint16(a, true); R[d + 1] = 0; break;
        case O.LDX_W: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 4 > RC[1]) mem.refill(a, 4, false, FAULT_MEMORY); R[d] = dv.getInt32(a, true); R[d + 1] = 0; break;
        case O.LDX_DW: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 8 > RC[1]) mem.refill(a, 8, false, FAULT_MEMORY); R[d] = dv.getInt32(a, true); R[d + 1] = dv.getInt32(a + 4, true); break;
        case O.LDXS_B: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 1 > RC[1]) mem.refill(a, 1, false, FAULT_MEMORY); R[d] = dv.getInt8(a); R[d + 1] = R[d] >> 31; break;
        case O.LDXS_H: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 2 > RC[1]) mem.refill(a, 2, false, FAULT_MEMORY); R[d] = dv.getInt16(a, true); R[d + 1] = R[d] >> 31; break;
        case O.LDXS_W: a = addr(R, s, code[i + 2]); if (a < RC[0] || a + 4 > RC[1]) mem.refill(a, 4, false, FAULT_MEMORY); R[d] = dv.getInt32(a, true); R[d + 1] = R[d] >> 31; break;
        case O.ST_B: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 1 > WC[1]) mem.refill(a, 1, true, FAULT_MEMORY); u8[a] = code[i + 1]; break;
        case O.ST_H: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 2 > WC[1]) mem.refill(a, 2, true, FAULT_MEMORY); dv.setInt16(a, code[i + 1], true); break;
        case O.ST_W: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 4 > WC[1]) mem.refill(a, 4, true, FAULT_MEMORY); dv.setInt32(a, code[i + 1], true); break;
        case O.ST_DW: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 8 > WC[1]) mem.refill(a, 8, true, FAULT_MEMORY); dv.setInt32(a, code[i + 1], true); dv.setInt32(a + 4, code[i + 3], true); break;
        case O.STX_B: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 1 > WC[1]) mem.refill(a, 1, true, FAULT_MEMORY); u8[a] = R[s]; break;
        case O.STX_H: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 2 > WC[1]) mem.refill(a, 2, true, FAULT_MEMORY); dv.setInt16(a, R[s], true); break;
        case O.STX_W: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 4 > WC[1]) mem.refill(a, 4, true, FAULT_MEMORY); dv.setInt32(a, R[s], true); break;
        case O.STX_DW: a = addr(R, d, code[i + 2]); if (a < WC[0] || a + 8 > WC[1]) mem.refill(a, 8, true, FAULT_MEMORY); dv.setInt32(a, R[s], true); dv.setInt32(a + 4, R[s + 1], true); break;

        case O.AADD_W: case O.AOR_W: case O.AAND_W: case O.AXOR_W: case O.AFADD_W: case O.AFOR_W: case O.AFAND_W:
        case O.AFXOR_W: case O.AXCHG_W: case O.ACMPXCHG_W:
          a = addr(R, d, code[i + 2]);
          if (a < WC[0] || a + 4 > WC[1]) mem.refill(a, 4, true, FAULT_MEMORY);
          if ((a & 3) !== 0) throw FAULT_MISALIGNED;
          atomic32(w & 0xff, dv, a, R, s);
          break;
        case O.AADD_DW: case O.AOR_DW: case O.AAND_DW: case O.AXOR_DW: case O.AFADD_DW: case O.AFOR_DW: case O.AFAND_DW:
        case O.AFXOR_DW: case O.AXCHG_DW: case O.ACMPXCHG_DW:
          a = addr(R, d, code[i + 2]);
          if (a < WC[0] || a + 8 > WC[1]) mem.refill(a, 8, true, FAULT_MEMORY);
          if ((a & 7) !== 0) throw FAULT_MISALIGNED;
          atomic64(w & 0xff, dv, a, R, s, T);
          break;

        case O.FELL_OFF:
          throw new ExecError('fell-off', `pc ${pc - 1}: execution ran past the last instruction`, { pc: pc - 1 });
        default:
          throw new ExecError('internal', `pc ${pc - 1}: interpreter has no case for op ${w & 0xff}`, { pc: pc - 1 });
      }
    }
  } catch (e) {
    st.depth = depth;
    // A PROBE_MEM load read 0: the caller resumes at the next instruction (handled out of the hot function: a try
    // around the loop or code after it measured several times slower).
    if (probeFault(e, p, st, pc, limit - n)) return false;
    st.pc = pc - 1;
    st.steps += limit - n - 1;
    throw locateFault(e, p, st, env);
  }
  st.depth = depth;
  st.exited = exited;
  if (exited) {
    st.pc = pc - 1;
    st.steps += limit - n;
  } else {
    st.pc = pc;
    st.steps += limit;
    st.resume = p;
  }
  return exited;
}

/** PROBE_LOADS are the loads a PROBE_MEM program may have fail softly. */
const PROBE_LOADS = new Set([O.LDX_B, O.LDX_H, O.LDX_W, O.LDX_DW, O.LDXS_B, O.LDXS_H, O.LDXS_W]);

/**
 * probeFault handles a memory fault of a PROBE_MEM program at the load before `pc`: in programs whose loads go through
 * BTF-typed kernel pointers the kernel marks them PROBE_MEM, and a bad address reads 0 instead of faulting. It zeroes
 * the destination, leaves `st` at the next instruction and returns true; any other fault returns false.
 */
function probeFault(e: unknown, p: Prepared, st: ExecState, pc: number, steps: number): boolean {
  if (e !== FAULT_MEMORY || !p.probeMem) return false;
  const w = p.code[(pc - 1) << 2];
  if (!PROBE_LOADS.has(w & 0xff)) return false;
  const d = (w >>> 8) & 0xff;
  st.R[d] = 0;
  st.R[d + 1] = 0;
  st.pc = pc;
  st.steps += steps;
  st.exited = false;
  st.resume = p;
  return true;
}

function pushFrame(env: Env, st: ExecState, p: Prepared, depth: number, ret: number): void {
  if (depth + 1 >= env.maxDepth) {
    throw new ExecError('call-depth', `call depth limit of ${env.maxDepth} frames exceeded`);
  }
  const frames = st.frames;
  const R = st.R;
  st.progs[depth] = p;
  const f = depth * FRAME_WORDS;
  frames[f] = ret;
  for (let k = 0; k < 8; k++) frames[f + 1 + k] = R[R6 + k];
  R[R10] = env.stackTop - (depth + 1) * STACK_FRAME;
  R[R10 + 1] = 0;
  if (depth + 1 > st.maxDepth) st.maxDepth = depth + 1;
}

function popFrame(env: Env, frames: Int32Array, R: Int32Array, depth: number): number {
  const f = depth * FRAME_WORDS;
  for (let k = 0; k < 8; k++) R[R6 + k] = frames[f + 1 + k];
  R[R10] = env.stackTop - depth * STACK_FRAME;
  R[R10 + 1] = 0;
  return frames[f];
}

function atomic32(op: number, dv: DataView, a: number, R: Int32Array, s: number): void {
  const old = dv.getInt32(a, true);
  const v = R[s];
  switch (op) {
    case O.AADD_W: case O.AFADD_W: dv.setInt32(a, (old + v) | 0, true); break;
    case O.AOR_W: case O.AFOR_W: dv.setInt32(a, old | v, true); break;
    case O.AAND_W: case O.AFAND_W: dv.setInt32(a, old & v, true); break;
    case O.AXOR_W: case O.AFXOR_W: dv.setInt32(a, old ^ v, true); break;
    case O.AXCHG_W: dv.setInt32(a, v, true); break;
    case O.ACMPXCHG_W:
      if (old === R[0]) dv.setInt32(a, v, true);
      R[0] = old;
      R[1] = 0;
      return;
  }
  if (op >= O.AFADD_W) {
    R[s] = old;
    R[s + 1] = 0;
  }
}

function atomic64(op: number, dv: DataView, a: number, R: Int32Array, s: number, T: Int32Array): void {
  const lo = dv.getInt32(a, true);
  const hi = dv.getInt32(a + 4, true);
  T[0] = lo;
  T[1] = hi;
  switch (op) {
    case O.AADD_DW: case O.AFADD_DW: add64(T, 0, R[s], R[s + 1]); break;
    case O.AOR_DW: case O.AFOR_DW: T[0] |= R[s]; T[1] |= R[s + 1]; break;
    case O.AAND_DW: case O.AFAND_DW: T[0] &= R[s]; T[1] &= R[s + 1]; break;
    case O.AXOR_DW: case O.AFXOR_DW: T[0] ^= R[s]; T[1] ^= R[s + 1]; break;
    case O.AXCHG_DW: T[0] = R[s]; T[1] = R[s + 1]; break;
    case O.ACMPXCHG_DW:
      if (lo === R[0] && hi === R[1]) {
        dv.setInt32(a, R[s], true);
        dv.setInt32(a + 4, R[s + 1], true);
      }
      R[0] = lo;
      R[1] = hi;
      return;
  }
  dv.setInt32(a, T[0], true);
  dv.setInt32(a + 4, T[1], true);
  if (op >= O.AFADD_DW) {
    R[s] = lo;
    R[s + 1] = hi;
  }
}
