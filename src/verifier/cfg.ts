/**
 * The structure of a program before any value is tracked (the kernel's `check_subprogs` and `check_cfg`): valid
 * instructions, subprograms and jumps that stay inside them, every instruction reachable, no path falling off a
 * function's end, a call graph without recursion and at most 8 frames deep. It also computes what the path
 * exploration needs: prune points (jump targets), loop heads (targets of back edges) and register liveness.
 */
import { LoadError } from '../errors.js';
import { formatInsn, jumpTarget, validateProgram, type Form, type Insn } from '../isa/index.js';
import { Reject } from './reject.js';
import { scalarRegs } from './scalar-regs.js';

/** MAX_CALL_FRAMES is the kernel's limit on nested calls (the main program counts). */
export const MAX_CALL_FRAMES = 8;

/** Subprog is one function of the program. */
export interface Subprog {
  entry: number;
  /** One past the last slot. */
  end: number;
  /** Local calls made from it: call pc and callee entry. */
  calls: { pc: number; callee: number }[];
  /** Callbacks whose address it takes (pseudo-func lddw): pc and callee entry. */
  callbacks: { pc: number; callee: number }[];
}

/** Cfg is the structure of a program. */
export interface Cfg {
  insns: readonly Insn[];
  forms: readonly (Form | null)[];
  subprogs: Subprog[];
  /** Subprogram index of each slot. */
  subprogOf: Int32Array;
  /** Prune points: where explored states are kept and compared. */
  prune: Uint8Array;
  /** Loop heads: targets of back edges. */
  loopHead: Uint8Array;
  /** Instructions on a cycle of their function's control flow (a loop head or inside a loop body). */
  inLoop: Uint8Array;
  /** Each loop head's body: the instructions on a cycle through it (1), by head pc. */
  bodies: Map<number, Uint8Array>;
  /** Registers live on entry to each slot (bit r). */
  liveIn: Uint16Array;
  /**
   * Registers whose scalar value may matter on entry to each slot (bit r): it may reach a branch, an address, a
   * store, a helper argument or the return value. A live register outside this set is only fed into arithmetic whose
   * result is dropped, so any scalar there is as good as any other (the kernel's imprecise scalars, found statically).
   */
  preciseIn: Uint16Array;
  /** Whether any back edge exists. */
  hasLoops: boolean;
}

/** successors of the instruction at pc (within its function; calls continue at pc + 1). */
export function successors(forms: readonly (Form | null)[], insns: readonly Insn[], pc: number): number[] {
  const f = forms[pc]!;
  switch (f.kind) {
    case 'exit':
      return [];
    case 'ja':
      return [jumpTarget(f, insns[pc], pc)!];
    case 'jcond':
      return [pc + 1, jumpTarget(f, insns[pc], pc)!];
    case 'lddw':
      return [pc + 2];
    default:
      return [pc + 1];
  }
}

function checkJumps(cfg: Cfg): void {
  const { forms, insns } = cfg;
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f || (f.kind !== 'ja' && f.kind !== 'jcond')) continue;
    const t = jumpTarget(f, insns[pc], pc)!;
    if (cfg.subprogOf[t] !== cfg.subprogOf[pc]) {
      throw new Reject('structure', `jump out of range from insn ${pc} to ${t}: it leaves the function`, pc);
    }
  }
  for (const sp of cfg.subprogs) {
    const last = sp.end - 1;
    const lf = forms[last] ?? forms[last - 1];
    if (!lf || (lf.kind !== 'exit' && lf.kind !== 'ja')) {
      throw new Reject('structure', `the function at pc ${sp.entry} does not end with exit or a jump: execution could fall off its end`, last);
    }
  }
}

/**
 * Depth-first walk of one function marking reachable slots, back edges and loop heads. `succ` lists every
 * instruction's successors; the walk's stack is two typed arrays (pc, index of the next successor to visit).
 */
