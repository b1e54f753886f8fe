/**
 * ALU, ALU64, sign-extending moves and byte-order operations, case by case as in the interpreter. Wasm traps where
 * eBPF defines a result (division by zero, INT_MIN / -1), so those operations test the divisor first; shifts need
 * nothing, as both ISAs mask the count to the operand width. 32-bit results are zero-extended.
 */
import type { AluOp, Form, Insn } from '../isa/index.js';
import { getReg, i32c, i64c, setReg, type Ctx } from './emit.js';
import type { Expr } from './builder.js';

type Alu = Extract<Form, { kind: 'alu' }>;

// The operands are built by plain functions rather than per-instruction closures: this runs for most instructions of
// every program, and closures were a measurable share of the fast tier's allocation.

/** src64 is the second operand of a 64-bit operation: src or the sign-extended immediate. */
const src64 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? getReg(c, ins.src) : i64c(c, ins.imm));
/** src32 is the second operand of a 32-bit operation: src's low word or the immediate. */
const src32 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? c.m.i32.wrap(getReg(c, ins.src)) : i32c(c, ins.imm));
/** dst32 is dst's low word. */
const dst32 = (c: Ctx, ins: Insn): Expr => c.m.i32.wrap(getReg(c, ins.dst));

/** isZero64 and isMinus164 test the divisor of a 64-bit division (a constant when it is the immediate). */
const isZero64 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? c.m.i64.eqz(getReg(c, ins.src)) : i32c(c, ins.imm === 0 ? 1 : 0));
const isMinus164 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? c.m.i64.eq(getReg(c, ins.src), i64c(c, -1)) : i32c(c, ins.imm === -1 ? 1 : 0));
/** isZero32 and isMinus132 test the divisor of a 32-bit division. */
const isZero32 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? c.m.i32.eqz(src32(c, f, ins)) : i32c(c, ins.imm === 0 ? 1 : 0));
const isMinus132 = (c: Ctx, f: Alu, ins: Insn): Expr => (f.useReg ? c.m.i32.eq(src32(c, f, ins), i32c(c, -1)) : i32c(c, ins.imm === -1 ? 1 : 0));

/** makeAlu64 translates a 64-bit ALU instruction. */
export function makeAlu64(c: Ctx, f: Alu, ins: Insn): Expr {
  const { m } = c;
  const op = f.op as AluOp;
  if (op === 'mov') return setReg(c, ins.dst, src64(c, f, ins));
  const a = getReg(c, ins.dst);
  let r: Expr;
  switch (op) {
    case 'add': r = m.i64.add(a, src64(c, f, ins)); break;
    case 'sub': r = m.i64.sub(a, src64(c, f, ins)); break;
    case 'mul': r = m.i64.mul(a, src64(c, f, ins)); break;
    case 'div': r = m.if(isZero64(c, f, ins), i64c(c, 0), m.i64.div_u(a, src64(c, f, ins))); break;
    case 'sdiv':
      r = m.if(isZero64(c, f, ins), i64c(c, 0),
        m.if(isMinus164(c, f, ins), m.i64.sub(i64c(c, 0), getReg(c, ins.dst)), m.i64.div_s(a, src64(c, f, ins))));
      break;
    case 'mod': r = m.if(isZero64(c, f, ins), getReg(c, ins.dst), m.i64.rem_u(a, src64(c, f, ins))); break;
    case 'smod': r = m.if(isZero64(c, f, ins), getReg(c, ins.dst), m.if(isMinus164(c, f, ins), i64c(c, 0), m.i64.rem_s(a, src64(c, f, ins)))); break;
    case 'or': r = m.i64.or(a, src64(c, f, ins)); break;
    case 'and': r = m.i64.and(a, src64(c, f, ins)); break;
    case 'xor': r = m.i64.xor(a, src64(c, f, ins)); break;
    case 'lsh': r = m.i64.shl(a, src64(c, f, ins)); break;
    case 'rsh': r = m.i64.shr_u(a, src64(c, f, ins)); break;
    case 'arsh': r = m.i64.shr_s(a, src64(c, f, ins)); break;
    case 'neg': r = m.i64.sub(i64c(c, 0), a); break;
  }
  return setReg(c, ins.dst, r);
}

