/**
 * The interpreter's side of a helper call: the `HelperCall` object implementations see (arguments read from the
 * register file), the call itself with its error wrapping, callbacks into BPF functions (bpf_loop and friends run a
 * nested invocation of the loop in a new frame), tail calls, and `callx`, which reaches either a BPF function (a code
 * address from a pseudo-func lddw) or, as uBPF and the conformance suite expect, a helper by id held in a register.
 */
import { ExecError } from '../errors.js';
import type { HelperEnv } from '../helpers/env.js';
import { helperError, MAX_TAIL_CALLS, type HelperCall, type HelperDef } from '../helpers/registry.js';
export { helperError, MAX_TAIL_CALLS };
import type { GuestMemory } from '../memory/guest-memory.js';
import { setNumber, setU64, toU64 } from './int64.js';
import { runSteps, type Env, type ExecState } from './interpreter.js';
import { TEXT_BASE, type Prepared } from './prepare.js';

const TEXT_HI = Number(TEXT_BASE >> 32n);
const MAX_SAFE_HI = 0x200000;
const STACK_FRAME = 512;

/** What the loop does after a helper returns. */
export const AFTER_CONTINUE = 0;
export const AFTER_EXIT = 1;
export const AFTER_TAIL_CALL = 2;
/** callx results: the helper it called ended the program, or tail-called another. */
export const CALLX_EXIT = -2;
export const CALLX_TAIL_CALL = -3;

/** TailCallTarget is anything a prog_array can hold that the interpreter can jump to. */
export interface TailCallTarget {
  readonly prepared: Prepared;
}

/** HelperCallImpl is the reusable call object the interpreter hands to helper implementations. */
export class HelperCallImpl implements HelperCall {
  /** Set by the runtime before a run; helpers of raw programs see undefined. */
  env: HelperEnv | undefined;
  private loop!: Env;
  private R: Int32Array = new Int32Array(22);
  private st: ExecState | undefined;
  private p: Prepared | undefined;
  private depth = 0;
  private exitRequested = false;
  private exitValue = 0n;
  private tailTarget: Prepared | undefined;

  constructor(readonly mem: GuestMemory) {}

  /** bind attaches the loop environment (done once by the interpreter that owns this object). */
  bind(loop: Env): void {
    this.loop = loop;
  }

  arg(n: number): bigint {
    return toU64(this.R, n * 2);
  }

  argNum(n: number): number {
    // Addresses below 2^31 come back as small integers, which keeps the helper's arithmetic off doubles.
    const lo = this.R[n * 2];
    if (this.R[n * 2 + 1] === 0 && lo >= 0) return lo;
    const hi = this.R[n * 2 + 1] >>> 0;
    if (hi >= MAX_SAFE_HI) throw new ExecError('bad-argument', `argument r${n} = 0x${this.arg(n).toString(16)} is too large`);
    return hi * 4294967296 + (this.R[n * 2] >>> 0);
  }

  argU32(n: number): number {
    return this.R[n * 2] >>> 0;
  }

  argHi(n: number): number {
    return this.R[n * 2 + 1] >>> 0;
  }

  exit(r0: bigint): void {
    this.exitRequested = true;
    this.exitValue = r0;
  }

  tailCall(target: unknown): boolean {
    const prepared = (target as TailCallTarget | undefined)?.prepared;
    if (!prepared || !this.st || this.st.tailCalls >= MAX_TAIL_CALLS) return false;
    this.st.tailCalls++;
    this.tailTarget = prepared;
    return true;
  }

  /** takeTailTarget hands the loop the program a helper tail-called. */
  takeTailTarget(): Prepared {
    const t = this.tailTarget!;
    this.tailTarget = undefined;
    return t;
  }

  callFunction(fn: bigint, args: readonly bigint[]): bigint {
    const p = this.p;
    const outer = this.st;
    const slot = fn - TEXT_BASE;
    const pc = Number(slot / 8n);
    if (!p || !outer || slot < 0n || slot % 8n !== 0n || !p.functions.has(pc)) {
      throw new ExecError('bad-callback', `callback 0x${fn.toString(16)} is not the address of a function of this program`);
    }
    const loop = this.loop;
    const depth = this.depth + 1;
    if (depth >= loop.maxDepth) throw new ExecError('call-depth', `call depth limit of ${loop.maxDepth} frames exceeded`);
    const R = new Int32Array(22);
    args.forEach((v, k) => setU64(R, (k + 1) * 2, v));
    R[20] = loop.stackTop - depth * STACK_FRAME;
    const sub: ExecState = {
      pc,
      depth,
      baseDepth: depth,
      R,
      frames: outer.frames,
      progs: outer.progs,
      tailCalls: outer.tailCalls,
      maxDepth: Math.max(outer.maxDepth, depth),
      exited: false,
      steps: 0,
    };
    const saved = { R: this.R, st: this.st, p: this.p, depth: this.depth };
    try {
      const budget = Math.max(0, loop.callbackBudget);
      // runSteps stops early after a PROBE_MEM load read 0; go on until the callback exits or the budget is spent.
      for (let prog = p; !runSteps(loop, prog, sub, budget - sub.steps); prog = sub.resume ?? prog) {
        if (sub.steps >= budget) throw new ExecError('budget', `callback budget of instructions exhausted at pc ${sub.pc}`);
      }
    } finally {
      loop.callbackBudget -= sub.steps;
      outer.maxDepth = Math.max(outer.maxDepth, sub.maxDepth);
      Object.assign(this, saved);
    }
    return toU64(R, 0);
  }

  /** invoke calls `def` with the registers of `st`, stores r0, and says what the loop must do next. */
  invoke(def: HelperDef, st: ExecState, p: Prepared, depth: number): number {
    this.R = st.R;
    this.st = st;
    this.p = p;
    this.depth = depth;
    this.exitRequested = false;
    let v: bigint | number | undefined;
    try {
      v = def.impl(this);
    } catch (e) {
      this.tailTarget = undefined;
      throw helperError(def, e);
    }
    const R = st.R;
    if (this.exitRequested) v = this.exitValue;
    if (v === undefined) {
      R[0] = 0;
      R[1] = 0;
    } else if (typeof v === 'number') setNumber(R, 0, v);
    else setU64(R, 0, v);
    if (this.exitRequested) return AFTER_EXIT;
    return this.tailTarget ? AFTER_TAIL_CALL : AFTER_CONTINUE;
  }

  /**
   * callx resolves the target in register pair `d`: a function entry slot (>= 0) to call, -1 after calling a helper
   * by id, or CALLX_EXIT when that helper ended the program.
   */
  callx(p: Prepared, st: ExecState, depth: number, d: number): number {
    const R = st.R;
    const lo = R[d] >>> 0;
    const hi = R[d + 1] >>> 0;
    if (hi === TEXT_HI && lo % 8 === 0 && p.functions.has(lo / 8)) return lo / 8;
    if (hi === 0) {
      const def = p.helperSet.get(lo);
      if (def) {
        const after = this.invoke(def, st, p, depth);
        return after === AFTER_EXIT ? CALLX_EXIT : after === AFTER_TAIL_CALL ? CALLX_TAIL_CALL : -1;
      }
    }
    const target = '0x' + toU64(R, d).toString(16);
    throw new ExecError(
      'bad-callx',
      `callx target ${target} is neither a function entry nor a helper of set ${p.helperSet.name}`,
    );
  }
}