function walk(cfg: Cfg, sp: Subprog, succ: readonly number[][], reached: Uint8Array, backEdges: number[]): void {
  const { forms, insns } = cfg;
  const color = new Uint8Array(insns.length); // 0 new, 1 on stack, 2 done
  const stackPc = new Int32Array(insns.length);
  const stackNext = new Int32Array(insns.length);
  let depth = 0;
  color[sp.entry] = 1;
  reached[sp.entry] = 1;
  stackPc[depth++] = sp.entry;
  while (depth > 0) {
    const pc = stackPc[depth - 1];
    const next = succ[pc];
    const i = stackNext[depth - 1];
    if (i >= next.length) {
      color[pc] = 2;
      depth--;
      continue;
    }
    stackNext[depth - 1] = i + 1;
    const n = next[i];
    if (n >= sp.end) throw new Reject('structure', `execution falls off the end of the function at pc ${sp.entry}`, pc);
    cfg.prune[n] ||= next.length > 1 || forms[pc]!.kind === 'ja' ? 1 : 0;
    if (color[n] === 1) {
      backEdges.push(pc, n);
      cfg.loopHead[n] = 1;
      cfg.prune[n] = 1;
      cfg.hasLoops = true;
    } else if (color[n] === 0) {
      color[n] = 1;
      reached[n] = 1;
      stackPc[depth] = n;
      stackNext[depth] = 0;
      depth++;
    }
  }
}

function checkCalls(cfg: Cfg): void {
  const byEntry = new Map(cfg.subprogs.map((s, i) => [s.entry, i]));
  const state = new Uint8Array(cfg.subprogs.length);
  const depthOf = (i: number, depth: number, via: number): void => {
    if (depth > MAX_CALL_FRAMES) throw new Reject('call-depth', `the call stack of ${depth} frames is too deep (at most ${MAX_CALL_FRAMES})`, via);
    if (state[i] === 1) throw new Reject('recursion', `recursive call: the function at pc ${cfg.subprogs[i].entry} calls itself`, via);
    state[i] = 1;
    for (const c of [...cfg.subprogs[i].calls, ...cfg.subprogs[i].callbacks]) depthOf(byEntry.get(c.callee)!, depth + 1, c.pc);
    state[i] = 0;
  };
  depthOf(0, 1, 0);
}

const bit = (r: number): number => 1 << r;
const CALLER_SAVED = bit(0) | bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);

/** ud packs the registers an instruction reads (low 16 bits) and writes (high 16 bits) into one number. */
const ud = (use: number, def: number): number => use | (def << 16);

/** usesDefs returns the registers an instruction reads and writes, for liveness, packed by `ud`. */
function usesDefs(f: Form, ins: Insn): number {
  switch (f.kind) {
    case 'alu':
      if (f.op === 'mov') return ud(f.useReg ? bit(ins.src) : 0, bit(ins.dst));
      return ud(bit(ins.dst) | (f.useReg ? bit(ins.src) : 0), bit(ins.dst));
    case 'movsx':
      return ud(bit(ins.src), bit(ins.dst));
    case 'end':
      return ud(bit(ins.dst), bit(ins.dst));
    case 'jcond':
      return ud(bit(ins.dst) | (f.useReg ? bit(ins.src) : 0), 0);
    case 'call':
    case 'callx':
      return ud(ARGS | (f.kind === 'callx' ? bit(ins.dst) : 0) | bit(10), CALLER_SAVED);
    case 'exit':
      return ud(bit(0) | bit(10), 0);
    case 'lddw':
      return ud(0, bit(ins.dst));
    case 'ldabs':
      return ud(bit(6), CALLER_SAVED);
    case 'ldind':
      return ud(bit(6) | bit(ins.src), CALLER_SAVED);
    case 'ldx':
    case 'load_acq':
      return ud(bit(ins.src), bit(ins.dst));
    case 'st':
      return ud(bit(ins.dst), 0);
    case 'stx':
    case 'store_rel':
      return ud(bit(ins.dst) | bit(ins.src), 0);
    case 'atomic':
      if (f.op === 'cmpxchg') return ud(bit(ins.dst) | bit(ins.src) | bit(0), bit(0));
      return ud(bit(ins.dst) | bit(ins.src), f.fetch ? bit(ins.src) : 0);
    default:
      return ud(0, 0);
  }
}

