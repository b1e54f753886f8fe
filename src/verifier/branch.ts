/**
 * Conditional jumps: each side gets a copy of the state refined by what the comparison proves there. Scalars narrow
 * (refine.ts) and so do their copies (registers sharing an id); a nullable pointer compared with 0 becomes NULL on
 * one side and valid on the other; a packet pointer compared with the packet end learns how many bytes are in bounds;
 * in raw programs a scalar compared with the input length learns its headroom. Sides that cannot happen are dropped.
 */
import type { Form, Insn } from '../isa/index.js';
import { known, urange, type Scalar } from './scalar.js';
import { MAX_INPUT, MAX_PACKET_OFF } from './check-mem.js';
import { scalarAlu } from './scalar-alu.js';
import { cloneState, cur, isPointer, ownStack, regWith, scalarReg, type Reg, type VState } from './state.js';
import { NEGATE, SWAP, condOf, refineScalars, type Cond } from './refine.js';
import { reject } from './reject.js';
import { isInduction } from './loops.js';
import { noteLoopCheck } from './termination.js';
import { immReg, type Env } from './env.js';
import { U32 } from './tnum.js';

type JForm = Extract<Form, { kind: 'jcond' }>;

/** Operand is one side of a comparison: a register (n >= 0) or the immediate (n = -1). */
interface Operand {
  n: number;
  r: Reg;
}

/** forEachReg visits every register and spilled register of every frame, letting `fn` replace it. */
export function forEachReg(st: VState, fn: (r: Reg) => Reg): void {
  for (let fi = 0; fi < st.frames.length; fi++) {
    const f = st.frames[fi];
    for (let i = 0; i < 11; i++) f.regs[i] = fn(f.regs[i]);
    const stack = f.stack;
    for (let i = 0; i < stack.length; i++) {
      const slot = stack[i];
      if (!slot?.spill) continue;
      const r = fn(slot.spill);
      if (r !== slot.spill) ownStack(f)[i] = { bytes: slot.bytes, spill: r };
    }
  }
}

function setOperand(st: VState, o: Operand, r: Reg): void {
  if (o.n < 0) return;
  const old = cur(st).regs[o.n];
  cur(st).regs[o.n] = r;
  if (old.kind === 'scalar' && old.id) forEachReg(st, (x) => (x.kind === 'scalar' && x.id === old.id ? regWith(x, { v: r.v, len: Math.max(x.len, r.len) }) : x));
}

const isZero = (r: Reg): boolean => r.kind === 'scalar' && r.v.t.mask === 0n && r.v.t.value === 0n;

/** nullCheck handles `ptr ==/!= 0`; returns false when it does not apply. */
function nullCheck(st: VState, p: Operand, c: Cond): boolean {
  const r = p.r;
  if (!r.nullable) return false;
  const isNull = c === 'eq';
  const id = r.id;
  forEachReg(st, (x) => {
    if (x.id !== id || !x.nullable) return x;
    return isNull ? scalarReg(known(0n)) : regWith(x, { nullable: false });
  });
  if (isNull && r.ref) {
    const k = st.refs.indexOf(r.ref);
    if (k >= 0) {
      st.refs.splice(k, 1);
      st.refPcs.splice(k, 1);
    }
  }
  return true;
}

/** pktRange applies `pkt c end` (after normalising pkt to the left) to the state where it holds. */
function pktRange(st: VState, p: Reg, c: Cond, limit: bigint): void {
  let range: number;
  if (c === 'le') range = p.off;
  else if (c === 'lt') range = p.off + 1;
  else return;
  // At or before the end: the offset is at most the largest packet (or input).
  const cap = limit - BigInt(p.off);
  if (p.v.umax > cap && cap >= p.v.umin) {
    const res = refineScalars(p.v, known(cap), 'le', 64);
    if (res) forEachReg(st, (x) => (x.kind === p.kind && x.id === p.id ? regWith(x, { v: res[0] }) : x));
  }
  if (p.off < 0 || range <= 0) return;
  forEachReg(st, (x) => (x.kind === p.kind && x.id === p.id && x.range < range ? regWith(x, { range }) : x));
}

/** inputAtLeast records that the raw input has at least `n` bytes: its start pointer reaches that far. */
function inputAtLeast(env: Env, st: VState, n: bigint): void {
  const range = Number(n > MAX_INPUT ? MAX_INPUT : n);
  forEachReg(st, (x) => (x.kind === 'packet' && x.id === env.inputId && x.range < range ? regWith(x, { range }) : x));
}

