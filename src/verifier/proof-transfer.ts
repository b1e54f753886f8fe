/**
 * Pruning inside widened loops without breaking their termination proofs. Covering (prune.ts) compares values only,
 * but a cycle closed at a widened head (termination.ts) is proved with more: each value's relation to the head (its
 * tag) and the comparisons made since the head (`checks`). A concrete run that went through the widened head, reaches
 * a finished state's point along another path and goes on as that state's exploration did makes a cycle of its own
 * prefix and the other path's suffix, which nothing checked: a path that sets its counter back, pruned where another
 * path's counter was stepped, loops forever. carriesProof decides when the closings below the finished state hold for
 * the new path's cycle too.
 */
import { covers } from './prune.js';
import { sameTag, symAt } from './loops.js';
import { widthBounds } from './termination.js';
import type { CheckNode, Sym, VState } from './state.js';
import type { Env, LoopRecord } from './env.js';

/**
 * Closes maps the widened loops (ids) whose cycles paths below a state closed to the head slots their proofs used
 * (closeCycle): a stepped counter as its slot, a bound or a value related to an enclosing loop as `~slot`.
 */
export type Closes = Map<number, Set<number>>;

/**
 * carriesProof decides whether a path in state `cur` may be pruned against a finished state `old` below which paths
 * closed cycles of the loops in `closes`; `widenedAt(rec)` gives the latest widening of `rec`'s head on `cur`'s path
 * when that path went through `rec`'s widened head (undefined when it did not). It returns the loops `cur`'s path then
 * relies on (for its own checkpoints), or null when a proof does not carry over.
 *
 * A run that did not go through the widened head enters the loop: the closing's covering puts it in the widened state,
 * from which every cycle is proved. Otherwise the cycle is `cur`'s prefix and `old`'s suffix, and `old`'s closings
 * prove it when the values `old` relates to the head slots the proofs used have the same relation in `cur`, and every
 * bounding comparison `old` had made since the head `cur` has made too: each closing below `old` then sees, on `cur`'s
 * cycle, the same stepped counters, bounds and checks. A counter may also have come further in `cur` by whole steps
 * (alike). A tag is computed like a value, from the tags of the values read, so only live registers count: a register
 * dead here is written before it is read on every way on, and a proof counts a slot only after reading it since the
 * head (a stepped counter is computed from it, a bound compared), so a slot whose tag the suffix left as it was is live
 * here. Every frame counts (a callee may write its caller's stack).
 *
 * When `cur`'s path widened the head again after `rec`'s widening (a later widening of the same loop, whose tags
 * replaced `rec`'s), the cycle runs from that widened state instead: `old`'s closings carry over to it when it covers
 * `rec`'s widened state (so it covers the closing states), relates values to enclosing loops as `rec`'s does, steps
 * the counters alike, and takes on every closing `rec`'s proof counted (transfer).
 */
export function carriesProof(env: Env, old: VState, cur: VState, live: number, closes: Closes, widenedAt: (rec: LoopRecord) => number | undefined): Closes | null {
  let out: Closes | null = null;
  let moved: [LoopRecord, LoopRecord][] | null = null;
  for (const [loop, slots] of closes) {
    const rec = env.loops.get(loop)!;
    const now = widenedAt(rec);
    if (now === undefined) continue;
    const to = env.loops.get(now)!;
    if (to !== rec) {
      if (!transferable(env, rec, to, slots)) return null;
      (moved ??= []).push([rec, to]);
    }
    if (!sameTags(rec, to, old, cur, live, slots) || !checksHeld(old.checks, cur.checks, loop, now)) return null;
    (out ??= new Map()).set(now, slots);
  }
  if (moved && !moved.every(([rec, to]) => transfer(rec, to))) return null;
  return out ?? EMPTY;
}

const EMPTY: Closes = new Map();

const CALLEE_SAVED = (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9);

/** sameTags reports whether every value `old` relates to a used head slot of `rec` relates alike to `to`'s in `cur`. */
function sameTags(rec: LoopRecord, to: LoopRecord, old: VState, cur: VState, live: number, slots: Set<number>): boolean {
  const top = old.frames.length - 1;
  for (let fi = 0; fi <= top; fi++) {
    const of = old.frames[fi];
    const cf = cur.frames[fi];
    const mask = fi === top ? live : CALLEE_SAVED;
    for (let r = 0; r < 10; r++) {
      const o = of.regs[r];
      if (!(mask & (1 << r)) || !o.sym || (o === cf.regs[r] && rec === to)) continue;
      const s = symAt(o.sym, rec.id);
      if (s && !alike(rec, to, slots, s, symAt(cf.regs[r].sym, to.id))) return false;
    }
    for (let i = 0; i < of.stack.length; i++) {
      const o = of.stack[i]?.spill;
      if (!o?.sym || (o === cf.stack[i]?.spill && rec === to)) continue;
      const s = symAt(o.sym, rec.id);
      if (s && !alike(rec, to, slots, s, symAt(cf.stack[i]?.spill?.sym, to.id))) return false;
    }
  }
  return true;
}

