/**
 * The value of a scalar register: a tristate number plus unsigned and signed bounds, for the full 64 bits and for the
 * low 32 bits (what JMP32 and 32-bit ALU see), as the kernel's `bpf_reg_state` keeps them. `sync` makes the five
 * facts agree (the kernel's `reg_bounds_sync`), plus one refinement of our own: bounds are moved onto the nearest
 * values the tnum allows, so an aligned pointer stepped to a limit knows it stopped one stride before.
 */
import { TUNKNOWN, U32, U64, tcast, tconst, tformat, tin, tintersect, tmaxBelow, tminAbove, trange, tunion, type Tnum } from './tnum.js';

/** Scalar is an abstract 64-bit value. Unsigned bounds are in [0, 2^64), signed ones in [-2^63, 2^63). */
export interface Scalar {
  t: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: bigint;
  u32max: bigint;
  s32min: bigint;
  s32max: bigint;
}

/** S64MIN and friends are the signed limits. */
export const S64MIN = -(1n << 63n);
export const S64MAX = (1n << 63n) - 1n;
export const S32MIN = -(1n << 31n);
export const S32MAX = (1n << 31n) - 1n;

// Limits as constants: a BigInt expression is a new heap object each time it runs, and these run on every sync.
const BIT63 = 1n << 63n;
const LOW63 = BIT63 - 1n;
const BIT31 = 1n << 31n;
const LOW31 = BIT31 - 1n;
const HIGH32 = U64 & ~U32;

// The conversions between views return a value that is already in the target range as it is: most bounds are small
// non-negative numbers, and a first verification runs in V8's interpreter, where every BigInt operation is a call.
const s64 = (u: bigint): bigint => (u >= 0n && u <= LOW63 ? u : BigInt.asIntN(64, u));
const s32 = (u: bigint): bigint => (u >= 0n && u <= LOW31 ? u : BigInt.asIntN(32, u));
const u64 = (s: bigint): bigint => (s >= 0n && s <= U64 ? s : BigInt.asUintN(64, s));
const u32 = (s: bigint): bigint => (s >= 0n && s <= U32 ? s : BigInt.asUintN(32, s));
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** unknown is a scalar about which nothing is known. */
export function unknown(): Scalar {
  return { t: TUNKNOWN, umin: 0n, umax: U64, smin: S64MIN, smax: S64MAX, u32min: 0n, u32max: U32, s32min: S32MIN, s32max: S32MAX };
}

/** known is the scalar of one 64-bit value (given signed or unsigned). */
export function known(v: bigint): Scalar {
  // Below 2^31 (most constants) every view of the value is the value itself.
  if (v >= 0n && v <= LOW31) return { t: { value: v, mask: 0n }, umin: v, umax: v, smin: v, smax: v, u32min: v, u32max: v, s32min: v, s32max: v };
  const u = u64(v);
  const lo = u & U32;
  const su = s64(u);
  const slo = s32(lo);
  return { t: tconst(u), umin: u, umax: u, smin: su, smax: su, u32min: lo, u32max: lo, s32min: slo, s32max: slo };
}

/** urange is the scalar of every value in [lo, hi] (unsigned). */
export function urange(lo: bigint, hi: bigint): Scalar {
  const s = unknown();
  s.umin = lo;
  s.umax = hi;
  s.t = trange(lo, hi);
  return sync(s);
}

/** isConst reports whether the scalar holds one value. */
export const isConst = (s: Scalar): boolean => s.t.mask === 0n;

/** isValid reports whether some 64-bit value satisfies every fact (false: the path is infeasible). */
export function isValid(s: Scalar): boolean {
  return s.umin <= s.umax && s.smin <= s.smax && s.u32min <= s.u32max && s.s32min <= s.s32max;
}

