/**
 * Path exploration (the kernel's `do_check`): every path from the entry is followed instruction by instruction on an
 * abstract state; a conditional jump whose both sides are possible explores one side and queues the other. At prune
 * points (jump targets) the state is compared with states explored there before: one already covered by a finished
 * exploration ends the path (when the termination proofs of the widened loops that exploration closed cycles of carry
 * over to it: proof-transfer.ts); one identical to an ancestor on the same path is an infinite loop; loop heads seen
 * often enough are widened (loops.ts) and their cycles closed with a termination proof (termination.ts). At prune
 * points outside loops a path waits for the others that may still arrive and continues merged with them (merge.ts).
 * The instructions processed over all paths are limited, like the kernel's 1M.
 */
import { formatInsn, jumpTarget } from '../isa/index.js';
import { known, urange } from './scalar.js';
import { cloneState, cur, regWith, scalarReg, type VState } from './state.js';
import { Reject, reject } from './reject.js';
import { doAlu } from './alu.js';
import { doBranch } from './branch.js';
import { MAX_INPUT, checkAccess, doAtomic } from './check-mem.js';
import { doCall, doExit, doLdAbs, doLddw, pushFrame } from './calls.js';
import { covers } from './prune.js';
import { Imprecise, Unproved, joinStates, tryWiden } from './loops.js';
import { closeCycle } from './termination.js';
import { carriesProof } from './proof-transfer.js';
import { compact, fingerprint, relyOn, widenedAt, type Checkpoint } from './checkpoints.js';
import { fmtState } from './format.js';
import { freshId, immReg, type Env, type LoopRecord, type VerifyStats } from './env.js';
import { MeetingPoints, mergeGroup } from './merge.js';

/** Progress asks for a call every `every` instructions processed (VerifyOptions.onProgress). */
export interface Progress {
  every: number;
  call: (stats: Readonly<VerifyStats>) => void;
}

/** Path is a queued path: where it continues and under which checkpoint. */
interface Path {
  state: VState;
  pc: number;
  parent: Checkpoint | null;
  /** The path was parked at `pc` and merged there: it continues without parking again. */
  merged?: boolean;
}

/** MAX_STATES_PER_PC bounds the finished states kept at one instruction (older ones are dropped). */
const MAX_STATES_PER_PC = 48;
/** JOIN_AFTER is how many finished states an instruction keeps before new paths there are joined into the last. */
const JOIN_AFTER = 4;
/** JOIN_CONSTANTS_AFTER is how many before paths holding different constants are joined too. */
const JOIN_CONSTANTS_AFTER = 24;
/** MAX_WIDENINGS bounds how often one path widens a loop head in one entry into the loop before it is explored exactly. */
const MAX_WIDENINGS = 32;
/** MAX_PATH_WIDENINGS bounds how often one path widens a loop head over all its entries into the loop. */
const MAX_PATH_WIDENINGS = 4 * MAX_WIDENINGS;
/** NO_CHECKPOINTS is the empty list of a pc without any. */
const NO_CHECKPOINTS: readonly Checkpoint[] = [];
/** MAX_LOG_LINES bounds the `-v` log. */
const MAX_LOG_LINES = 200_000;

/** Explorer runs the exploration of one program; `pc` and `state` locate a rejection. */
export class Explorer {
  pc = 0;
  state: VState | null = null;
  /** The state the path continues with after `step` (the same state, or a branch's fall-through side). */
  private next!: VState;
  /** Finished checkpoints per pc (they prune), newest last. */
  private readonly done: (Checkpoint[] | undefined)[];
  /** Unfinished checkpoints per pc (ancestors of the current path), oldest first. */
  private readonly open: (Checkpoint[] | undefined)[];
  /** Unfinished loop-head checkpoints by fingerprint (exact-repeat detection). */
  private readonly byFp = new Map<number, Map<number, Checkpoint[]>>();
  /** Unfinished widened loop-head checkpoints per pc (cycles close against them). */
  private readonly wide = new Map<number, Checkpoint[]>();
  private readonly pending: Path[] = [];
  /** Paths that entered each loop head (reached it with no earlier visit on their way). */
  private readonly entries: (number | undefined)[] = [];
  /** Paths parked at prune points outside loops until every path that may still reach them has. */
  private readonly meeting: MeetingPoints;

