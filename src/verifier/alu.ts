/**
 * ALU instructions on abstract registers: scalars through the transfer functions, pointers through the arithmetic the
 * kernel allows (add or subtract a scalar to a pointer whose kind permits it, subtract two pointers of one region in
 * privileged mode), and the bookkeeping that rides on values: induction tags for loop termination and the input-length
 * headroom of raw programs.
 */
import type { Form, Insn } from '../isa/index.js';
import { known, low32, unknown, urange, type Scalar } from './scalar.js';
import { MAX_INPUT, MAX_PACKET_OFF } from './check-mem.js';
import { scalarAlu, scalarEnd, scalarSext } from './scalar-alu.js';
import { cur, isPointer, ptrReg, regWith, scalarReg, type Reg, type VState } from './state.js';
import { shiftSym } from './loops.js';
import { reject } from './reject.js';
import { freshId, immReg, type Env } from './env.js';
import { fmtReg } from './format.js';
import { U32 } from './tnum.js';

/** MAX_VAR_OFF bounds pointer offsets (the kernel's BPF_MAX_VAR_OFF). */
export const MAX_VAR_OFF = 1 << 29;

type AluForm = Extract<Form, { kind: 'alu' | 'movsx' | 'end' }>;

const constOf = (r: Reg): bigint | undefined => (r.kind === 'scalar' && r.v.t.mask === 0n ? r.v.t.value : undefined);

function needInit(r: Reg, n: number): void {
  if (r.kind === 'not_init') reject('uninit-reg', `r${n} is used before it is initialised`, [n]);
}

/** headroom carries the raw-input headroom of a scalar through `op` with a known operand `c`. */
function headroom(r: Reg, op: string, c: bigint | undefined, is64: boolean, result: Scalar): number {
  if (r.len < 0 || c === undefined) return -1;
  if (!is64 && result.umax !== r.v.umax) return -1;
  switch (op) {
    case 'add':
      return c <= BigInt(r.len) && c >= 0n ? r.len - Number(c) : -1;
    case 'sub':
      return c >= 0n && r.v.umin >= c && c < 1n << 31n ? r.len + Number(c) : -1;
    case 'and':
    case 'rsh':
    case 'div':
      return r.len; // the result never exceeds the operand
    default:
      return -1;
  }
}

function scalarOp(op: AluForm & { kind: 'alu' }, d: Reg, s: Reg, is64: boolean): Reg {
  const c = constOf(s);
  const v = scalarAlu(op.op, d.v, s.v, is64);
  const out = scalarReg(v, headroom(d, op.op, c !== undefined ? BigInt.asIntN(64, c) : undefined, is64, v));
  if (c !== undefined && (op.op === 'add' || op.op === 'sub')) {
    const sc = BigInt.asIntN(is64 ? 64 : 32, c);
    out.sym = shiftSym(d.sym, op.op === 'add' ? sc : -sc, is64);
  }
  return out;
}

function checkOffset(off: number, v: Scalar, n: number, r: Reg): void {
  if (Math.abs(off) >= MAX_VAR_OFF) reject('pointer-arith', `r${n} (${r.kind} pointer) would move out of bounds: offset ${off}`, [n]);
  if (v.smin <= -BigInt(MAX_VAR_OFF) || v.smax >= BigInt(MAX_VAR_OFF)) {
    reject('pointer-arith', `math between a ${r.kind} pointer and an unbounded value is not allowed: bound the scalar first`, [n]);
  }
}