/** sameLevel reports whether two tags say the same of their values, each relative to its own loop's head. */
const sameLevel = (o: Sym, c: Sym | undefined): boolean => !!c && o.slot === c.slot && o.k === c.k && o.w === c.w && sameTag(o.outer, c.outer);

/**
 * alike reports whether `cur`'s tag `c` (at `to`'s head) says of its value what `old`'s `o` (at `rec`'s) says, as far
 * as the proofs use it: exactly for a bound or a value related to an enclosing loop; for a stepped counter, `c` may
 * also be a whole number of steps further than `o` (a path that went around the head without closing the cycle there
 * and came back). Such a cycle moves the counter by a known multiple of its step, and the widened head's values are so
 * far from the end of the type that it cannot wrap (unsigned or signed): the counter's distance to its bound shrinks,
 * by more than on a cycle the closing checked.
 */
function alike(rec: LoopRecord, to: LoopRecord, slots: Set<number>, o: Sym, c: Sym | undefined): boolean {
  if (slots.has(~o.slot)) return sameLevel(o, c);
  if (!slots.has(o.slot) || sameLevel(o, c)) return true;
  const d = rec.ivs.get(o.slot);
  const head = to.values.get(o.slot);
  if (!c || d === undefined || !head || c.slot !== o.slot || c.w !== o.w || !sameTag(o.outer, c.outer)) return false;
  const more = BigInt.asIntN(o.w, c.k - o.k);
  const dw = BigInt.asIntN(o.w, d);
  if (dw === 0n || more === 0n || more > 0n !== dw > 0n || more % dw !== 0n) return false;
  const b = widthBounds(head, o.w);
  const total = more + dw;
  return total > 0n ? b.umax + total <= b.UMAX && b.smax + total <= b.SMAX : b.umin + total >= 0n && b.smin + total >= b.SMIN;
}

/** checksHeld reports whether every bounding comparison of loop `loop` in `old` is in `cur`, made for loop `now`. */
function checksHeld(old: CheckNode | null, cur: CheckNode | null, loop: number, now: number): boolean {
  for (let o = old; o; o = o.prev) {
    if (o.loop !== loop || !o.ok) continue;
    let held = false;
    for (let c = cur; c && !held; c = c.prev) {
      // A shared tail: `cur` holds this comparison and every earlier one.
      if (c === o && loop === now) return true;
      held = c.loop === now && c.ok && c.slot === o.slot && c.bound === o.bound;
    }
    if (!held) return false;
  }
  return true;
}

/** Verdicts of transferable per pair of loop records (the check looks at whole widened states). */
const pairs = new WeakMap<LoopRecord, Map<LoopRecord, boolean>>();

/**
 * transferable reports whether cycles closed at `rec`'s widened head are cycles of `to`'s, a later widening of the same
 * head: `to`'s state covers `rec`'s, relates values to enclosing loops as `rec`'s does, and steps the counters the
 * proofs used by the same steps.
 */
function transferable(env: Env, rec: LoopRecord, to: LoopRecord, slots: Set<number>): boolean {
  for (const s of slots) if (s >= 0 && to.ivs.get(s) !== rec.ivs.get(s)) return false;
  let m = pairs.get(rec);
  if (!m) pairs.set(rec, (m = new Map()));
  let ok = m.get(to);
  if (ok === undefined) {
    ok = rec.head === to.head && covers(to.state, rec.state, env.cfg.liveIn[rec.head]) && sameOuter(rec.state, to.state);
    m.set(to, ok);
  }
  return ok;
}

/** sameOuter reports whether every value `b` relates to an enclosing loop's head `a` relates alike (keepsOuter). */
function sameOuter(a: VState, b: VState): boolean {
  const fa = a.frames[a.frames.length - 1];
  const fb = b.frames[b.frames.length - 1];
  for (let r = 0; r < 10; r++) {
    const o = fb.regs[r].sym?.outer;
    if (o && !sameTag(o, fa.regs[r].sym?.outer)) return false;
  }
  for (let i = 0; i < fb.stack.length; i++) {
    const o = fb.stack[i]?.spill?.sym?.outer;
    if (o && !sameTag(o, fa.stack[i]?.spill?.sym?.outer)) return false;
  }
  return true;
}

/**
 * transfer counts `rec`'s closed cycles as `to`'s: its counters stepped on every one (an under-approximation of those
 * of each) narrow `to`'s, and each of its cycles' checked counters joins `to`'s; false, changing nothing, when `to`'s
 * proof would then have a cycle bounded by no counter every cycle steps.
 */
function transfer(rec: LoopRecord, to: LoopRecord): boolean {
  const stable = new Set([...to.stable].filter((s) => rec.stable.has(s)));
  const all = [...to.closures, ...rec.closures];
  if (!all.every((cl) => [...cl].some((s) => stable.has(s)))) return false;
  to.stable = stable;
  for (const cl of rec.closures) if (!to.closures.includes(cl)) to.closures.push(cl);
  return true;
}