  /** The count of instructions processed at which the path loop next stops: the limit, or the next progress report. */
  private stop: number;

  constructor(
    private readonly env: Env,
    private readonly maxInsns: number,
    private readonly unroll: number,
    private readonly progress?: Progress,
  ) {
    this.stop = this.nextStop();
    this.done = new Array(env.cfg.insns.length);
    this.open = new Array(env.cfg.insns.length);
    this.meeting = new MeetingPoints(env.cfg);
  }

  /** run explores every path from `initial` at pc 0; throws a Reject on the first rule a path breaks. */
  run(initial: VState): void {
    this.pending.push({ state: initial, pc: 0, parent: null });
    for (;;) {
      while (this.pending.length) this.runChecked(this.pending.pop()!);
      const group = this.meeting.next();
      if (!group) break;
      const merged = mergeGroup(this.env, group.states, group.pc, this.done[group.pc]?.length ?? 0);
      for (let i = merged.length - 1; i >= 0; i--) this.pending.push({ state: merged[i], pc: group.pc, parent: null, merged: true });
    }
  }

  /** finish ends a path: the checkpoints it was the last unfinished path of are complete. */
  private finish(p: Path): void {
    for (let c = p.parent; c; c = c.parent) {
      if (--c.branches > 0) break;
      this.complete(c);
    }
  }

  private log(line: string): void {
    const l = this.env.log;
    if (l && l.length < MAX_LOG_LINES) l.push(line);
  }

  private nextStop(): number {
    const p = this.progress;
    return p ? Math.min(this.maxInsns, (Math.floor(this.env.stats.insnsProcessed / p.every) + 1) * p.every) : this.maxInsns;
  }

  /** passStop rejects a program over the complexity limit, or reports progress and sets the next stop. */
  private passStop(): void {
    if (this.env.stats.insnsProcessed > this.maxInsns) {
      reject('too-complex', `the program is too complex to verify: more than ${this.maxInsns} instructions processed over all paths`);
    }
    this.progress!.call(this.env.stats);
    this.stop = this.nextStop();
  }

  private mapName = (i: number): string => this.env.maps[i]?.name ?? String(i);
  /** A function with closures allocates a context per call: visit, run at every prune point, has none of its own. */
  private freshId = (): number => freshId(this.env);

  /**
   * runChecked runs a path; a rule it breaks after a widened loop head of its own is reported as Imprecise for the
   * innermost such loop (the latest widened), so that loop is explored exactly on the next attempt.
   */
  private runChecked(p: Path): void {
    try {
      this.runPath(p);
    } catch (e) {
      if (!(e instanceof Reject) || e instanceof Unproved || e.rule === 'too-complex') throw e;
      let latest: LoopRecord | undefined;
      for (let c = p.parent; c; c = c.parent) if (c.loop && !this.env.noWiden.has(c.pc) && (!latest || c.loop.id > latest.id)) latest = c.loop;
      if (latest) throw new Imprecise(latest.head, e);
      throw e;
    }
  }

