/**
 * `Interpreter` binds the interpreter loop to a guest memory layout (stack frames, input buffer) and a helper set, and
 * is the API for running raw programs: load (validate + pre-decode), run with an input buffer and an instruction
 * budget, or start and step for tracing. Conventions follow uBPF and the conformance suite: r1 = address of the input
 * buffer (0 when there is none), r2 = its length, r10 = top of a 512-byte stack frame per call depth.
 */
import { ExecError } from '../errors.js';
import type { HelperEnv } from '../helpers/env.js';
import type { HelperSet } from '../helpers/registry.js';
import { ubpfTestHelpers } from '../helpers/ubpf-test.js';
import { decodeProgram, formatInsn, validateProgram, type Insn } from '../isa/index.js';
import { GuestMemory, PAGE_SIZE, type Region } from '../memory/guest-memory.js';
import { HelperCallImpl } from './helper-call.js';
import { setU64, toU64 } from './int64.js';
import { FRAME_WORDS, runSteps, type Env, type ExecState } from './interpreter.js';
import { prepare, type LddwResolver, type Prepared } from './prepare.js';
import { DEFAULT_BUDGET, DEFAULT_MAX_CALL_DEPTH } from './limits.js';

export { DEFAULT_BUDGET, DEFAULT_MAX_CALL_DEPTH } from './limits.js';
const STACK_FRAME = 512;
/** Largest countdown handed to the loop at once (a V8 small integer). */
const CHUNK = 0x3fffffff;

/** InterpreterOptions configures an interpreter instance. */
export interface InterpreterOptions {
  /** Helpers reachable by `call`; default: the uBPF test helpers of the conformance suite. */
  helpers?: HelperSet;
  /** Guest memory to share with maps and other backends; default: a new one. */
  memory?: GuestMemory;
  /** Call frames including the entry frame; default 8. */
  maxCallDepth?: number;
  /** Resolves map/BTF pseudo-sources of lddw (supplied by the loader). */
  resolveLddw?: LddwResolver;
}

/** RunOptions configures one run. */
export interface RunOptions {
  /** Copied into the input region; r1 = its address and r2 = its length. */
  input?: Uint8Array;
  /** Explicit r1..r5 (override the input convention). */
  args?: readonly bigint[];
  /**
   * r1 as a guest address (a context the caller placed there), overriding `args[0]` and the input convention: what
   * the runtime passes its contexts as, without a BigInt to split per run.
   */
  ctxAddress?: number;
  /** Maximum instructions to execute; 0 or Infinity for no limit. Default DEFAULT_BUDGET. */
  budget?: number;
  /** Keep the input placed by `setInput` instead of clearing it when `input` is not given. */
  keepInput?: boolean;
  /** A packet placed by the caller (the runtime's packet buffers): what LD_ABS/LD_IND read. */
  packet?: { start: number; length: number };
  /**
   * The caller vouches that guest memory still holds `input` as the previous run placed it (the same bytes, which
   * that run cannot have written): it is not copied again. r1 and r2 are set as for any `input`.
   */
  inputUnchanged?: boolean;
}

/** NO_RUN_OPTIONS is the options of a run given none: one shared object, not an allocation per call. */
export const NO_RUN_OPTIONS: RunOptions = Object.freeze({});

/** RunResult is the outcome of a run that exited. */
export interface RunResult {
  r0: bigint;
  /** Instructions executed. */
  steps: number;
}

/**
 * clearRegisters zeroes the register file (r0..r10 as 22 int32 words). Unrolled: a loop over the 22 words measured
 * 16-19 ns in V8 11, `fill` 17, `set` from a zero array 13, these stores 5 (bench/RESULTS.md "Per-call cost").
 */
function clearRegisters(R: Int32Array): void {
  R[0] = 0; R[1] = 0; R[2] = 0; R[3] = 0; R[4] = 0; R[5] = 0; R[6] = 0; R[7] = 0; R[8] = 0; R[9] = 0; R[10] = 0;
  R[11] = 0; R[12] = 0; R[13] = 0; R[14] = 0; R[15] = 0; R[16] = 0; R[17] = 0; R[18] = 0; R[19] = 0; R[20] = 0; R[21] = 0;
}