function updateFromTnum(s: Scalar): void {
  const t = s.t;
  const tv = t.value;
  const tm = t.mask;
  if (tm === U64 && tv === 0n) {
    // Every bit unknown: the bounds the tnum gives are the types' limits (the same comparisons, no BigInt made).
    if (S64MIN > s.smin) s.smin = S64MIN;
    if (S64MAX < s.smax) s.smax = S64MAX;
    if (0n > s.umin) s.umin = 0n;
    if (U64 < s.umax) s.umax = U64;
    if (S32MIN > s.s32min) s.s32min = S32MIN;
    if (S32MAX < s.s32max) s.s32max = S32MAX;
    if (0n > s.u32min) s.u32min = 0n;
    if (U32 < s.u32max) s.u32max = U32;
    return;
  }
  const umax = tv | tm;
  if (tv >= 0n && umax >= 0n && umax <= LOW31) {
    // Every value below 2^31: each view's bounds are [tv, tv | tm] (the general case below gives the same).
    if (tv > s.smin) s.smin = tv;
    if (umax < s.smax) s.smax = umax;
    if (tv > s.umin) s.umin = tv;
    if (umax < s.umax) s.umax = umax;
    if (tv > s.s32min) s.s32min = tv;
    if (umax < s.s32max) s.s32max = umax;
    if (tv > s.u32min) s.u32min = tv;
    if (umax < s.u32max) s.u32max = umax;
    return;
  }
  const smin = s64(tv | (tm & BIT63));
  if (smin > s.smin) s.smin = smin;
  const smax = s64(tv | (tm & LOW63));
  if (smax < s.smax) s.smax = smax;
  if (tv > s.umin) s.umin = tv;
  if (umax < s.umax) s.umax = umax;
  const v = tv & U32;
  const m = tm & U32;
  const s32min = s32(v | (m & BIT31));
  if (s32min > s.s32min) s.s32min = s32min;
  const s32max = s32(v | (m & LOW31));
  if (s32max < s.s32max) s.s32max = s32max;
  if (v > s.u32min) s.u32min = v;
  const u32max = v | m;
  if (u32max < s.u32max) s.u32max = u32max;
}

/** sameHigh reports whether `a >> 32n === b >> 32n`, with one BigInt made instead of two. */
function sameHigh(a: bigint, b: bigint): boolean {
  if (a >= 0n && a <= U32 && b >= 0n && b <= U32) return true;
  const x = a ^ b;
  return x >= 0n && x <= U32;
}

function deduce32(s: Scalar): void {
  // From the 64-bit bounds when the upper halves agree.
  const umin = s.umin;
  const umax = s.umax;
  if (sameHigh(umin, umax)) {
    s.u32min = max(s.u32min, umin & U32);
    s.u32max = min(s.u32max, umax & U32);
    const lo = s32(umin);
    const hi = s32(umax);
    if (lo <= hi) {
      s.s32min = max(s.s32min, lo);
      s.s32max = min(s.s32max, hi);
    }
  }
  const smin = s.smin;
  const smax = s.smax;
  if (sameHigh(smin, smax)) {
    const ulo = u32(smin);
    const uhi = u32(smax);
    if (ulo <= uhi) {
      s.u32min = max(s.u32min, ulo);
      s.u32max = min(s.u32max, uhi);
    }
    const lo = s32(smin);
    const hi = s32(smax);
    if (lo <= hi) {
      s.s32min = max(s.s32min, lo);
      s.s32max = min(s.s32max, hi);
    }
  }
  const a = s32(s.u32min);
  const b = s32(s.u32max);
  if (a <= b) {
    s.s32min = max(s.s32min, a);
    s.s32max = min(s.s32max, b);
  }
  const c = u32(s.s32min);
  const d = u32(s.s32max);
  if (c <= d) {
    s.u32min = max(s.u32min, c);
    s.u32max = min(s.u32max, d);
  }
}

function deduce64(s: Scalar): void {
  // The low half first, so that the signed bounds below see what it tightened (a 32-bit comparison's `w2 < w1`).
  lowHalf(s);
  const a = s64(s.umin);
  const b = s64(s.umax);
  if (a <= b) {
    s.smin = max(s.smin, a);
    s.smax = min(s.smax, b);
  }
  const c = u64(s.smin);
  const d = u64(s.smax);
  if (c <= d) {
    s.umin = max(s.umin, c);
    s.umax = min(s.umax, d);
  }
  lowHalf(s);
}

/** lowHalf tightens the full value's unsigned bounds by the low half's when the upper half is fixed. */
function lowHalf(s: Scalar): void {
  if (s.umin >= 0n && s.umax <= U32 && s.umax >= 0n && s.umin <= U32) {
    // The upper half is 0: the low half's bounds are the full value's.
    s.umin = max(s.umin, s.u32min);
    s.umax = min(s.umax, s.u32max);
    return;
  }
  if (sameHigh(s.umin, s.umax)) {
    const hi = s.umin & HIGH32;
    s.umin = max(s.umin, hi | s.u32min);
    s.umax = min(s.umax, hi | s.u32max);
  }
}