/**
 * preciseUses narrows an instruction's uses to the registers whose value matters, given the registers live and
 * precise after it: arithmetic feeds its operands' values only into its destination, so they matter only when the
 * destination does. Pointer arithmetic (add, sub) is checked against the scalar's bounds even when its result is
 * dropped, so its operands matter whenever the destination is live, unless both are known scalars (`scalars`,
 * scalar-regs.ts) or the operation is 32-bit (which makes any pointer an unknown scalar, or is refused).
 */
function preciseUses(f: Form, ins: Insn, use: number, liveOut: number, preciseOut: number, scalars: number): number {
  if (f.kind === 'exit' && scalars & EXIT_IMPRECISE) return use & ~bit(0);
  if (f.kind === 'alu' && (f.op === 'add' || f.op === 'sub') && f.is64 && (scalars & use) !== use) return liveOut & bit(ins.dst) ? use : 0;
  if (f.kind === 'alu' || f.kind === 'movsx' || f.kind === 'end') return preciseOut & bit(ins.dst) ? use : 0;
  return use;
}

/** EXIT_IMPRECISE marks (in preciseUses' `scalars`) an exit whose r0 value nothing checks. */
const EXIT_IMPRECISE = 1 << 16;

/**
 * liveness computes `liveIn` and `preciseIn` (backward data flow to a fixed point). `retChecked` says the program
 * type restricts the return value; otherwise r0's value at the main program's exits matters to nothing (its kind is
 * still compared), as for the kernel, which marks r0 precise only where it checks the return range.
 */
function liveness(cfg: Cfg, succ: readonly number[][], retChecked: boolean): void {
  const { forms, insns } = cfg;
  // 32 bits per instruction: the scalar registers (scalar-regs.ts) and the EXIT_IMPRECISE mark.
  const scalars = new Int32Array(scalarRegs(forms, insns, cfg.subprogs.map((sp) => sp.entry), succ));
  // What does not depend on the passes, once (a loop takes a pass more, in V8's interpreter on a first verification).
  const uds = new Int32Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) {
    const f = forms[pc];
    if (!f) continue;
    uds[pc] = usesDefs(f, insns[pc]);
    if (!retChecked && f.kind === 'exit' && cfg.subprogOf[pc] === 0) scalars[pc] |= EXIT_IMPRECISE;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = insns.length - 1; pc >= 0; pc--) {
      const f = forms[pc];
      if (!f) continue;
      let out = 0;
      let preciseOut = 0;
      const next = succ[pc];
      for (let k = 0; k < next.length; k++) {
        const n = next[k];
        if (n >= insns.length) continue;
        out |= cfg.liveIn[n];
        preciseOut |= cfg.preciseIn[n];
      }
      const both = uds[pc];
      const use = both & 0xffff;
      const def = both >>> 16;
      const live = (use | (out & ~def)) | bit(10);
      const precise = preciseUses(f, insns[pc], use, out, preciseOut, scalars[pc]) | (preciseOut & ~def) | bit(10);
      if (live !== cfg.liveIn[pc] || precise !== cfg.preciseIn[pc]) {
        cfg.liveIn[pc] = live;
        cfg.preciseIn[pc] = precise;
        changed = true;
      }
    }
  }
}

/**
 * markLoops sets `inLoop` for every instruction on a cycle: every cycle has a back edge `t -> h` of the depth-first
 * walk, and its instructions are those that reach `t` without passing `h` (plus `h`). Instructions that merely reach
 * a loop from outside may be marked too in an irreducible graph, which only costs merging opportunities.
 */
function markLoops(cfg: Cfg, backEdges: readonly number[], preds: readonly number[][]): void {
  if (!backEdges.length) return;
  const { insns } = cfg;
  const seen = new Int32Array(insns.length).fill(-1);
  for (let e = 0; e < backEdges.length; e += 2) {
    const t = backEdges[e];
    const h = backEdges[e + 1];
    cfg.inLoop[h] = 1;
    let body = cfg.bodies.get(h);
    if (!body) cfg.bodies.set(h, (body = new Uint8Array(insns.length)));
    body[h] = 1;
    seen[h] = e;
    const work = seen[t] === e ? [] : [t];
    seen[t] = e;
    while (work.length) {
      const v = work.pop()!;
      cfg.inLoop[v] = 1;
      body[v] = 1;
      const from = preds[v];
      for (let k = 0; k < from.length; k++) {
        const p = from[k];
        if (seen[p] === e) continue;
        seen[p] = e;
        work.push(p);
      }
    }
  }
}