/** lenHeadroom applies `x c len` where `len` carries an input-length headroom (raw programs). */
function lenHeadroom(x: Reg, len: Reg, c: Cond): number {
  if (len.len < 0) return -1;
  if (c === 'lt') return len.len + 1;
  if (c === 'le') return len.len;
  return -1;
}

const packetLimit = (env: Env): bigint => (env.prog.raw ? MAX_INPUT : BigInt(MAX_PACKET_OFF));

const total = (r: Reg): Scalar => scalarAlu('add', known(BigInt(r.off)), r.v, true);

function samePointee(a: Reg, b: Reg): boolean {
  // Packet pointers all count from the packet start; their ids only group equal variable offsets.
  // Two BTF pointers are two kernel objects, whatever their types: comparing them says nothing about offsets.
  return a.kind === b.kind && a.kind !== 'btf_ptr' && a.map === b.map && a.frame === b.frame && !a.nullable && !b.nullable;
}

/** refined is `r` with the value `v` and at least the headroom `len` (`r` itself when neither changes). */
const refined = (r: Reg, v: Scalar, len: number): Reg => (v === r.v && len <= r.len ? r : regWith(r, { v, len: Math.max(r.len, len) }));

/** side refines a copy of `st` for the side of the jump where `a c b` holds; null when that side is impossible. */
function side(env: Env, st: VState, a: Operand, b: Operand, c: Cond, w: 32 | 64, own = false): VState | null {
  const ra = a.r;
  const rb = b.r;
  if (ra.kind === 'scalar' && rb.kind === 'scalar') {
    const res = refineScalars(ra.v, rb.v, c, w);
    if (!res) return null;
    const s = own ? st : cloneState(st);
    const va = res[0];
    const vb = res[1];
    const ha = w === 64 || va.umax <= U32 ? lenHeadroom(ra, rb, c) : -1;
    const hb = w === 64 || vb.umax <= U32 ? lenHeadroom(rb, ra, SWAP[c]) : -1;
    setOperand(s, a, refined(ra, va, ha));
    if (b.n >= 0) setOperand(s, b, refined(rb, vb, hb));
    if (env.prog.raw) {
      if (ra.len === 0) inputAtLeast(env, s, va.umin);
      if (rb.len === 0) inputAtLeast(env, s, vb.umin);
    }
    noteLoopCheck(env, s, ra, rb, c, w, va, vb);
    return s;
  }
  const s = own ? st : cloneState(st);
  if (isPointer(ra) && isZero(rb) && (c === 'eq' || c === 'ne') && w === 64) {
    if (nullCheck(s, a, c)) return s;
    // A pointer that cannot be NULL is never equal to 0.
    return c === 'eq' ? null : s;
  }
  if (isPointer(rb) && isZero(ra) && (c === 'eq' || c === 'ne') && w === 64) return side(env, st, b, a, SWAP[c], w, own);
  if (ra.kind === 'packet' && rb.kind === 'packet_end') {
    pktRange(s, ra, c, packetLimit(env));
    noteLoopCheck(env, s, ra, rb, c, w, total(ra), urange(0n, packetLimit(env)));
  } else if (ra.kind === 'packet_end' && rb.kind === 'packet') {
    pktRange(s, rb, SWAP[c], packetLimit(env));
    noteLoopCheck(env, s, ra, rb, c, w, urange(0n, packetLimit(env)), total(rb));
  }
  else if (ra.kind === 'packet_meta' && rb.kind === 'packet' && rb.off === 0 && rb.v.t.mask === 0n) pktRange(s, ra, c, packetLimit(env));
  else if (isPointer(ra) && isPointer(rb) && samePointee(ra, rb) && w === 64) {
    // Two pointers into one region compare by offset: narrow their variable parts like scalars.
    const res = refineScalars(total(ra), total(rb), c, 64);
    if (!res) return null;
    setOperand(s, a, regWith(ra, { v: scalarAlu('sub', res[0], known(BigInt(ra.off)), true) }));
    setOperand(s, b, regWith(rb, { v: scalarAlu('sub', res[1], known(BigInt(rb.off)), true) }));
    noteLoopCheck(env, s, ra, rb, c, w, res[0], res[1]);
  }
  return s;
}

