/**
 * Loops whose trip count exact exploration cannot afford. A loop head seen on one path often enough, with values
 * that step by a constant each iteration (induction variables), is widened: its state becomes a join of the last
 * two iterations with every grown bound moved to the next threshold (constants the program compares against) or to
 * the limit, so later iterations fall inside it and the path closes into a cycle.
 *
 * Closing a cycle needs a termination proof, since exploration no longer bounds the iterations. Each value in the
 * widened state is tagged "head value of slot s, plus k"; a cycle may close only when some induction variable came
 * back advanced by exactly its step, and a comparison on the way continued the loop only while that variable had
 * not crossed a bound that does not change (a constant, or a value the cycle brought back unchanged), in a direction
 * the step must eventually cross without wrapping past it. Every closed cycle of the loop must pass such a check of
 * the same variable, so the distance to the bound shrinks on every iteration: the loop ends. The proof is in
 * termination.ts; proof-transfer.ts keeps pruning inside widened loops from joining cycles the proof never saw.
 */
import { equal, join, known, widen as widenScalar, type Scalar, type Thresholds } from './scalar.js';
import { scalarAlu } from './scalar-alu.js';
import { INVALID, MISC, SPILL, cloneState, cur, isPointer, ownStack, regWith, scalarReg, type Frame, type Reg, type Slot, type SlotByte, type Sym, type VState, type CheckNode } from './state.js';
import { Reject } from './reject.js';
import { freshId, type Env, type LoopRecord } from './env.js';

export type { LoopRecord } from './env.js';

/**
 * Unproved says a widened loop's termination could not be proved; the verification starts again exploring that loop
 * exactly (the kernel's way), and reports `reason` only if exact exploration cannot finish either.
 */
export class Unproved extends Reject {
  constructor(readonly head: number, reason: string) {
    super('loop-termination', reason);
  }
}

/**
 * Imprecise says a path that went through the widened head of a loop broke a rule: the widening may have lost the
 * precision the rule needed (two counters stepping together become two unrelated ranges), so the verification starts
 * again exploring that loop exactly, as the kernel would. `broken` is the rule broken, reported if exact exploration
 * finds no other error but cannot finish either.
 */
export class Imprecise extends Unproved {
  constructor(head: number, readonly broken: Reject) {
    super(head, `${broken.reason} (after widening the loop at pc ${head})`);
  }
}

/** STACK_TAG is the first tag slot of spilled stack slots (11 + frame * 64 + slot); 0..9 are registers. */
export const STACK_TAG = 11;

/** slotsOf lists the taggable values of the running frame: registers r0..r9 and whole spilled slots. */
export function slotsOf(st: VState): { slot: number; reg: Reg; set: (r: Reg) => void }[] {
  const f = cur(st);
  const fi = st.frames.length - 1;
  const out: { slot: number; reg: Reg; set: (r: Reg) => void }[] = [];
  for (let r = 0; r < 10; r++) out.push({ slot: r, reg: f.regs[r], set: (x) => (f.regs[r] = x) });
  f.stack.forEach((s, i) => {
    if (!s?.spill) return;
    out.push({ slot: STACK_TAG + fi * 64 + i, reg: s.spill, set: (x) => (ownStack(f)[i] = { bytes: s.bytes, spill: x }) });
  });
  return out;
}

/** position gives a value's region key and its bounds (scalar value, or pointer offset), when they are bounded. */
function position(r: Reg | undefined): { key: string; lo: bigint; hi: bigint } | undefined {
  if (!r) return undefined;
  if (r.kind === 'scalar') return { key: 'scalar', lo: r.v.umin, hi: r.v.umax };
  if (!isPointer(r) || r.nullable || r.v.smin < -(1n << 40n) || r.v.smax > 1n << 40n) return undefined;
  return { key: `${r.kind}/${r.map}/${r.frame}`, lo: BigInt(r.off) + r.v.smin, hi: BigInt(r.off) + r.v.smax };
}