/** Interpreter is the reference backend: every access checked, every fault located. */
export class Interpreter {
  readonly mem: GuestMemory;
  readonly helpers: HelperSet;
  readonly stack: Region;
  readonly env: Env;
  private input: Region | undefined;
  private readonly resolveLddw: LddwResolver | undefined;
  private lastDepth = 0;
  /** Whether a JIT run may have left frame 0 written by stores the JIT does not check (see jitStack). */
  private frame0Dirty = false;
  /** The stack ranges jitStack returns: every frame, frame 0, nothing. */
  private readonly ranges: Record<'full' | 'frame0' | 'none', { readonly start: number; readonly length: number }>;
  /** The state `run` reuses while no run is in progress. */
  private spare: ExecState | undefined;
  /** r1..r5 of a JIT run, at [2..11] as in a register file (jitArgs). */
  private readonly jitWords = new Int32Array(12);

  constructor(opts: InterpreterOptions = {}) {
    this.mem = opts.memory ?? new GuestMemory();
    this.helpers = opts.helpers ?? ubpfTestHelpers();
    this.resolveLddw = opts.resolveLddw;
    const maxDepth = opts.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH;
    if (!(maxDepth >= 1 && maxDepth <= 64)) throw new RangeError(`max call depth ${maxDepth} is not in 1..64`);
    this.stack = this.mem.addRegion('stack', maxDepth * STACK_FRAME);
    this.env = {
      mem: this.mem,
      stackTop: this.stack.end,
      maxDepth,
      packetStart: 0,
      packetLength: 0,
      call: new HelperCallImpl(this.mem),
      callbackBudget: 0,
    };
    this.env.call.bind(this.env);
    const top = this.stack.end;
    this.ranges = {
      full: { start: this.stack.start, length: top - this.stack.start },
      frame0: { start: top - STACK_FRAME, length: STACK_FRAME },
      none: { start: top, length: 0 },
    };
  }

  /** setHelperEnv gives helpers the runtime's environment (host, maps, program) for the following runs. */
  setHelperEnv(env: HelperEnv | undefined): void {
    this.env.call.env = env;
  }

  /** load validates and pre-decodes a program given as slots or raw bytecode. */
  load(program: readonly Insn[] | Uint8Array, section = '', poisoned?: ReadonlyMap<number, string>, opts: { probeMem?: boolean } = {}): Prepared {
    const insns = program instanceof Uint8Array ? decodeProgram(program, section) : program;
    const valid = validateProgram(insns, section);
    return prepare(valid, { helpers: this.helpers, resolveLddw: this.resolveLddw, section, poisoned, probeMem: opts.probeMem });
  }

  /** inputRegion returns the region holding the last input buffer (to read what the program wrote there). */
  inputBytes(): Uint8Array {
    if (!this.input) return new Uint8Array(0);
    return this.mem.u8.slice(this.input.start, this.input.end);
  }

  /** setInput places the input buffer (packet) for the next run and returns its guest address. */
  setInput(data: Uint8Array): number {
    if (!this.input || this.input.capacity < data.length) {
      if (this.input) this.mem.setLength(this.input, 0);
      this.input = this.mem.addRegion('input', Math.max(data.length, PAGE_SIZE), { length: data.length, resizable: true });
    }
    this.mem.setLength(this.input, data.length);
    this.mem.u8.set(data, this.input.start);
    this.env.packetStart = this.input.start;
    this.env.packetLength = data.length;
    return this.input.start;
  }

  /** start prepares registers, stack and input for a run and returns a new state to step. */
  start(p: Prepared, opts: RunOptions = NO_RUN_OPTIONS): ExecState {
    const st = this.reset(this.newState(), opts);
    this.clearStack(p);
    return st;
  }