function ptrPlus(env: Env, p: Reg, s: Reg, sub: boolean, n: number): Reg {
  const c = constOf(s);
  if (c !== undefined) {
    const k = BigInt.asIntN(64, c);
    if (k >= BigInt(MAX_VAR_OFF) || k <= -BigInt(MAX_VAR_OFF)) reject('pointer-arith', `adding ${k} to r${n} (${p.kind} pointer) leaves any region`, [n]);
    const off = p.off + Number(sub ? -k : k);
    checkOffset(off, p.v, n, p);
    if (env.spectre && p.kind === 'map_value' && (off < 0 || off > env.maps[p.map].valueSize)) {
      reject('pointer-arith', `r${n} would point ${off < 0 ? 'before' : 'past'} the map value (offset ${off}); out-of-range map value pointers are allowed in privileged mode only`, [n]);
    }
    return regWith(p, { off, sym: shiftSym(p.sym, sub ? -k : k, true) });
  }
  // Raw programs: the input start plus r2 (its length) is the input end.
  if (env.prog.raw && !sub && p.kind === 'packet' && s.len === 0 && p.off === 0 && isZeroVar(p)) {
    return ptrReg('packet_end');
  }
  const v = scalarAlu(sub ? 'sub' : 'add', p.v, s.v, true);
  checkOffset(p.off, v, n, p);
  const out: Reg = regWith(p, { v, sym: undefined });
  if (p.kind === 'packet' || p.kind === 'packet_meta') {
    out.id = freshId(env);
    // Raw input: base + x with x <= len - h leaves h bytes; a base already proved longer may leave more. The range
    // counts from the variable part v and the fixed offset carries over, so p + x keeps range - max(x) whatever p's
    // offset and variable part: its byte off + k lies at v + x + off + k < v + range when off + k < range - max(x).
    const fromBase = !sub ? p.range - Number(s.v.umax > 1n << 30n ? 1n << 30n : s.v.umax) : 0;
    out.range = Math.max(0, fromBase, !sub && s.len >= 0 && p.off === 0 && isZeroVar(p) ? s.len : 0);
  }
  return out;
}

const isZeroVar = (p: Reg): boolean => p.v.t.mask === 0n && p.v.t.value === 0n;

/** pktOffset is where a packet pointer (or its low half) points, counted from the packet start. */
function pktOffset(env: Env, r: Reg): Scalar | undefined {
  const kind = r.kind === 'pkt_lo32' ? r.of : r.kind;
  if (kind === 'packet_end') return urange(0n, env.prog.raw ? MAX_INPUT : BigInt(MAX_PACKET_OFF));
  if (kind === 'packet') return scalarAlu('add', known(BigInt(r.off)), r.v, true);
  // The metadata lies before the packet start, within the headroom.
  if (kind === 'packet_meta') return scalarAlu('sub', scalarAlu('add', known(BigInt(r.off)), r.v, true), urange(0n, BigInt(MAX_PACKET_OFF)), true);
  return undefined;
}

/**
 * packetDiff computes `data_end - data` and the like: two pointers into one packet (or their low halves, in 32 bits)
 * differ by a length that depends on the packet, not on where it lies, so the result is a bounded scalar that leaks
 * nothing (the kernel refuses it without CAP_PERFMON, and makes it an unknown scalar with it).
 */
function packetDiff(env: Env, op: AluForm & { kind: 'alu' }, d: Reg, s: Reg): Reg | undefined {
  if (op.op !== 'sub' || (op.is64 && (d.kind === 'pkt_lo32' || s.kind === 'pkt_lo32'))) return undefined;
  const a = pktOffset(env, d);
  const b = pktOffset(env, s);
  if (!a || !b) return undefined;
  return scalarReg(scalarAlu('sub', a, b, op.is64));
}

function pointerOp(env: Env, op: AluForm & { kind: 'alu' }, d: Reg, s: Reg, nd: number, ns: number): Reg {
  const diff = packetDiff(env, op, d, s);
  if (diff) return diff;
  if (d.kind === 'pkt_lo32' || s.kind === 'pkt_lo32') {
    // The kernel with CAP_PERFMON makes any 32-bit copy of a pointer an unknown scalar.
    if (env.privileged) return scalarReg(op.is64 ? unknown() : low32(unknown()));
    reject('pointer-arith', `r${d.kind === 'pkt_lo32' ? nd : ns} holds the low 32 bits of a packet pointer: only another packet pointer may be subtracted from it`, [nd, ns]);
  }
  if (!op.is64 && op.op === 'sub' && env.privileged) return scalarReg(low32(unknown())); // the kernel's rule under CAP_PERFMON
  if (!op.is64) reject('pointer-arith', `32-bit arithmetic on a pointer (r${isPointer(d) ? nd : ns}) is not allowed`, [nd, ns]);
  const ptrN = isPointer(d) ? nd : ns;
  const p = isPointer(d) ? d : s;
  if (op.op !== 'add' && op.op !== 'sub') reject('pointer-arith', `${op.op} on a pointer (r${ptrN}, ${fmtReg(p)}) is not allowed`, [ptrN]);
  if (isPointer(d) && isPointer(s)) {
    if (op.op === 'add') reject('pointer-arith', `adding two pointers (r${nd} + r${ns}) is not allowed`, [nd, ns]);
    if (!env.privileged) reject('pointer-arith', `subtracting pointers (r${nd} - r${ns}) is allowed in privileged mode only`, [nd, ns]);
    return scalarReg(unknown());
  }
  if (isPointer(s) && op.op === 'sub') reject('pointer-arith', `subtracting a pointer (r${ns}) from a scalar is not allowed`, [nd, ns]);
  if (p.nullable) reject('null-arith', `arithmetic on r${ptrN}, which may be NULL (${fmtReg(p)}): compare it with 0 first`, [ptrN]);
  if (p.kind === 'map_ptr' || p.kind === 'packet_end' || p.kind === 'func' || p.kind === 'sock' || p.kind === 'sock_common') {
    reject('pointer-arith', `arithmetic on a ${p.kind} pointer (r${ptrN}) is not allowed`, [ptrN]);
  }
  return ptrPlus(env, p, isPointer(d) ? s : d, op.op === 'sub', ptrN);
}