/** stepOf returns the constant by which a value moved between two visits (its whole range shifted), or 0n. */
function stepOf(a: ReturnType<typeof position>, b: ReturnType<typeof position>): bigint {
  if (!a || !b || a.key !== b.key) return 0n;
  const d = BigInt.asIntN(64, b.lo - a.lo);
  return BigInt.asIntN(64, b.hi - a.hi) === d && b.hi - b.lo < 1n << 32n ? d : 0n;
}

/** tagStep returns by how much `b` moved from `a` by their tags at `b`'s innermost widened head (0n when unrelated). */
function tagStep(a: Reg | undefined, b: Reg, slot: number): bigint {
  const s = b.sym;
  const t = symAt(a?.sym, s?.loop ?? -1);
  return s && t && s.slot === slot && t.slot === slot && s.w === 64 && t.w === 64 ? BigInt.asIntN(64, s.k - t.k) : 0n;
}

/**
 * enclosingChecks keeps the bounding comparisons of the loops enclosing the head `pc` (checks since their widened heads)
 * when `pc` is widened: each says something of an enclosing head's value (the counter, there, had not crossed its
 * bound), true for every run through the new widened head, since only this path enters it (another path entering it
 * is pruned against it only with these comparisons made too: proof-transfer.ts). The comparisons of `pc`'s own earlier
 * widenings and of loops the path left say nothing of the new head.
 */
function enclosingChecks(env: Env, checks: CheckNode | null, pc: number): CheckNode | null {
  const kept: CheckNode[] = [];
  for (let c = checks; c; c = c.prev) {
    const head = env.loops.get(c.loop)?.head;
    if (head !== undefined && head !== pc && env.cfg.bodies.get(head)?.[pc]) kept.push(c);
  }
  let out: CheckNode | null = null;
  for (let i = kept.length - 1; i >= 0; i--) out = { ...kept[i], prev: out };
  return out;
}

/** Sorted thresholds, kept while the set does not grow (it only grows, as comparisons are met). */
const sortedThresholds = new WeakMap<Set<bigint>, { size: number; th: Thresholds }>();

function thresholds(env: Env): Thresholds {
  const got = sortedThresholds.get(env.thresholds);
  if (got && got.size === env.thresholds.size) return got.th;
  const th = sortThresholds(env);
  sortedThresholds.set(env.thresholds, { size: env.thresholds.size, th });
  return th;
}