/** withLow is `t` with its low 32 bits replaced by those of `low` (`low` itself when t's upper half is 0). */
const withLow = (t: Tnum, low: Tnum): Tnum =>
  t.value >= 0n && t.value <= U32 && t.mask >= 0n && t.mask <= U32 ? low : { value: (t.value & HIGH32) | low.value, mask: (t.mask & HIGH32) | low.mask };

/** fits reports whether `v` is one of the values `t` allows (any value when every bit is unknown). */
const fits = (t: Tnum, v: bigint): boolean => t.mask === U64 || v === t.value || ((v ^ t.value) & ~t.mask & U64) === 0n;

/** isTop reports whether a scalar allows every value (compared without making a BigInt). */
function isTop(s: Scalar): boolean {
  return s.t.mask === U64 && s.t.value === 0n && s.umin === 0n && s.umax === U64 && s.smin === S64MIN && s.smax === S64MAX &&
    s.u32min === 0n && s.u32max === U32 && s.s32min === S32MIN && s.s32max === S32MAX;
}

/** sync makes the tnum and the eight bounds agree (in place) and returns the scalar. */
export function sync(s: Scalar): Scalar {
  if (s.t.mask === 0n) {
    // A known value: every bound is that value (or the facts conflict, which isValid reports).
    const v = s.t.value;
    const lo = v & U32;
    const sv = s64(v);
    const slo = s32(lo);
    if (v < s.umin || v > s.umax || sv < s.smin || sv > s.smax || lo < s.u32min || lo > s.u32max || slo < s.s32min || slo > s.s32max) {
      s.umin = 1n;
      s.umax = 0n;
      return s;
    }
    if (v < 0n || v > U64) {
      // Not a masked tnum (tnum.ts never builds one): known() normalises the value.
      Object.assign(s, known(v));
      return s;
    }
    s.umin = s.umax = v;
    s.smin = s.smax = sv;
    s.u32min = s.u32max = lo;
    s.s32min = s.s32max = slo;
    return s;
  }
  // Nothing known (a quarter of the scalars a cold verification syncs): every step below would leave it as it is.
  if (isTop(s)) return s;
  const t0 = s.t;
  updateFromTnum(s);
  deduce32(s);
  deduce64(s);
  deduce32(s);
  if (!isValid(s)) return s;
  const t64 = trange(s.umin, s.umax);
  // With every bit unknown the intersection is t64 itself (trange's tnums are masked: value & mask = 0, below 2^64).
  s.t = s.t.mask === U64 && s.t.value === 0n ? t64 : tintersect(s.t, t64);
  // A value below 2^32 whose low half has the same bounds (the common case after deduce): the low half's range is
  // t64, which the tnum holds already (intersecting again would give it back).
  if (s.u32min !== s.umin || s.u32max !== s.umax || s.umax > U32) {
    const t32 = trange(s.u32min, s.u32max);
    if (t32.mask !== U32) s.t = tintersect(s.t, withLow(s.t, t32));
  }
  if (s.t.mask !== 0n) {
    const lo = fits(s.t, s.umin) ? s.umin : tminAbove(s.t, s.umin);
    const hi = fits(s.t, s.umax) ? s.umax : tmaxBelow(s.t, s.umax);
    if (lo < 0n || hi < 0n) {
      s.umin = 1n;
      s.umax = 0n;
      return s;
    }
    s.umin = lo;
    s.umax = hi;
  }
  // The bounds only tightened since the tnum was applied: applying it again matters only if it changed.
  if (s.t.value !== t0.value || s.t.mask !== t0.mask) updateFromTnum(s);
  return s;
}

/** clone copies a scalar (a literal with the fields in order: one object shape for every scalar). */
export const clone = (s: Scalar): Scalar => ({
  t: s.t, umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax, u32min: s.u32min, u32max: s.u32max, s32min: s.s32min, s32max: s.s32max,
});

/** equal reports whether two scalars carry the same facts. */
export function equal(a: Scalar, b: Scalar): boolean {
  if (a === b) return true;
  return a.t.value === b.t.value && a.t.mask === b.t.mask && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin &&
    a.smax === b.smax && a.u32min === b.u32min && a.u32max === b.u32max && a.s32min === b.s32min && a.s32max === b.s32max;
}

