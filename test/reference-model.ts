/**
 * A BigInt reference model of eBPF ALU and JMP semantics, written from RFC 9669 independently of src/vm/int64.ts:
 * each operation on mathematical integers, then truncated to the operand width.
 */
import type { AluOp, JmpCond } from '../src/isa/index.js';

const u = (bits: number, v: bigint) => BigInt.asUintN(bits, v);
const s = (bits: number, v: bigint) => BigInt.asIntN(bits, v);

/** aluRef computes `dst op src` at `bits` (32 or 64); the result is zero-extended to 64 bits. */
export function aluRef(op: AluOp, bits: 32 | 64, dst: bigint, src: bigint): bigint {
  const a = u(bits, dst);
  const b = u(bits, src);
  const shift = b & BigInt(bits - 1);
  let r: bigint;
  switch (op) {
    case 'add': r = a + b; break;
    case 'sub': r = a - b; break;
    case 'mul': r = a * b; break;
    case 'div': r = b === 0n ? 0n : a / b; break;
    case 'sdiv': r = b === 0n ? 0n : s(bits, a) / s(bits, b); break;
    case 'mod': r = b === 0n ? a : a % b; break;
    case 'smod': r = b === 0n ? a : s(bits, a) % s(bits, b); break;
    case 'or': r = a | b; break;
    case 'and': r = a & b; break;
    case 'xor': r = a ^ b; break;
    case 'lsh': r = a << shift; break;
    case 'rsh': r = a >> shift; break;
    case 'arsh': r = s(bits, a) >> shift; break;
    case 'neg': r = -a; break;
    case 'mov': r = b; break;
  }
  return u(bits, r);
}

/** movsxRef sign-extends the low `from` bits of src to `bits`, then zero-extends to 64. */
export function movsxRef(from: number, bits: 32 | 64, src: bigint): bigint {
  return u(bits, s(from, src));
}

/** bswapRef reverses the low `bits` bits of x byte by byte. */
function bswapRef(bits: number, x: bigint): bigint {
  let r = 0n;
  for (let i = 0; i < bits / 8; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** endRef computes le/be/bswap of the given width on a little-endian machine. */
export function endRef(order: 'le' | 'be' | 'swap', bits: 16 | 32 | 64, x: bigint): bigint {
  return order === 'le' ? u(bits, x) : bswapRef(bits, x);
}

/** jmpRef evaluates a conditional jump at `bits` (32 compares the low words). */
export function jmpRef(cond: JmpCond, bits: 32 | 64, dst: bigint, src: bigint): boolean {
  const a = u(bits, dst);
  const b = u(bits, src);
  const sa = s(bits, dst);
  const sb = s(bits, src);
  switch (cond) {
    case 'jeq': return a === b;
    case 'jne': return a !== b;
    case 'jgt': return a > b;
    case 'jge': return a >= b;
    case 'jlt': return a < b;
    case 'jle': return a <= b;
    case 'jset': return (a & b) !== 0n;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
}