function sortThresholds(env: Env): Thresholds {
  const unsigned = [...env.thresholds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const signed = unsigned.map((x) => BigInt.asIntN(64, x)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { unsigned, signed };
}

const total = (r: Reg): Scalar => scalarAlu('add', known(BigInt(r.off)), r.v, true);

/** shiftSym moves an induction tag (and its enclosing loops' tags) by a constant added in width 64 or 32. */
export function shiftSym(sym: Sym | undefined, c: bigint, is64: boolean): Sym | undefined {
  if (!sym) return undefined;
  return { loop: sym.loop, slot: sym.slot, k: sym.k + c, w: is64 ? sym.w : 32, outer: shiftSym(sym.outer, c, is64), joined: sym.joined };
}

/** symAt returns a value's tag at the widened head of `loop` (its own, or an enclosing loop's), if it has one. */
export function symAt(sym: Sym | undefined, loop: number): Sym | undefined {
  for (let s = sym; s; s = s.outer) if (s.loop === loop) return s;
  return undefined;
}

/** isInduction reports whether a value is an induction variable of a widened loop (its own or an enclosing one). */
export function isInduction(env: Env, r: Reg): boolean {
  for (let s = r.sym; s; s = s.outer) if (env.loops.get(s.loop)?.ivs.has(s.slot)) return true;
  return false;
}

/** sameTag reports whether two tags say the same at every level (loop, slot, offset, width). */
export const sameTag = (a: Sym | undefined, b: Sym | undefined): boolean => {
  for (; a && b; a = a.outer, b = b.outer) if (a.loop !== b.loop || a.slot !== b.slot || a.k !== b.k || a.w !== b.w) return false;
  return a === b;
};

const sameSym = (o: Reg, c: Reg): boolean => o.sym !== undefined && sameTag(o.sym, c.sym);

/**
 * enclosing keeps the levels of a tag that belong to loops enclosing the head `pc` (other heads whose body holds
 * `pc`): at a new widening of `pc` they still say how the value relates to those loops' heads, while the levels of
 * `pc`'s own earlier widenings and of loops the path has left say nothing any more.
 */
function enclosing(env: Env, sym: Sym | undefined, pc: number): Sym | undefined {
  for (let s = sym; s; s = s.outer) {
    const head = env.loops.get(s.loop)?.head;
    if (head !== undefined && head !== pc && env.cfg.bodies.get(head)?.[pc]) return s;
  }
  return undefined;
}

/**
 * widenReg widens (with thresholds) or joins (`th` null) two values; a join keeps a loop tag both carry, or `c`'s when
 * `own` (the joined state continues only `c`'s runs, for which its tags hold).
 */
function widenReg(o: Reg, c: Reg, th: Thresholds | null, fresh: () => number, own = false): Reg {
  // States share the registers a path did not change, and paths often compute the same values: a join or a widening
  // of one value with itself is that value (a widening drops the loop tag, which tryWiden sets anew). A scalar keeps
  // its id only when both sides have it: the registers linked to it are then equal to it on both.
  if (o === c || (o.kind === c.kind && o.kind === 'scalar' && o.len === c.len && o.id === c.id && equal(o.v, c.v))) {
    if (th) return c.sym ? regWith(c, { sym: undefined }) : c;
    if (sameSym(o, c) || !c.sym) return c;
    return own ? regWith(c, { sym: joinedSym(c.sym) }) : regWith(c, { sym: undefined });
  }
  const r = widenRegValue(o, c, th, fresh);
  if (th || r.kind === 'not_init' || !c.sym) return r;
  return sameSym(o, c) ? regWith(r, { sym: c.sym }) : own ? regWith(r, { sym: joinedSym(c.sym) }) : r;
}

const joinedSym = (s: Sym): Sym => (s.joined ? s : { ...s, joined: true });

function widenRegValue(o: Reg, c: Reg, th: Thresholds | null, fresh: () => number): Reg {
  if (o.kind === 'not_init' || c.kind === 'not_init') return regWith(c, { kind: 'not_init', sym: undefined });
  if (o.kind !== c.kind) return isPointer(o) || isPointer(c) ? regWith(c, { kind: 'not_init', sym: undefined }) : c;
  const wv = (a: Scalar, b: Scalar): Scalar => (th ? widenScalar(a, b, th) : join(a, b));
  if (c.kind === 'scalar') return scalarReg(wv(o.v, c.v), o.len >= 0 && c.len >= 0 ? Math.min(o.len, c.len) : -1);
  if (o.map !== c.map || o.frame !== c.frame || o.fn !== c.fn || o.size !== c.size || o.nullable !== c.nullable || o.of !== c.of || o.btf !== c.btf) {
    return regWith(c, { kind: 'not_init', sym: undefined });
  }
  if (o.off === c.off) return regWith(c, { v: wv(o.v, c.v), range: Math.min(o.range, c.range), sym: undefined });
  // The same region split differently between fixed and variable offset: the variable part becomes the whole offset,
  // so the pointer no longer shares its variable part with the others of its id and gets an id of its own. Packet
  // bytes proved beyond each side's pointer stay proved beyond the joined one.
  const left = (r: Reg): number => (r.range > r.off ? r.range - r.off : 0);
  const range = o.kind === 'packet' || o.kind === 'packet_meta' ? Math.min(left(o), left(c)) : 0;
  return regWith(c, { off: 0, v: wv(total(o), total(c)), range, id: c.id ? fresh() : 0, sym: undefined });
}

/** sameLayout reports whether two slots have the same byte types (spills over the same bytes). */
export function sameLayout(a: Slot, b: Slot): boolean {
  for (let k = 0; k < a.bytes.length; k++) if (a.bytes[k] !== b.bytes[k]) return false;
  return true;
}

/**
 * widenSlot widens (or joins) two stack slots; `c` itself when that changes nothing (its spill kept as it is). Plain
 * loops: joins run on a first verification, in V8's interpreter, where a callback per byte costs more than the work.
 */
function widenSlot(o: Slot | undefined, c: Slot | undefined, th: Thresholds | null, fresh: () => number, own = false): Slot | undefined {
  if (!o || !c) return undefined;
  if (o.spill && c.spill && sameLayout(o, c)) {
    const r = widenReg(o.spill, c.spill, th, fresh, own);
    if (r === c.spill) return c; // c's bytes are o's (same layout)
    if (r.kind !== 'not_init') return { bytes: o.bytes, spill: r };
    const misc: SlotByte[] = [];
    for (let k = 0; k < o.bytes.length; k++) misc.push(o.bytes[k] === SPILL ? MISC : o.bytes[k]);
    return { bytes: misc, spill: undefined };
  }
  const bytes: SlotByte[] = [];
  let any = false;
  for (let k = 0; k < o.bytes.length; k++) {
    const b = o.bytes[k];
    const x = b === INVALID || c.bytes[k] === INVALID ? INVALID : b === c.bytes[k] && b !== SPILL ? b : MISC;
    if (x !== INVALID) any = true;
    bytes.push(x);
  }
  return any ? { bytes, spill: undefined } : undefined;
}

function widenFrame(o: Frame, c: Frame, th: Thresholds | null, fresh: () => number, own = false): void {
  for (let r = 0; r < 10; r++) c.regs[r] = widenReg(o.regs[r], c.regs[r], th, fresh, own);
  for (let i = 0; i < Math.max(c.stack.length, o.stack.length); i++) {
    if (o.stack[i] === c.stack[i]) continue;
    const w = widenSlot(o.stack[i], c.stack[i], th, fresh, own);
    // An unchanged slot leaves the stack array shared (ownStack copies it).
    if (w !== c.stack[i]) ownStack(c)[i] = w;
  }
}

function compatible(o: Reg, c: Reg, constants: boolean): boolean {
  if (o.kind !== c.kind) return false;
  // Two different constants stay apart unless asked: exact values are what bounded loops and flags are explored by.
  if (o.kind === 'scalar') return constants || !(o.v.t.mask === 0n && c.v.t.mask === 0n && o.v.t.value !== c.v.t.value);
  if (o.kind === 'not_init') return true;
  return o.map === c.map && o.frame === c.frame && o.fn === c.fn && o.size === c.size && o.nullable === c.nullable && o.id === c.id && o.ref === c.ref && o.of === c.of && o.btf === c.btf;
}

/**
 * joinStates merges `cur` into an explored state `old` at an instruction many paths reach (values joined, no path
 * distinction kept), or returns undefined when they differ in more than values (kinds, nullness, references). It
 * bounds the paths of long chains of independent branches, which would otherwise double at each one. `own` when the
 * joined state continues `cur`'s runs only (`old`'s were explored): `cur`'s loop tags hold for them and are kept, as
 * its comparisons since the widened heads (`checks`) are; paths merged into one keep only the tags they share.
 */
export function joinStates(old: VState, cur: VState, constants: boolean, fresh: () => number, own = false): VState | undefined {
  if (!joinable(old, cur, constants)) return undefined;
  const w = cloneState(cur);
  for (let i = 0; i < w.frames.length; i++) widenFrame(old.frames[i], w.frames[i], null, fresh, own);
  return w;
}

/**
 * joinable reports whether two states differ in values only (joinStates). A function of its own: the check runs for
 * every candidate pair and becomes hot long before the join does, and V8 optimises it alone, cheaply.
 */
function joinable(old: VState, cur: VState, constants: boolean): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length || old.lock !== cur.lock) return false;
  for (let i = 0; i < old.refs.length; i++) if (old.refs[i] !== cur.refs[i]) return false;
  for (let fi = 0; fi < old.frames.length; fi++) {
    const of = old.frames[fi];
    const cf = cur.frames[fi];
    if (of.entry !== cf.entry || of.callsite !== cf.callsite) return false;
    for (let r = 0; r < 11; r++) if (!compatible(of.regs[r], cf.regs[r], constants)) return false;
    const n = Math.min(of.stack.length, cf.stack.length);
    for (let i = 0; i < n; i++) {
      const a = of.stack[i]?.spill;
      const b = cf.stack[i]?.spill;
      if (a && b && !compatible(a, b, constants)) return false;
    }
  }
  return true;
}

