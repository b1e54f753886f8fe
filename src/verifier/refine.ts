/**
 * What a comparison teaches about its operands (the kernel's `reg_set_min_max`): on each side of a conditional jump
 * the two scalars are narrowed to the values that make the condition true there, in 64 or 32 bits. A side whose
 * narrowed values are empty cannot be taken, which is how constant conditions prune dead branches.
 */
import { clone, isValid, sync, type Scalar } from './scalar.js';
import { U32, U64, tintersect, type Tnum } from './tnum.js';

/** Cond is a comparison, unsigned unless prefixed with s; `nset` is the false side of jset. */
export type Cond = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set' | 'nset';

/** NEGATE gives the condition that holds on the other side of the jump. */
export const NEGATE: Record<Cond, Cond> = {
  eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt', sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: 'nset', nset: 'set',
};

/** SWAP gives the condition with its operands exchanged (a > b is b < a). */
export const SWAP: Record<Cond, Cond> = {
  eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set', nset: 'nset',
};

const CONDS: Record<string, Cond> = {
  jeq: 'eq', jne: 'ne', jgt: 'gt', jge: 'ge', jlt: 'lt', jle: 'le', jsgt: 'sgt', jsge: 'sge', jslt: 'slt', jsle: 'sle', jset: 'set',
};

/** condOf maps a jump form's condition name to a Cond. */
export const condOf = (c: string): Cond => CONDS[c] ?? (c.slice(1) as Cond);

interface Bounds {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  t: Tnum;
}

/** get is the low 32 bits' view of a scalar (the 64-bit view is the scalar itself). */
const get = (s: Scalar): Bounds => ({ umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max, t: { value: s.t.value & U32, mask: s.t.mask & U32 } });

/** put writes a 32-bit view back into a scalar. */
function put(s: Scalar, b: Bounds): void {
  s.u32min = b.umin;
  s.u32max = b.umax;
  s.s32min = b.smin;
  s.s32max = b.smax;
  s.t = { value: (s.t.value & HIGH32) | b.t.value, mask: (s.t.mask & HIGH32) | b.t.mask };
}

/** HIGH32 is the upper half's mask, made once (a BigInt expression allocates every time it runs). */
const HIGH32 = U64 & ~U32;

const mx = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const mn = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const isK = (b: Bounds): boolean => b.t.mask === 0n;

/** notEqual narrows `x` where it differs from a known `y` (one direction of `ne`); false when they are equal constants. */
function notEqual(x: Bounds, y: Bounds): boolean {
  if (!isK(y)) return true;
  const v = y.t.value;
  if (isK(x) && x.t.value === v) return false;
  if (x.umin === v) x.umin++;
  if (x.umax === v) x.umax--;
  return true;
}

function narrow(A: Bounds, B: Bounds, c: Cond): boolean {
  switch (c) {
    case 'eq': {
      if ((A.t.value ^ B.t.value) & ~A.t.mask & ~B.t.mask) return false;
      const t = tintersect(A.t, B.t);
      A.umin = B.umin = mx(A.umin, B.umin);
      A.umax = B.umax = mn(A.umax, B.umax);
      A.smin = B.smin = mx(A.smin, B.smin);
      A.smax = B.smax = mn(A.smax, B.smax);
      A.t = B.t = t;
      return true;
    }
    case 'ne':
      return notEqual(A, B) && notEqual(B, A);
    case 'gt':
      A.umin = mx(A.umin, B.umin + 1n);
      B.umax = mn(B.umax, A.umax - 1n);
      return true;
    case 'ge':
      A.umin = mx(A.umin, B.umin);
      B.umax = mn(B.umax, A.umax);
      return true;
    case 'lt':
      A.umax = mn(A.umax, B.umax - 1n);
      B.umin = mx(B.umin, A.umin + 1n);
      return true;
    case 'le':
      A.umax = mn(A.umax, B.umax);
      B.umin = mx(B.umin, A.umin);
      return true;
    case 'sgt':
      A.smin = mx(A.smin, B.smin + 1n);
      B.smax = mn(B.smax, A.smax - 1n);
      return true;
    case 'sge':
      A.smin = mx(A.smin, B.smin);
      B.smax = mn(B.smax, A.smax);
      return true;
    case 'slt':
      A.smax = mn(A.smax, B.smax - 1n);
      B.smin = mx(B.smin, A.smin + 1n);
      return true;
    case 'sle':
      A.smax = mn(A.smax, B.smax);
      B.smin = mx(B.smin, A.smin);
      return true;
    case 'set': {
      const possible = (A.t.value | A.t.mask) & (B.t.value | B.t.mask);
      if (possible === 0n) return false;
      if (isK(B) && (B.t.value & (B.t.value - 1n)) === 0n) A.t = { value: A.t.value | B.t.value, mask: A.t.mask & ~B.t.value };
      return true;
    }
    case 'nset':
      if (A.t.value & B.t.value) return false;
      if (isK(B)) A.t = { value: A.t.value & ~B.t.value, mask: A.t.mask & ~B.t.value };
      return true;
  }
}

/** holds evaluates `x c y` on two known values of width `w` (unsigned below 2^w). */
function holds(x: bigint, y: bigint, c: Cond, w: 32 | 64): boolean {
  switch (c) {
    case 'eq': return x === y;
    case 'ne': return x !== y;
    case 'gt': return x > y;
    case 'ge': return x >= y;
    case 'lt': return x < y;
    case 'le': return x <= y;
    case 'sgt': return BigInt.asIntN(w, x) > BigInt.asIntN(w, y);
    case 'sge': return BigInt.asIntN(w, x) >= BigInt.asIntN(w, y);
    case 'slt': return BigInt.asIntN(w, x) < BigInt.asIntN(w, y);
    case 'sle': return BigInt.asIntN(w, x) <= BigInt.asIntN(w, y);
    case 'set': return (x & y) !== 0n;
    case 'nset': return (x & y) === 0n;
  }
}

/** refineScalars narrows `a` and `b` to the values where `a c b` holds in width `w`; null when none do. */
export function refineScalars(a: Scalar, b: Scalar, c: Cond, w: 32 | 64): [Scalar, Scalar] | null {
  if (a.t.mask === 0n && b.t.mask === 0n) {
    // Two constants: the condition is decided and teaches nothing (the common case of unrolled code).
    const m = w === 64 ? U64 : U32;
    return holds(a.t.value & m, b.t.value & m, c, w) ? [a, b] : null;
  }
  const ra = clone(a);
  const rb = clone(b);
  if (w === 64) {
    // A scalar's 64-bit bounds are the fields narrow works on: narrow the copies themselves.
    if (!narrow(ra, rb, c)) return null;
  } else {
    const A = get(a);
    const B = get(b);
    if (!narrow(A, B, c)) return null;
    put(ra, A);
    put(rb, B);
  }
  sync(ra);
  sync(rb);
  if (!isValid(ra) || !isValid(rb)) return null;
  return [ra, rb];
}
