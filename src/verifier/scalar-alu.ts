/**
 * ALU transfer functions on scalars: what an operation does to the tnum and the bounds, in 64-bit or 32-bit width
 * (32-bit results are zero-extended, as the ISA defines). Both operands known means an exact result computed with the
 * ISA's rules (x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN), so constant folding matches the interpreter.
 */
import type { AluOp } from '../isa/index.js';
import { S32MAX, S32MIN, S64MAX, S64MIN, clone, known, sync, unknown, type Scalar } from './scalar.js';
import { TUNKNOWN, U32, U64, tadd, tand, tarsh, tbswap, tcast, tlsh, tmul, tor, trange, trsh, tsub, txor, type Tnum } from './tnum.js';

/** View is one width of a scalar: its tnum and bounds as `bits`-bit numbers. */
interface View {
  t: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

type Width = 32 | 64;

/** The limits of each width, made once: every non-constant ALU operation reads them. */
const LIM64 = { um: U64, smin: S64MIN, smax: S64MAX };
const LIM32 = { um: U32, smin: S32MIN, smax: S32MAX };
const lim = (w: Width) => (w === 64 ? LIM64 : LIM32);

/** view is a scalar's view in width `w`: the scalar itself in 64 bits (views are read, never written: see viewOp). */
const view = (s: Scalar, w: Width): View =>
  w === 64 ? s : { t: tcast(s.t, 4), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max };

function fromView(v: View, w: Width): Scalar {
  if (w === 64) return sync({ t: v.t, umin: v.umin, umax: v.umax, smin: v.smin, smax: v.smax, u32min: 0n, u32max: U32, s32min: S32MIN, s32max: S32MAX });
  return sync({ t: tcast(v.t, 4), umin: v.umin, umax: v.umax, smin: v.umin, smax: v.umax, u32min: v.umin, u32max: v.umax, s32min: v.smin, s32max: v.smax });
}

const full = (w: Width, t: Tnum = TUNKNOWN): View => {
  const l = lim(w);
  return { t: tcast(t, w / 8), umin: 0n, umax: l.um, smin: l.smin, smax: l.smax };
};

const isK = (v: View): boolean => v.t.mask === 0n;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** exact computes `a op b` on known values with the ISA's semantics, in width w (unsigned result). */
export function exact(op: AluOp, a: bigint, b: bigint, w: Width): bigint {
  const m = w === 64 ? U64 : U32;
  // Signed views and the shift amount are made only by the operations that use them: this runs for every constant op.
  const sh = w === 64 ? 63n : 31n;
  switch (op) {
    case 'add': return (a + b) & m;
    case 'sub': return (a - b) & m;
    case 'mul': return (a * b) & m;
    case 'div': return b === 0n ? 0n : a / b;
    case 'mod': return b === 0n ? a : a % b;
    case 'sdiv': {
      if (b === 0n) return 0n;
      const sa = BigInt.asIntN(w, a);
      const sb = BigInt.asIntN(w, b);
      return BigInt.asUintN(w, sb === -1n ? -sa : sa / sb);
    }
    case 'smod': {
      if (b === 0n) return a;
      const sa = BigInt.asIntN(w, a);
      const sb = BigInt.asIntN(w, b);
      return BigInt.asUintN(w, sb === -1n ? 0n : sa % sb);
    }
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'lsh': return (a << (b & sh)) & m;
    case 'rsh': return a >> (b & sh);
    case 'arsh': return BigInt.asUintN(w, BigInt.asIntN(w, a) >> (b & sh));
    case 'neg': return (-a) & m;
    case 'mov': return b;
  }
}

function addV(a: View, b: View, w: Width): View {
  const l = lim(w);
  const t = tcast(tadd(a.t, b.t), w / 8);
  let umin = a.umin + b.umin;
  let umax = a.umax + b.umax;
  if (umax > l.um) {
    // Both sums wrap (shift both down) or only the upper one does (any value).
    if (umin > l.um) {
      umin = umin - l.um - 1n;
      umax = umax - l.um - 1n;
    } else {
      umin = 0n;
      umax = l.um;
    }
  }
  let smin = a.smin + b.smin;
  let smax = a.smax + b.smax;
  if (smin < l.smin || smax > l.smax) {
    smin = l.smin;
    smax = l.smax;
  }
  return { t, umin, umax, smin, smax };
}

function subV(a: View, b: View, w: Width): View {
  const l = lim(w);
  const t = tcast(tsub(a.t, b.t), w / 8);
  let umin = a.umin - b.umax;
  let umax = a.umax - b.umin;
  if (umin < 0n) {
    if (umax < 0n) {
      umin = umin + l.um + 1n;
      umax = umax + l.um + 1n;
    } else {
      umin = 0n;
      umax = l.um;
    }
  }
  let smin = a.smin - b.smax;
  let smax = a.smax - b.smin;
  if (smin < l.smin || smax > l.smax) {
    smin = l.smin;
    smax = l.smax;
  }
  return { t, umin, umax, smin, smax };
}

function mulV(a: View, b: View, w: Width): View {
  const l = lim(w);
  const out = full(w, tmul(a.t, b.t));
  if (a.umax * b.umax <= l.um) {
    out.umin = a.umin * b.umin;
    out.umax = a.umax * b.umax;
  }
  const p1 = a.smin * b.smin;
  const p2 = a.smin * b.smax;
  const p3 = a.smax * b.smin;
  const p4 = a.smax * b.smax;
  const pmin = min(min(min(p1, p2), p3), p4);
  const pmax = max(max(max(p1, p2), p3), p4);
  if (pmin >= l.smin && pmax <= l.smax) {
    out.smin = pmin;
    out.smax = pmax;
  }
  return out;
}

function shiftV(op: 'lsh' | 'rsh' | 'arsh', a: View, b: View, w: Width): View {
  if (!isK(b)) return full(w);
  const k = Number(b.t.value & BigInt(w - 1));
  const l = lim(w);
  const bk = BigInt(k);
  if (op === 'lsh') {
    const out = full(w, tlsh(a.t, k));
    if (a.umax << bk <= l.um) {
      out.umin = a.umin << bk;
      out.umax = a.umax << bk;
    }
    return out;
  }
  if (op === 'rsh') {
    const out = full(w, trsh(tcast(a.t, w / 8), k));
    out.umin = a.umin >> bk;
    out.umax = a.umax >> bk;
    return out;
  }
  const out = full(w, tarsh(a.t, k, w));
  out.smin = a.smin >> bk;
  out.smax = a.smax >> bk;
  return out;
}

function divModV(op: 'div' | 'mod', a: View, b: View, w: Width): View {
  const out = full(w);
  if (op === 'div') {
    out.umax = b.umin > 0n ? a.umax / b.umin : a.umax;
    out.umin = b.umin > 0n && b.umax > 0n ? a.umin / b.umax : 0n;
  } else {
    // x % 0 = x, and x % b <= x: the result never exceeds the dividend, and stays below a divisor that is never 0.
    if (b.umin > 0n && a.umax < b.umin) return a;
    out.umax = b.umin > 0n && b.umax - 1n < a.umax ? b.umax - 1n : a.umax;
  }
  out.t = trange(out.umin, out.umax);
  return out;
}

/** viewOp computes `a op b` on views: a new view, or one of the operands as it is (never changed in place). */
function viewOp(op: AluOp, a: View, b: View, w: Width): View {
  switch (op) {
    case 'add': return addV(a, b, w);
    case 'sub': return subV(a, b, w);
    case 'mul': return mulV(a, b, w);
    case 'div':
    case 'mod': return divModV(op, a, b, w);
    case 'and': {
      const t = tand(a.t, b.t);
      const out = full(w, t);
      out.umin = t.value;
      out.umax = a.umax < b.umax ? a.umax : b.umax;
      return out;
    }
    case 'or': {
      const t = tor(a.t, b.t);
      const out = full(w, t);
      out.umin = a.umin > b.umin ? a.umin : b.umin;
      out.umax = t.value | t.mask;
      return out;
    }
    case 'xor': {
      const t = txor(a.t, b.t);
      const out = full(w, t);
      out.umin = t.value;
      out.umax = t.value | t.mask;
      return out;
    }
    case 'lsh':
    case 'rsh':
    case 'arsh': return shiftV(op, a, b, w);
    case 'neg': return subV(view(known(0n), w), a, w);
    case 'mov': return b;
    default: return full(w);
  }
}

/** scalarAlu computes `a op b` in 64-bit (`is64`) or 32-bit width; `b` is ignored by neg. */
export function scalarAlu(op: AluOp, a: Scalar, b: Scalar, is64: boolean): Scalar {
  const w: Width = is64 ? 64 : 32;
  // Constants first, without building views (the common case of straight-line code): a view's tnum in 32 bits is the
  // low half of the scalar's.
  const ka = is64 ? a.t.mask === 0n : (a.t.mask & U32) === 0n;
  const kb = is64 ? b.t.mask === 0n : (b.t.mask & U32) === 0n;
  if ((ka || op === 'mov') && kb) return known(exact(op, is64 ? a.t.value : a.t.value & U32, is64 ? b.t.value : b.t.value & U32, w));
  if (op === 'neg' && ka) return known(exact(op, is64 ? a.t.value : a.t.value & U32, 0n, w));
  return fromView(viewOp(op, view(a, w), view(b, w), w), w);
}

/** scalarEnd computes a byte-order conversion (`le` truncates, `be` and `swap` reverse the low `bits`). */
export function scalarEnd(s: Scalar, order: 'le' | 'be' | 'swap', bits: 16 | 32 | 64): Scalar {
  const t = tcast(s.t, bits / 8);
  const out = order === 'le' ? t : tbswap(t, bits / 8);
  const r = unknown();
  r.t = out;
  return sync(r);
}

/** scalarSext sign-extends the low `bits` of `s` to 64 bits, or to 32 bits zero-extended when `is64` is false. */
export function scalarSext(s: Scalar, bits: 8 | 16 | 32, is64: boolean): Scalar {
  const m = (1n << BigInt(bits)) - 1n;
  const sign = 1n << BigInt(bits - 1);
  let r: Scalar;
  if (s.umax < sign) r = clone(s);
  else {
    let value = s.t.value & m;
    let mask = s.t.mask & m;
    if (mask & sign) mask |= ~m & U64;
    else if (value & sign) value |= ~m & U64;
    r = unknown();
    r.t = { value, mask };
    sync(r);
  }
  if (is64) return r;
  return fromView(view(r, 32), 32);
}