  private runPath(p: Path): void {
    let st = p.state;
    let pc = p.pc;
    const { cfg, stats } = this.env;
    if (this.env.log) this.log(`from path ${pathText(st)} at ${pc}: ${fmtState(st, this.mapName)}`);
    let parkable = !p.merged;
    for (;;) {
      this.pc = pc;
      this.state = st;
      if (cfg.prune[pc]) {
        if (parkable && this.meeting.park(st, pc)) {
          // The path ends here as far as its checkpoints go; what continues from the point is a new root (merge.ts).
          this.finish(p);
          if (this.env.log) this.log(`${pc}: parked until the paths that may still reach it have`);
          return;
        }
        parkable = true;
        const v = this.visit(p, st, pc);
        if (v === null) {
          if (this.env.log) this.log(`${pc}: safe (covered by an explored state)`);
          break;
        }
        st = v;
        this.state = st;
      }
      if (++stats.insnsProcessed > this.stop) this.passStop();
      st.depth++;
      if (this.env.log) this.log(`${pc}: ${formatInsn(cfg.insns, pc)}`);
      pc = this.step(p, st, pc);
      if (pc < 0) break;
      // A branch continues with the state of its fall-through side (step leaves it in `next`).
      st = this.next;
      if (this.env.log) this.log(`    ${fmtState(st, this.mapName)}`);
    }
    this.finish(p);
  }

  private visit(p: Path, st: VState, pc: number): VState | null {
    const env = this.env;
    const done = (this.done[pc] ??= []);
    const open = (this.open[pc] ??= []);
    const live = env.cfg.liveIn[pc];
    const precise = env.cfg.preciseIn[pc];
    const head = env.cfg.loopHead[pc] === 1;
    for (let i = 0; i < done.length; i++) {
      const d = done[i];
      if (!covers(d.state, st, live, false, precise)) continue;
      if (!d.closes || this.reliesOnProofs(p, d, st, live)) {
        env.stats.statesPruned++;
        return null;
      }
    }
    const fp = head ? fingerprint(st, live) : 0;
    if (head) {
      const wide = this.wide.get(pc) ?? NO_CHECKPOINTS;
      for (let i = 0; i < wide.length; i++) {
        const c = wide[i];
        const used = c.branches > 0 && covers(c.state, st, live) ? closeCycle(c.loop!, st, c.state) : null;
        if (used) {
          relyOn(p.parent, c.loop!.id, used);
          env.stats.statesPruned++;
          return null;
        }
      }
      const same = this.byFp.get(pc)?.get(fp) ?? NO_CHECKPOINTS;
      for (let i = 0; i < same.length; i++) {
        const c = same[i];
        if (c.branches > 0 && !c.loop && c.state.epoch === st.epoch && covers(c.state, st, live, true)) {
          reject('infinite-loop', `infinite loop: the state at pc ${pc} repeats exactly, so this path can never leave the loop`);
        }
      }
    }
    // The current path's earlier states here matter only at loop heads (unrolling and widening).
    const history = head ? this.ancestors(open) : NO_CHECKPOINTS;
    let loop: LoopRecord | undefined;
    const crowded = done.length >= JOIN_AFTER;
    // Join only after the latest state here finished (joinStates keeps different constants apart).
    const lastOpen = open.length > 0 && open[open.length - 1].branches > 0;
    if (crowded && !head && !lastOpen) {
      // Many finished paths reached this point already: continue with their join rather than one more path.
      const constants = done.length >= JOIN_CONSTANTS_AFTER && !env.exact;
      const joined = joinStates(done[done.length - 1].state, st, constants, this.freshId, true);
      if (joined) {
        if (constants) env.approximate();
        joined.epoch++;
        st = joined;
        env.stats.statesJoined++;
      }
    }
    // Many paths reaching a loop head widen it at their first return instead of unrolling each, when the body is
    // what multiplies them (more finished states than exact unrolling leaves per entry into the loop): a straight
    // body entered in a few different states is cheaper to unroll than to widen.
    if (head && history.length === 0) this.entries[pc] = (this.entries[pc] ?? 0) + 1;
    const branchy = crowded && done.length >= this.unroll * (this.entries[pc] ?? 1);
    if (head && (history.length >= this.unroll || (branchy && history.length >= 1)) && !env.noWiden.has(pc) && !env.exact) {
      const w = tryWiden(env, history, st, pc, freshId(env));
      if (w && (this.widenings(p.parent, pc) >= MAX_WIDENINGS || (this.wide.get(pc) ?? []).filter((c) => c.branches > 0).length >= MAX_PATH_WIDENINGS)) {
        // This path came back to the head through as many widened states without closing a cycle: they keep moving
        // (a counter that wraps, say), so explore the loop exactly instead. Unfinished checkpoints are all ancestors
        // of the current path (queued paths fork from them), so the second count is of the widenings on this path,
        // over every entry into the loop (an enclosing loop that never settles enters it again and again).
        throw new Unproved(pc, `loop at pc ${pc}: widening found no state that covers its iterations`);
      }
      if (w) {
        env.approximate();
        st = w.state;
        loop = w.record;
        if (this.env.log) this.log(`${pc}: loop head widened: ${fmtState(st, this.mapName)}`);
      }
    }
    const wides = p.parent?.wides ?? null;
    const cp: Checkpoint = { pc, state: cloneState(st), parent: p.parent, branches: 1, loop, fp: loop ? fingerprint(st, live) : fp, wides: loop ? { id: loop.id, prev: wides } : wides };
    open.push(cp);
    if (loop) this.wide.set(pc, [...(this.wide.get(pc) ?? []).filter((c) => c.branches > 0), cp]);
    if (head && !loop) {
      const byFp = this.byFp.get(pc) ?? new Map<number, Checkpoint[]>();
      this.byFp.set(pc, byFp);
      const same = byFp.get(fp);
      if (same) compact(same).push(cp);
      else byFp.set(fp, [cp]);
    }
    compact(open);
    env.stats.peakStates = Math.max(env.stats.peakStates, open.length + done.length);
    env.stats.statesExplored++;
    p.parent = cp;
    return st;
  }