  /**
   * jitArgs prepares a JIT run's input and packet as `run` does and returns r1..r5 as (lo, hi) words at [2..11] of an
   * array it reuses (read them at once): a JIT run needs nothing else of an interpreter state, and leaves the stack
   * to `jitStack`. No allocation per run.
   */
  jitArgs(opts: RunOptions = NO_RUN_OPTIONS): Int32Array {
    const R = this.jitWords;
    R[2] = 0; R[3] = 0; R[4] = 0; R[5] = 0; R[6] = 0; R[7] = 0; R[8] = 0; R[9] = 0; R[10] = 0; R[11] = 0;
    this.place(R, opts);
    return R;
  }

  private newState(): ExecState {
    const d = this.env.maxDepth;
    return { pc: 0, depth: 0, baseDepth: 0, R: new Int32Array(22), frames: new Int32Array(d * FRAME_WORDS), progs: new Array<Prepared>(d), tailCalls: 0, maxDepth: 0, exited: false, steps: 0 };
  }

  /** reset readies `st` for a new run: zeroed registers, the input, r1..r5 and the budget. */
  private reset(st: ExecState, opts: RunOptions): ExecState {
    const R = st.R;
    clearRegisters(R);
    this.place(R, opts);
    R[20] = this.env.stackTop;
    const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
    this.env.callbackBudget = budget === 0 || budget === Infinity ? CHUNK : Math.min(budget, CHUNK);
    st.pc = st.depth = st.tailCalls = st.maxDepth = st.steps = 0;
    st.exited = false;
    return st;
  }

  /** place puts a run's input and packet where `opts` says and r1..r5 into R[2..11] (zeroed by the caller). */
  private place(R: Int32Array, opts: RunOptions): void {
    this.env.packetStart = 0;
    this.env.packetLength = 0;
    if (opts.input) {
      const kept = opts.inputUnchanged === true && this.input !== undefined && this.input.end - this.input.start === opts.input.length;
      R[2] = kept ? this.input!.start : this.setInput(opts.input);
      R[4] = opts.input.length;
      if (kept) {
        this.env.packetStart = this.input!.start;
        this.env.packetLength = opts.input.length;
      }
    } else if (this.input && !opts.keepInput) {
      if (this.input.end !== this.input.start) this.mem.setLength(this.input, 0);
    } else if (this.input) {
      this.env.packetStart = this.input.start;
      this.env.packetLength = this.input.end - this.input.start;
    }
    if (opts.packet) {
      this.env.packetStart = opts.packet.start;
      this.env.packetLength = opts.packet.length;
    }
    const args = opts.args;
    if (args) for (let k = 0; k < args.length; k++) setU64(R, (k + 1) * 2, args[k]);
    if (opts.ctxAddress !== undefined) {
      R[2] = opts.ctxAddress;
      R[3] = 0;
    }
  }

  /**
   * clearStack zeroes the frames runs have used (uBPF's convention: the stack reads as zero at the start of a run),
   * unless nothing can have written them since they were last zeroed: a 512-byte fill is most of a short run's cost.
   * The program's own stores are checked, and a write refills the emptied write cache once per region it writes, which
   * marks the region dirty (GuestMemory.regionDirty); helpers and callx write without that mark, so a program that
   * may call them always zeroes, and leaves the stack marked for the next run. JIT runs mark what they wrote (jitStack).
   */
  private clearStack(p: Prepared): void {
    const mem = this.mem;
    const id = this.stack.id;
    if (p.opaqueWrites || mem.regionDirty[id] || this.frame0Dirty) {
      const top = this.env.stackTop;
      mem.u8.fill(0, top - (this.lastDepth + 1) * STACK_FRAME, top);
      mem.regionDirty[id] = p.opaqueWrites ? 1 : 0;
      this.frame0Dirty = false;
    }
    mem.writeCache[0] = 0;
    mem.writeCache[1] = 0;
  }