/** checkExits rejects code from which no path reaches an exit: a loop without a way out never ends. */
function checkExits(cfg: Cfg, preds: readonly number[][]): void {
  const { forms, insns } = cfg;
  // Walk the edges backwards from every exit (linear in the program's size).
  const work: number[] = [];
  const ends = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) {
    if (forms[pc]?.kind !== 'exit') continue;
    ends[pc] = 1;
    work.push(pc);
  }
  while (work.length) {
    const from = preds[work.pop()!];
    for (let k = 0; k < from.length; k++) {
      const p = from[k];
      if (ends[p]) continue;
      ends[p] = 1;
      work.push(p);
    }
  }
  for (let pc = 0; pc < insns.length; pc++) {
    if (forms[pc] && !ends[pc]) throw new Reject('infinite-loop', 'infinite loop: no path from this instruction reaches an exit', pc);
  }
}

/**
 * buildCfg checks the structure of `insns` and returns what the exploration needs, or throws a Reject. `retChecked`
 * (default true) says whether the program type restricts the main program's return value (liveness).
 */
export function buildCfg(insns: readonly Insn[], retChecked = true): Cfg {
  let valid;
  try {
    valid = validateProgram(insns);
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    const pc = e.location.pc;
    throw new Reject('structure', pc !== undefined ? e.message.replace(`pc ${pc}: ${formatInsn(insns, pc)}: `, '') : e.message, pc);
  }
  const { forms, functions } = valid;
  const n = insns.length;
  const subprogOf = new Int32Array(n);
  const subprogs: Subprog[] = functions.map((entry, i) => ({ entry, end: functions[i + 1] ?? n, calls: [], callbacks: [] }));
  subprogs.forEach((sp, i) => subprogOf.fill(i, sp.entry, sp.end));
  for (let pc = 0; pc < n; pc++) {
    const f = forms[pc];
    if (!f) continue;
    const sp = subprogs[subprogOf[pc]];
    if (f.kind === 'call' && f.mode === 'local') sp.calls.push({ pc, callee: jumpTarget(f, insns[pc], pc)! });
    if (f.kind === 'lddw' && f.pseudo === 4) sp.callbacks.push({ pc, callee: jumpTarget(f, insns[pc], pc)! });
  }
  const cfg: Cfg = {
    insns, forms, subprogs, subprogOf,
    prune: new Uint8Array(n), loopHead: new Uint8Array(n), inLoop: new Uint8Array(n), bodies: new Map(), liveIn: new Uint16Array(n), preciseIn: new Uint16Array(n), hasLoops: false,
  };
  checkJumps(cfg);
  // Every instruction's successors, computed once for the walk and the passes after it (which run only when every
  // instruction is reachable, so that every successor lies inside the program).
  const succ: number[][] = new Array(n);
  for (let pc = 0; pc < n; pc++) succ[pc] = forms[pc] ? successors(forms, insns, pc) : [];
  const reached = new Uint8Array(n);
  const backEdges: number[] = [];
  for (let i = 0; i < subprogs.length; i++) walk(cfg, subprogs[i], succ, reached, backEdges);
  for (let pc = 0; pc < n; pc++) {
    if (forms[pc] && !reached[pc]) throw new Reject('unreachable', `unreachable instruction: no path from its function's entry leads to it`, pc);
    const f = forms[pc];
    if (f && f.kind === 'call') cfg.prune[pc + 1] = 1;
  }
  checkCalls(cfg);
  // Predecessors, for the passes below (plain loops: this runs once per program, in V8's interpreter, where callbacks
  // and iterators cost more than the work).
  const preds: number[][] = new Array(n);
  for (let pc = 0; pc < n; pc++) preds[pc] = [];
  for (let pc = 0; pc < n; pc++) {
    const next = succ[pc];
    for (let k = 0; k < next.length; k++) preds[next[k]].push(pc);
  }
  checkExits(cfg, preds);
  markLoops(cfg, backEdges, preds);
  liveness(cfg, succ, retChecked);
  return cfg;
}
