/**
 * The termination proof of widened loops (loops.ts widens them): comparisons that bound an induction variable are
 * recorded on the path (noteLoopCheck), and a path that comes back to a widened head closes the cycle there only when
 * a variable came back stepped by exactly its step and such a comparison held on the way (closeCycle).
 */
import { S32MAX, S32MIN, S64MAX, S64MIN, type Scalar } from './scalar.js';
import { type Reg, type VState } from './state.js';
import { SWAP, type Cond } from './refine.js';
import { U32, U64 } from './tnum.js';
import { type Env, type LoopRecord } from './env.js';
import { STACK_TAG, Unproved, sameTag, slotsOf, stepMatches, symAt } from './loops.js';

/**
 * closeCycle decides whether the path that came back to a widened head (its state covered by the widened one) may end
 * there: the head slots the proof used when it holds for it (the stepped counters, and as `~slot` the bounds and the
 * values related to enclosing loops, which must keep their exact relation), null when no induction variable
 * came back stepped (the path went around an enclosing loop; it continues). Throws when the loop cannot be proved to
 * end.
 */
export function closeCycle(rec: LoopRecord, st: VState, wide: VState): Set<number> | null {
  if (!keepsOuter(wide, st)) return null;
  const stepped = new Set<number>();
  const tags = new Map(slotsOf(st).map((x) => [x.slot, symAt(x.reg.sym, rec.id)]));
  for (const [slot, d] of rec.ivs) {
    // The slot's own head value stepped: another slot's head value plus the same step (`r6 = r7 + 1`) is no progress
    // of this counter.
    const sym = tags.get(slot);
    if (sym && sym.slot === slot && stepMatches(sym.k, d, sym.w)) stepped.add(slot);
  }
  if (stepped.size === 0) return null;
  const checked = new Set<number>();
  const used = new Set(stepped);
  for (let c = st.checks; c; c = c.prev) {
    if (c.loop !== rec.id || !c.ok || !stepped.has(c.slot)) continue;
    if (c.bound >= 0) {
      // The bound slot holds its own head value again (not another slot's: the bound would move with it).
      const b = tags.get(c.bound);
      if (b?.loop !== rec.id || b.slot !== c.bound || b.k !== 0n) continue;
      used.add(~c.bound);
    }
    checked.add(c.slot);
  }
  if (checked.size === 0) {
    const names = [...stepped].map(slotName).join(', ');
    throw new Unproved(rec.head, `loop at pc ${rec.head} may never end: ${names} ${stepped.size > 1 ? 'step' : 'steps'} by a constant each iteration but no comparison on this path bounds ${stepped.size > 1 ? 'them' : 'it'} before coming back`);
  }
  for (const s of [...rec.stable]) if (!stepped.has(s)) rec.stable.delete(s);
  rec.closures.push(checked);
  for (const cl of rec.closures) {
    if (![...cl].some((s) => rec.stable.has(s))) {
      throw new Unproved(rec.head, `loop at pc ${rec.head}: its paths are bounded by different counters (${[...cl].map(slotName).join(', ')}), so no single counter proves it ends`);
    }
  }
  // keepsOuter held for the slots the widened state relates to enclosing loops: their values count too.
  for (const { slot, reg } of slotsOf(wide)) if (reg.sym?.outer) used.add(~slot);
  return used;
}

/**
 * keepsOuter reports whether a state coming back to a widened head keeps what the widened state says of its values
 * relative to enclosing loops (tryWiden's `outer`): a path that changed such a value may not close the cycle there,
 * or the enclosing loop's proof would count on a relation that no longer holds.
 */
function keepsOuter(wide: VState, st: VState): boolean {
  const now = new Map(slotsOf(st).map((x) => [x.slot, x.reg.sym]));
  for (const { slot, reg } of slotsOf(wide)) {
    const o = reg.sym?.outer;
    if (o && !sameTag(o, symAt(now.get(slot), o.loop))) return false;
  }
  return true;
}

/** slotName names a tag slot: a register or a stack slot. */
export function slotName(slot: number): string {
  if (slot < STACK_TAG) return `r${slot}`;
  const i = (slot - STACK_TAG) % 64;
  return `fp${-8 * (i + 1)}`;
}

/** widthBounds is a scalar's bounds in width `w` (the 64-bit or the low 32-bit view) with that width's limits. */
export function widthBounds(s: Scalar, w: 32 | 64) {
  return w === 64
    ? { umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax, UMAX: U64, SMIN: S64MIN, SMAX: S64MAX, t: s.t }
    : { umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max, UMAX: U32, SMIN: S32MIN, SMAX: S32MAX, t: s.t };
}