function mov(env: Env, f: AluForm & { kind: 'alu' }, s: Reg, ns: number): Reg {
  if (f.is64) return s;
  if (isPointer(s)) {
    if (s.kind === 'packet' || s.kind === 'packet_end' || s.kind === 'packet_meta') return regWith(s, { kind: 'pkt_lo32', of: s.kind, sym: undefined });
    if (!env.privileged) reject('pointer-leak', `32-bit copy of a pointer (r${ns}) would leak part of an address`, [ns]);
    return scalarReg(low32(unknown()));
  }
  const v = low32(s.v);
  const same = s.v.umax <= U32;
  const out = scalarReg(v, same ? s.len : -1);
  out.sym = shiftSym(s.sym, 0n, false);
  out.id = same ? s.id : 0;
  return out;
}

/**
 * linkCopy gives an unknown scalar about to be copied an id, so the copy and the original share what a later
 * comparison of either proves (the kernel's scalar ids: `r3 = r4; if r4 > 36 goto` bounds r3 too). A 32-bit copy
 * links only a value that fits in 32 bits, which the copy then equals.
 */
function linkCopy(env: Env, regs: Reg[], ns: number, is64: boolean): Reg {
  const s = regs[ns];
  if (s.kind !== 'scalar' || s.id !== 0 || s.v.t.mask === 0n || (!is64 && s.v.umax > U32)) return s;
  regs[ns] = regWith(s, { id: freshId(env) });
  return regs[ns];
}

/** doAlu applies an ALU instruction to the running frame of `st`. */
export function doAlu(env: Env, st: VState, f: AluForm, ins: Insn, pc: number): void {
  const regs = cur(st).regs;
  const nd = ins.dst;
  const d = regs[nd];
  if (f.kind === 'end') {
    needInit(d, nd);
    if (isPointer(d)) reject('pointer-arith', `byte swap of a pointer (r${nd}) is not allowed`, [nd]);
    regs[nd] = scalarReg(scalarEnd(d.v, f.order, f.bits));
    return;
  }
  if (f.kind === 'movsx') {
    const s = regs[ins.src];
    needInit(s, ins.src);
    if (isPointer(s)) reject('pointer-arith', `sign extension of a pointer (r${ins.src}) is not allowed`, [ins.src]);
    regs[nd] = scalarReg(scalarSext(s.v, f.bits, f.is64));
    return;
  }
  const ns = f.useReg ? ins.src : -1;
  const s = f.useReg ? regs[ins.src] : immReg(env, pc, ins.imm, !f.is64);
  if (f.useReg) needInit(s, ns);
  if (f.op === 'mov') {
    regs[nd] = mov(env, f, f.useReg ? linkCopy(env, regs, ns, f.is64) : s, ns);
    return;
  }
  needInit(d, nd);
  if (f.op === 'neg') {
    if (isPointer(d) && !env.privileged) reject('pointer-arith', `negation of a pointer (r${nd}) is allowed in privileged mode only`, [nd]);
    regs[nd] = scalarReg(scalarAlu('neg', d.v, d.v, f.is64));
    return;
  }
  if (isPointer(d) || isPointer(s)) {
    regs[nd] = pointerOp(env, f, d, s, nd, ns);
    return;
  }
  regs[nd] = scalarOp(f, d, s, f.is64);
}
