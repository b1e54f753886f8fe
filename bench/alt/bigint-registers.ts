/**
 * The alternative 64-bit representation measured against the chosen one: registers as a BigUint64Array (stores wrap
 * modulo 2^64 by themselves). It runs the same pre-decoded code with the same dispatch as src/vm/interpreter.ts, so
 * only the representation differs. It implements just the ops the benchmark programs use.
 */
import { GuestMemory } from '../../src/memory/guest-memory.js';
import * as O from '../../src/vm/ops.js';
import type { Prepared } from '../../src/vm/prepare.js';

const M32 = 0xffffffffn;

/** runBigIntRegisters runs `p` with r1/r2 set and returns r0 and the instruction count. */
export function runBigIntRegisters(p: Prepared, mem: GuestMemory, r1: bigint, r2: bigint, stackTop: number): { r0: bigint; steps: number } {
  const code = p.code;
  const R = new BigUint64Array(11);
  const dv = mem.dv;
  const u8 = mem.u8;
  R[1] = r1;
  R[2] = r2;
  R[10] = BigInt(stackTop);
  let pc = 0;
  let steps = 0;
  for (;;) {
    const i = pc << 2;
    const w = code[i];
    const d = ((w >>> 8) & 0xff) >> 1;
    const s = (w >>> 16) >> 1;
    const imm = BigInt(code[i + 1]);
    steps++;
    pc++;
    let a: number;
    switch (w & 0xff) {
      case O.MOV64_K: R[d] = imm; break;
      case O.MOV64_X: R[d] = R[s]; break;
      case O.ADD64_K: R[d] += imm; break;
      case O.ADD64_X: R[d] += R[s]; break;
      case O.SUB64_K: R[d] -= imm; break;
      case O.MUL64_X: R[d] *= R[s]; break;
      case O.MOD64_X: if (R[s] !== 0n) R[d] %= R[s]; break;
      case O.RSH64_K: R[d] >>= imm & 63n; break;
      case O.XOR64_X: R[d] ^= R[s]; break;
      case O.ADD32_X: R[d] = (R[d] + R[s]) & M32; break;
      case O.MOV32_X: R[d] = R[s] & M32; break;
      case O.LSH32_K: R[d] = (R[d] << (imm & 31n)) & M32; break;
      case O.RSH32_K: R[d] = (R[d] & M32) >> (imm & 31n); break;
      case O.OR32_X: R[d] = (R[d] | R[s]) & M32; break;
      case O.LD_IMM64: R[d] = (BigInt(code[i + 3] >>> 0) << 32n) | BigInt(code[i + 1] >>> 0); pc++; break;
      case O.JA: pc = code[i + 2]; break;
      case O.JEQ_K: if (R[d] === BigInt.asUintN(64, imm)) pc = code[i + 2]; break;
      case O.JNE_K: if (R[d] !== BigInt.asUintN(64, imm)) pc = code[i + 2]; break;
      case O.JNE_X: if (R[d] !== R[s]) pc = code[i + 2]; break;
      case O.JLT_K: if (R[d] < BigInt.asUintN(64, imm)) pc = code[i + 2]; break;
      case O.JGT_X: if (R[d] > R[s]) pc = code[i + 2]; break;
      case O.LDX_B: a = Number(R[s]) + code[i + 2]; mem.check(a, 1, false); R[d] = BigInt(u8[a]); break;
      case O.LDX_W: a = Number(R[s]) + code[i + 2]; mem.check(a, 4, false); R[d] = BigInt(dv.getUint32(a, true)); break;
      case O.STX_B: a = Number(R[d]) + code[i + 2]; mem.check(a, 1, true); u8[a] = Number(R[s] & 0xffn); break;
      case O.EXIT: return { r0: R[0], steps };
      default: throw new Error(`BigInt-register prototype has no op ${w & 0xff}`);
    }
  }
}