/** contains reports whether every value `b` allows is allowed by `a` (pruning: an explored `a` covers `b`). */
export function contains(a: Scalar, b: Scalar): boolean {
  if (a === b) return true;
  return a.umin <= b.umin && a.umax >= b.umax && a.smin <= b.smin && a.smax >= b.smax && a.u32min <= b.u32min &&
    a.u32max >= b.u32max && a.s32min <= b.s32min && a.s32max >= b.s32max && tin(a.t, b.t);
}

/** join is the tightest scalar allowing every value of `a` and of `b`. */
export function join(a: Scalar, b: Scalar): Scalar {
  return sync({
    t: tunion(a.t, b.t), umin: min(a.umin, b.umin), umax: max(a.umax, b.umax), smin: min(a.smin, b.smin), smax: max(a.smax, b.smax),
    u32min: min(a.u32min, b.u32min), u32max: max(a.u32max, b.u32max), s32min: min(a.s32min, b.s32min), s32max: max(a.s32max, b.s32max),
  });
}

/** Thresholds are sorted values that widening stops at before giving up a bound (widening with thresholds). */
export interface Thresholds {
  unsigned: bigint[];
  signed: bigint[];
}

const up = (xs: bigint[], v: bigint, top: bigint): bigint => xs.find((x) => x >= v) ?? top;
const down = (xs: bigint[], v: bigint, bottom: bigint): bigint => {
  for (let i = xs.length - 1; i >= 0; i--) if (xs[i] <= v) return xs[i];
  return bottom;
};

/** widen joins `old` and `cur`, moving every bound that grew to the next threshold (or the type's limit). */
export function widen(old: Scalar, cur: Scalar, th: Thresholds): Scalar {
  const j = join(old, cur);
  const u32s = th.unsigned.filter((x) => x <= U32);
  const s32s = th.signed.filter((x) => x >= S32MIN && x <= S32MAX);
  // The join's tnum would pull grown bounds back to the values seen so far: keep only its known low bits (alignment).
  const grew = cur.umin < old.umin || cur.umax > old.umax || cur.smin < old.smin || cur.smax > old.smax;
  let t = j.t;
  if (grew && t.mask !== 0n) {
    const low = (t.mask & -t.mask) - 1n;
    t = { value: t.value & low, mask: U64 & ~low };
  }
  return sync({
    t,
    umin: cur.umin < old.umin ? down(th.unsigned, cur.umin, 0n) : j.umin,
    umax: cur.umax > old.umax ? up(th.unsigned, cur.umax, U64) : j.umax,
    smin: cur.smin < old.smin ? down(th.signed, cur.smin, S64MIN) : j.smin,
    smax: cur.smax > old.smax ? up(th.signed, cur.smax, S64MAX) : j.smax,
    u32min: cur.u32min < old.u32min ? down(u32s, cur.u32min, 0n) : j.u32min,
    u32max: cur.u32max > old.u32max ? up(u32s, cur.u32max, U32) : j.u32max,
    s32min: cur.s32min < old.s32min ? down(s32s, cur.s32min, S32MIN) : j.s32min,
    s32max: cur.s32max > old.s32max ? up(s32s, cur.s32max, S32MAX) : j.s32max,
  });
}

/** low32 is the scalar of the zero-extended low half of `s` (a 32-bit ALU result or a 32-bit mov). */
export function low32(s: Scalar): Scalar {
  return sync({
    t: tcast(s.t, 4), umin: s.u32min, umax: s.u32max, smin: s.u32min, smax: s.u32max,
    u32min: s.u32min, u32max: s.u32max, s32min: s.s32min, s32max: s.s32max,
  });
}

/** format prints a scalar compactly, the way the kernel's log does (`scalar(umax=255,var_off=(0x0; 0xff))`). */
export function format(s: Scalar): string {
  if (isConst(s)) return String(s64(s.t.value));
  const parts: string[] = [];
  if (s.smin !== S64MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64) parts.push(`umax=${s.umax}`);
  if (s.s32min !== S32MIN && s.s32min !== s.smin) parts.push(`smin32=${s.s32min}`);
  if (s.s32max !== S32MAX && s.s32max !== s.smax) parts.push(`smax32=${s.s32max}`);
  if (s.u32min !== 0n && s.u32min !== s.umin) parts.push(`umin32=${s.u32min}`);
  if (s.u32max !== U32 && s.u32max !== s.umax) parts.push(`umax32=${s.u32max}`);
  if (s.t.mask !== U64) parts.push(`var_off=${tformat(s.t)}`);
  return parts.join(',');
}