const trailingZeros = (d: bigint): bigint => {
  let n = 0n;
  while (d !== 0n && (d & 1n) === 0n) {
    d >>= 1n;
    n++;
  }
  return n;
};

/** MAX_TRIPS bounds the iterations a counter may need to reach a constant bound (what wrapping past 0 costs). */
const MAX_TRIPS = 1n << 32n;

/**
 * tooFar reports whether a counter stepping by `d` may be more than MAX_TRIPS steps from a constant bound it runs
 * towards: one that wrapped past the end of the type on the way (`r6 = 0; r6 -= 1; if r6 != 2`: 2^64 - 3 iterations).
 * A bound that is not a constant (the input's length, a value read) is left alone: its range is what the loop takes.
 */
function tooFar(c: Cond, d: bigint, v: ReturnType<typeof widthBounds>, b: ReturnType<typeof widthBounds>): boolean {
  const signed = c === 'slt' || c === 'sle' || c === 'sgt' || c === 'sge';
  if (signed ? b.smin !== b.smax : b.umin !== b.umax) return false;
  const far = signed ? (d > 0n ? b.smax - v.smin : v.smax - b.smin) : d > 0n ? b.umax - v.umin : v.umax - b.umin;
  return far > MAX_TRIPS * (d > 0n ? d : -d);
}

/** continues reports whether "iv c bound" can hold only finitely often while iv steps by d (width w). */
function continues(c: Cond, d: bigint, w: 32 | 64, iv: Scalar, bound: Scalar): boolean {
  const dw = BigInt.asIntN(w, d);
  if (dw === 0n) return false;
  const b = widthBounds(bound, w);
  if (c === 'eq') return true;
  if (tooFar(c, dw, widthBounds(iv, w), b)) return false;
  if (c === 'ne') {
    // Without wrapping past the end of the type: a counter that must wrap around to meet its bound (`w1 = 1; w1 += 1;
    // if w1 != 0`) ends only after 2^32 iterations, which no budget-free program may take.
    const v = widthBounds(iv, w);
    if (dw > 0n ? v.umax > b.umin : v.umin < b.umax) return false;
    if (dw & 1n) return true;
    const low = (1n << trailingZeros(dw)) - 1n;
    return (iv.t.mask & low) === 0n && (bound.t.mask & low) === 0n && (iv.t.value & low) === (bound.t.value & low);
  }
  if (dw > 0n) {
    if (c === 'lt') return b.umax + dw - 1n <= b.UMAX;
    if (c === 'le') return b.umax + dw <= b.UMAX;
    if (c === 'slt') return b.smax + dw - 1n <= b.SMAX;
    if (c === 'sle') return b.smax + dw <= b.SMAX;
    return false;
  }
  if (c === 'gt') return b.umin + dw + 1n >= 0n;
  if (c === 'ge') return b.umin + dw >= 0n;
  if (c === 'sgt') return b.smin + dw + 1n >= b.SMIN;
  if (c === 'sge') return b.smin + dw >= b.SMIN;
  return false;
}

/** noteLoopCheck records, on the side of a jump where `a c b` holds, whether it bounds an induction variable. */
export function noteLoopCheck(env: Env, st: VState, a: Reg, b: Reg, c: Cond, w: 32 | 64, va: Scalar, vb: Scalar): void {
  const loops = env.loops;
  if (loops.size === 0) return;
  for (const [iv, bound, cond, ivV, bV] of [[a, b, c, va, vb], [b, a, SWAP[c], vb, va]] as const) {
    // Each loop the value is tagged for (the innermost widened one, then the enclosing ones) may be bounded here.
    for (let sym = iv.sym; sym; sym = sym.outer) {
      const d = loops.get(sym.loop)?.ivs.get(sym.slot);
      if (d === undefined) continue;
      let boundSlot = -1;
      const b = symAt(bound.sym, sym.loop);
      if (b) boundSlot = b.slot;
      else if (bound.v.t.mask !== 0n) continue;
      let width = w;
      if (sym.w === 32 && w === 64) {
        if (!['lt', 'le', 'gt', 'ge', 'ne', 'eq'].includes(cond) || bV.umax > U32 || ivV.umax > U32) continue;
        width = 32;
      }
      const ok = continues(cond, d, width, ivV, bV);
      st.checks = { loop: sym.loop, slot: sym.slot, bound: boundSlot, ok, prev: st.checks };
    }
  }
}