  /** reliesOnProofs: do `d`'s termination proofs carry over to `st` (then the path relies on them)? Not in visit: see freshId. */
  private reliesOnProofs(p: Path, d: Checkpoint, st: VState, live: number): boolean {
    const relies = carriesProof(this.env, d.state, st, live, d.closes!, (rec) => widenedAt(this.env, p.parent, rec));
    relies?.forEach((slots, id) => relyOn(p.parent, id, slots));
    return relies !== null;
  }

  /**
   * widenings counts the widened states of the loop at `head` on the current path since it last entered the loop: an
   * ancestor outside the loop's body ends the count, so a loop nested in another starts afresh on each outer iteration.
   */
  private widenings(from: Checkpoint | null, head: number): number {
    const body = this.env.cfg.bodies.get(head)!;
    let n = 0;
    for (let c = from; c && body[c.pc]; c = c.parent) if (c.loop && c.pc === head) n++;
    return n;
  }

  /** ancestors returns the latest unfinished checkpoints at a pc (the current path's, oldest first), at most `unroll`. */
  private ancestors(open: Checkpoint[]): Checkpoint[] {
    const out: Checkpoint[] = [];
    for (let i = open.length - 1; i >= 0 && out.length < this.unroll; i--) if (open[i].branches > 0) out.push(open[i]);
    return out.reverse();
  }

  /** complete files a checkpoint whose paths have all ended among the states that can prune. */
  private complete(c: Checkpoint): void {
    const done = (this.done[c.pc] ??= []);
    done.push(c);
    if (done.length > MAX_STATES_PER_PC) done.shift();
  }

  private fork(p: Path, st: VState, pc: number): void {
    this.pending.push({ state: st, pc, parent: p.parent });
    if (p.parent) p.parent.branches++;
  }