/** WidenResult is a widened loop-head state with its record. */
export interface WidenResult {
  state: VState;
  record: LoopRecord;
}

/**
 * tryWiden widens the loop head `pc` given the states the current path had there (oldest first) and the new one;
 * undefined when no value steps by a constant (the loop is left to exact exploration and its complexity limit).
 */
export function tryWiden(env: Env, history: readonly { state: VState; loop?: LoopRecord }[], st: VState, pc: number, id: number): WidenResult | undefined {
  const a2 = history[history.length - 1];
  const a1 = history[history.length - 2];
  if (!a2 || a2.state.frames.length !== st.frames.length) return undefined;
  const ivs = new Map<number, bigint>();
  if (a2.loop) {
    for (const { slot, reg } of slotsOf(st)) {
      const d = a2.loop.ivs.get(slot);
      const sym = symAt(reg.sym, a2.loop.id);
      if (d !== undefined && sym?.slot === slot && !sym.joined && stepMatches(sym.k, d, sym.w)) ivs.set(slot, d);
    }
  } else {
    const early = !a1 || a1.state.frames.length !== st.frames.length;
    const before = new Map(early ? [] : slotsOf(a1.state).map((x) => [x.slot, x.reg]));
    const last = new Map(slotsOf(a2.state).map((x) => [x.slot, x.reg]));
    for (const { slot, reg } of slotsOf(st)) {
      const prev = last.get(slot);
      const at = position(prev);
      const d = stepOf(at, position(reg));
      if (d !== 0n && (early || stepOf(position(before.get(slot)), at) === d)) ivs.set(slot, d);
      else if (prev) {
        // Values a join grew step by their tags: the same slot's head value of an earlier widening, moved by d.
        const t = tagStep(prev, reg, slot);
        if (t !== 0n && (early || tagStep(before.get(slot), prev, slot) === t)) ivs.set(slot, t);
      }
    }
  }
  if (ivs.size === 0) return undefined;
  const th = thresholds(env);
  // A value both states relate alike to the head of an enclosing loop keeps that relation (the join of two values
  // equal to "head value + k" is still that): the enclosing loop's termination proof needs it after this one.
  const outer = new Map<number, Sym>();
  const before = new Map(slotsOf(a2.state).map((x) => [x.slot, enclosing(env, x.reg.sym, pc)]));
  for (const { slot, reg } of slotsOf(st)) {
    const o = enclosing(env, reg.sym, pc);
    if (o && sameTag(o, before.get(slot))) outer.set(slot, o);
  }
  const w = cloneState(st);
  w.frames.forEach((f, i) => widenFrame(a2.state.frames[i], f, th, () => freshId(env)));
  w.checks = enclosingChecks(env, st.checks, pc);
  w.epoch++;
  for (const { slot, reg, set } of slotsOf(w)) if (reg.kind !== 'not_init') set(regWith(reg, { sym: { loop: id, slot, k: 0n, w: 64, outer: outer.get(slot) } }));
  const values = new Map<number, Scalar>();
  for (const { slot, reg } of slotsOf(w)) if (ivs.has(slot) && reg.kind === 'scalar') values.set(slot, reg.v);
  const record: LoopRecord = { id, head: pc, ivs, stable: new Set(ivs.keys()), closures: [], values, state: w };
  env.loops.set(id, record);
  env.stats.loopsWidened++;
  return { state: w, record };
}

/** stepMatches reports whether a tag offset `k` is the step `d` in width `w`. */
export const stepMatches = (k: bigint, d: bigint, w: 32 | 64): boolean => BigInt.asIntN(w, k - d) === 0n;