/** makeAlu32 translates a 32-bit ALU instruction: operate on the low words, zero-extend the result. */
export function makeAlu32(c: Ctx, f: Alu, ins: Insn): Expr {
  const { m } = c;
  let r: Expr;
  switch (f.op as AluOp) {
    case 'add': r = m.i32.add(dst32(c, ins), src32(c, f, ins)); break;
    case 'sub': r = m.i32.sub(dst32(c, ins), src32(c, f, ins)); break;
    case 'mul': r = m.i32.mul(dst32(c, ins), src32(c, f, ins)); break;
    case 'div': r = m.if(isZero32(c, f, ins), i32c(c, 0), m.i32.div_u(dst32(c, ins), src32(c, f, ins))); break;
    case 'sdiv':
      r = m.if(isZero32(c, f, ins), i32c(c, 0),
        m.if(isMinus132(c, f, ins), m.i32.sub(i32c(c, 0), dst32(c, ins)), m.i32.div_s(dst32(c, ins), src32(c, f, ins))));
      break;
    case 'mod': r = m.if(isZero32(c, f, ins), dst32(c, ins), m.i32.rem_u(dst32(c, ins), src32(c, f, ins))); break;
    case 'smod': r = m.if(isZero32(c, f, ins), dst32(c, ins), m.if(isMinus132(c, f, ins), i32c(c, 0), m.i32.rem_s(dst32(c, ins), src32(c, f, ins)))); break;
    case 'or': r = m.i32.or(dst32(c, ins), src32(c, f, ins)); break;
    case 'and': r = m.i32.and(dst32(c, ins), src32(c, f, ins)); break;
    case 'xor': r = m.i32.xor(dst32(c, ins), src32(c, f, ins)); break;
    case 'lsh': r = m.i32.shl(dst32(c, ins), src32(c, f, ins)); break;
    case 'rsh': r = m.i32.shr_u(dst32(c, ins), src32(c, f, ins)); break;
    case 'arsh': r = m.i32.shr_s(dst32(c, ins), src32(c, f, ins)); break;
    case 'neg': r = m.i32.sub(i32c(c, 0), dst32(c, ins)); break;
    case 'mov': r = src32(c, f, ins); break;
  }
  return setReg(c, ins.dst, m.i64.extend_u(r));
}

/** makeMovsx translates movsx: sign-extend the low 8/16/32 bits of src (32-bit forms then zero-extend). */
export function makeMovsx(c: Ctx, f: Extract<Form, { kind: 'movsx' }>, ins: Insn): Expr {
  const { m } = c;
  const s = getReg(c, ins.src);
  if (f.is64) {
    const r = f.bits === 8 ? m.i64.extend8_s(s) : f.bits === 16 ? m.i64.extend16_s(s) : m.i64.extend32_s(s);
    return setReg(c, ins.dst, r);
  }
  const w = m.i32.wrap(s);
  return setReg(c, ins.dst, m.i64.extend_u(f.bits === 8 ? m.i32.extend8_s(w) : m.i32.extend16_s(w)));
}

/** bswap32 reverses the bytes of an i32: rotating by 8 both ways and keeping alternate bytes. */
export function bswap32(c: Ctx, x: () => Expr): Expr {
  const { m } = c;
  return m.i32.or(
    m.i32.and(m.i32.rotr(x(), i32c(c, 8)), i32c(c, 0xff00ff00)),
    m.i32.and(m.i32.rotl(x(), i32c(c, 8)), i32c(c, 0x00ff00ff)),
  );
}

/** bswap16 reverses the two low bytes of an i32 (result zero-extended to 32 bits). */
export function bswap16(c: Ctx, x: () => Expr): Expr {
  const { m } = c;
  return m.i32.or(m.i32.shl(m.i32.and(x(), i32c(c, 0xff)), i32c(c, 8)), m.i32.and(m.i32.shr_u(x(), i32c(c, 8)), i32c(c, 0xff)));
}

/** makeEnd translates le/be/bswap: on a little-endian machine `le` truncates and `be`/`bswap` reverse bytes. */
export function makeEnd(c: Ctx, f: Extract<Form, { kind: 'end' }>, ins: Insn): Expr {
  const { m } = c;
  const d = ins.dst;
  const lo = (): Expr => m.i32.wrap(getReg(c, d));
  if (f.order === 'le') {
    if (f.bits === 64) return m.nop();
    return setReg(c, d, m.i64.and(getReg(c, d), i64c(c, f.bits === 16 ? 0xffff : 0xffffffff)));
  }
  if (f.bits === 16) return setReg(c, d, m.i64.extend_u(bswap16(c, lo)));
  if (f.bits === 32) return setReg(c, d, m.i64.extend_u(bswap32(c, lo)));
  const hi = (): Expr => m.i32.wrap(m.i64.shr_u(getReg(c, d), i64c(c, 32)));
  return setReg(c, d, m.i64.or(m.i64.shl(m.i64.extend_u(bswap32(c, lo)), i64c(c, 32)), m.i64.extend_u(bswap32(c, hi))));
}