  /**
   * step executes one instruction; returns the next pc (-1 when the path ends) and leaves the state to continue with
   * in `next` (no tuple per instruction: the first verification runs in V8's interpreter, where each one allocates).
   */
  private step(p: Path, st: VState, pc: number): number {
    this.next = st;
    const env = this.env;
    const ins = env.cfg.insns[pc];
    const f = env.cfg.forms[pc]!;
    const regs = cur(st).regs;
    switch (f.kind) {
      case 'alu':
      case 'movsx':
      case 'end':
        doAlu(env, st, f, ins, pc);
        return pc + 1;
      case 'lddw':
        doLddw(env, st, ins, env.cfg.insns[pc + 1], pc);
        return pc + 2;
      case 'ldx':
      case 'load_acq':
        regs[ins.dst] = checkAccess(env, st, regs[ins.src], { pc, regno: ins.src, off: ins.off, size: f.size, kind: 'read', signed: f.kind === 'ldx' && f.signed })!;
        return pc + 1;
      case 'st': {
        checkAccess(env, st, regs[ins.dst], { pc, regno: ins.dst, off: ins.off, size: f.size, kind: 'write', value: immReg(env, pc, ins.imm, false), valueReg: -1 });
        return pc + 1;
      }
      case 'stx':
      case 'store_rel':
        checkAccess(env, st, regs[ins.dst], { pc, regno: ins.dst, off: ins.off, size: f.size, kind: 'write', value: regs[ins.src], valueReg: ins.src });
        return pc + 1;
      case 'atomic':
        doAtomic(env, st, f, pc);
        return pc + 1;
      case 'ja':
        return jumpTarget(f, ins, pc)!;
      case 'jcond':
        return this.branch(p, st, pc);
      case 'call':
        return doCall(env, st, f.mode, pc);
      case 'callx':
        return reject('not-supported', 'callx (a call through a register) is not supported by the verifier');
      case 'exit': {
        return doExit(env, st);
      }
      case 'ldabs':
      case 'ldind':
        doLdAbs(env, st, f, ins);
        return pc + 1;
    }
  }

  private branch(p: Path, st: VState, pc: number): number {
    const env = this.env;
    const f = env.cfg.forms[pc] as Extract<typeof env.cfg.forms[number], { kind: 'jcond' }>;
    const ins = env.cfg.insns[pc];
    const sides = doBranch(env, st, f!, ins, pc);
    const fall = sides.fall;
    const taken = sides.taken;
    const target = pc + 1 + ins.off;
    if (fall && taken) {
      const prev = taken.path;
      fall.path = { pc, taken: false, prev };
      taken.path = { pc, taken: true, prev };
      this.fork(p, taken, target);
      this.next = fall;
      return pc + 1;
    }
    if (fall) {
      this.next = fall;
      return pc + 1;
    }
    if (taken) {
      this.next = taken;
      return target;
    }
    return -1; // neither side possible: the path was infeasible
  }
}

function pathText(st: VState): string {
  const out: string[] = [];
  for (let n = st.path; n && out.length < 4; n = n.prev) out.push(`${n.pc}${n.taken ? '+' : '-'}`);
  return out.reverse().join(' ') || 'entry';
}

/** initialState builds the entry state: r1 = context (or input memory and r2 = its length for raw programs). */
export function initialState(env: Env): VState {
  const st: VState = { frames: [], refs: [], refPcs: [], lock: null, path: null, checks: null, depth: 0, epoch: 0 };
  pushFrameRoot(st);
  const regs = cur(st).regs;
  if (env.prog.raw) {
    env.inputId = freshId(env);
    regs[1] = regWith(regs[10], { kind: 'packet', frame: 0, off: 0, v: known(0n), id: env.inputId, range: 0 });
    regs[2] = scalarReg(urange(0n, MAX_INPUT), 0);
  } else regs[1] = regWith(regs[10], { kind: 'ctx', frame: 0 });
  return st;
}

function pushFrameRoot(st: VState): void {
  pushFrame(st, 0, -1, [], false);
}

/** isReject tells a rule failure from a bug. */
export const isReject = (e: unknown): e is Reject => e instanceof Reject;