/** Sides are the states after a conditional jump: fall-through and taken (null for an impossible side). */
export interface Sides {
  fall: VState | null;
  taken: VState | null;
}

/** doBranch evaluates a conditional jump: returns the fall-through and taken states (null for an impossible side). */
export function doBranch(env: Env, st: VState, f: JForm, ins: Insn, pc: number): Sides {
  const regs = cur(st).regs;
  const a: Operand = { n: ins.dst, r: regs[ins.dst] };
  const b: Operand = f.useReg ? { n: ins.src, r: regs[ins.src] } : { n: -1, r: immReg(env, pc, ins.imm, f.is32) };
  if (a.r.kind === 'not_init') reject('uninit-reg', `r${a.n} is compared before it is initialised`, [a.n]);
  if (b.r.kind === 'not_init') reject('uninit-reg', `r${b.n} is compared before it is initialised`, [b.n]);
  const w = f.is32 ? 32 : 64;
  const ptrs = isPointer(a.r) || isPointer(b.r);
  if (ptrs) {
    const nullTest = (isZero(a.r) || isZero(b.r)) && (f.cond === 'jeq' || f.cond === 'jne');
    const pkt = ['packet', 'packet_end', 'packet_meta'];
    const pktTest = pkt.includes(a.r.kind) && pkt.includes(b.r.kind);
    if (f.is32) {
      // Equality of the low halves of two packet pointers depends on their distance only, not on the address; any
      // 32-bit comparison of pointers needs privileged mode (the kernel's allow_ptr_leaks). Neither side learns anything.
      const eq = (f.cond === 'jeq' || f.cond === 'jne') && pktTest;
      if (!eq && !env.privileged) reject('pointer-compare', `32-bit comparison of a pointer (r${isPointer(a.r) ? a.n : b.n}) is allowed in privileged mode only, except equality of two packet pointers`, [a.n, b.n].filter((n) => n >= 0));
      return { fall: cloneState(st), taken: cloneState(st) };
    }
    if (!nullTest && !pktTest && !env.privileged) {
      reject('pointer-compare', `comparing a pointer (r${isPointer(a.r) ? a.n : b.n}) is allowed in privileged mode only, except with 0 or the packet end`, [a.n, b.n].filter((n) => n >= 0));
    }
    if (!nullTest && (isPointer(a.r) !== isPointer(b.r))) {
      // A pointer against a non-zero scalar: nothing is learnt on either side.
      return { fall: cloneState(st), taken: cloneState(st) };
    }
  }
  const c = condOf(f.cond);
  if (!f.useReg) {
    // The constant and its neighbours: `i < N` keeps i at N - 1 on the loop's side, `i <= N` lets it reach N + 1.
    // Once per jump: they are in the set from its first visit on.
    if (!env.thresholdsFrom[pc]) {
      env.thresholdsFrom[pc] = 1;
      const k = BigInt.asUintN(64, BigInt.asIntN(w, b.r.v.t.value));
      env.thresholds.add(k);
      env.thresholds.add(BigInt.asUintN(64, k + 1n));
      env.thresholds.add(BigInt.asUintN(64, k - 1n));
    }
  } else {
    // A bound held in a register (`n < limit` with limit in [20000, 20001]) stops widening at its largest value,
    // as a constant does: a counter compared with it is widened to the bound rather than to the type's limit.
    // An induction variable of a widened loop is not a bound: its maximum moves with every widening.
    registerBound(env, a.r, w);
    registerBound(env, b.r, w);
  }
  const taken = side(env, st, a, b, c, w);
  // The fall-through side takes the path's own state (a is read before anything is refined in it).
  const fall = side(env, st, a, b, NEGATE[c], w, true);
  return { fall, taken };
}

/** registerBound adds the bound a compared register holds, unless it is a constant or a widened loop's counter. */
function registerBound(env: Env, r: Reg, w: 32 | 64): void {
  if (r.kind !== 'scalar' || r.v.t.mask === 0n || isInduction(env, r)) return;
  addBound(env, w === 64 ? r.v.umax : r.v.u32max);
}

/** addBound adds a register bound's largest value and its neighbours to the widening thresholds (not the type's limits). */
function addBound(env: Env, max: bigint): void {
  if (max >= U32 || max === 0n) return;
  env.thresholds.add(max - 1n);
  env.thresholds.add(max);
  env.thresholds.add(max + 1n);
}