  /**
   * jitStack is the part of the stack a JIT run must zero before it starts, as [start, length), and records what the
   * run will leave written. `writes` says what the compiled program may write: `none` (no store instruction, no helper
   * and no call: nothing but checked refills, which mark the region), `frame` (stores, but in one function without
   * helpers: its stores through r10 at constant offsets are unchecked and stay in frame 0, others refill), or `any`
   * (helpers, callx, tail calls or bpf-to-bpf calls: every frame, unobserved). The JIT zeroes every frame of the
   * region, as it always has, whenever more than frame 0 may be dirty.
   */
  jitStack(writes: 'none' | 'frame' | 'any'): { start: number; length: number } {
    const mem = this.mem;
    const id = this.stack.id;
    mem.writeCache[0] = 0;
    mem.writeCache[1] = 0;
    if (writes === 'any') {
      mem.regionDirty[id] = 1;
      this.lastDepth = this.env.maxDepth - 1;
      this.frame0Dirty = false;
      return this.ranges.full;
    }
    const dirty = mem.regionDirty[id] === 1;
    mem.regionDirty[id] = 0;
    const frame0 = this.frame0Dirty;
    this.frame0Dirty = writes === 'frame';
    if (dirty) return this.ranges.full;
    return frame0 || writes === 'frame' ? this.ranges.frame0 : this.ranges.none;
  }

  /** step executes up to `n` instructions; it returns true once the program has exited. */
  step(p: Prepared, st: ExecState, n: number): boolean {
    try {
      const prog = st.resume ?? p;
      st.resume = undefined;
      return runSteps(this.env, prog, st, n);
    } finally {
      this.lastDepth = Math.max(this.lastDepth, st.maxDepth);
    }
  }

  /**
   * stepUpTo steps until exit or until `limit` instructions (Infinity for no limit) have run, in chunks that keep the
   * loop's countdown a small integer: a countdown that starts above 2^30 is a float in V8 and measured 15-50% slower.
   */
  stepUpTo(p: Prepared, st: ExecState, limit: number): boolean {
    while (st.steps < limit) {
      if (this.step(p, st, Math.min(CHUNK, limit - st.steps))) return true;
    }
    return false;
  }

  /** run executes a prepared program to its exit, or throws an ExecError (fault, budget, call depth). */
  run(p: Prepared, opts: RunOptions = NO_RUN_OPTIONS): RunResult {
    // One state is reused across runs (allocating it measured ~1 us of a 2 us call); a re-entrant run gets its own.
    const st = this.spare ?? this.newState();
    this.spare = undefined;
    try {
      this.reset(st, opts);
      this.clearStack(p);
      return this.finish(p, st, opts);
    } finally {
      this.spare = st;
    }
  }

  /** The instructions the last `runR0` executed. */
  lastSteps = 0;

  /** runR0 is `run` returning r0, with the steps in `lastSteps` (no result object, for callers that make their own). */
  runR0(p: Prepared, opts: RunOptions = NO_RUN_OPTIONS): bigint {
    const st = this.spare ?? this.newState();
    this.spare = undefined;
    try {
      this.reset(st, opts);
      this.clearStack(p);
      this.execute(p, st, opts);
      this.lastSteps = st.steps;
      return toU64(st.R, 0);
    } finally {
      this.spare = st;
    }
  }

  private finish(p: Prepared, st: ExecState, opts: RunOptions): RunResult {
    this.execute(p, st, opts);
    return { r0: toU64(st.R, 0), steps: st.steps };
  }

  /** execute steps a reset state to its exit, or throws the budget's ExecError. */
  private execute(p: Prepared, st: ExecState, opts: RunOptions): void {
    const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
    const limit = budget === 0 || budget === Infinity ? Infinity : budget;
    if (!this.stepUpTo(p, st, limit)) {
      throw new ExecError(
        'budget',
        `pc ${st.pc}: ${formatInsn(p.insns, st.pc)}: instruction budget of ${budget} exhausted`,
        { pc: st.pc, insn: formatInsn(p.insns, st.pc) },
      );
    }
  }
}
