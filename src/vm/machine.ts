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
  /** Maximum instructions to execute; 0 or Infinity for no limit. Default DEFAULT_BUDGET. */
  budget?: number;
  /** Keep the input placed by `setInput` instead of clearing it when `input` is not given. */
  keepInput?: boolean;
}

/** RunResult is the outcome of a run that exited. */
export interface RunResult {
  r0: bigint;
  /** Instructions executed. */
  steps: number;
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
  /** The state `run` reuses while no run is in progress. */
  private spare: ExecState | undefined;

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
  start(p: Prepared, opts: RunOptions = {}): ExecState {
    return this.reset(this.newState(), opts);
  }

  /**
   * startScratch is `start` on the state `run` reuses, for callers that read the registers back at once and never
   * step it (the JIT's runOn): no allocation per run.
   */
  startScratch(p: Prepared, opts: RunOptions = {}): ExecState {
    return this.reset((this.spare ??= this.newState()), opts);
  }

  private newState(): ExecState {
    const d = this.env.maxDepth;
    return { pc: 0, depth: 0, baseDepth: 0, R: new Int32Array(22), frames: new Int32Array(d * FRAME_WORDS), progs: new Array<Prepared>(d), tailCalls: 0, maxDepth: 0, exited: false, steps: 0 };
  }

  /** reset readies `st` for a new run: zeroed registers and used stack, the input, r1..r5 and the budget. */
  private reset(st: ExecState, opts: RunOptions): ExecState {
    const R = st.R;
    R.fill(0);
    const top = this.env.stackTop;
    this.mem.u8.fill(0, top - (this.lastDepth + 1) * STACK_FRAME, top);
    this.env.packetStart = 0;
    this.env.packetLength = 0;
    if (opts.input) {
      R[2] = this.setInput(opts.input);
      R[4] = opts.input.length;
    } else if (this.input && !opts.keepInput) {
      this.mem.setLength(this.input, 0);
    } else if (this.input) {
      this.env.packetStart = this.input.start;
      this.env.packetLength = this.input.end - this.input.start;
    }
    opts.args?.forEach((v, k) => setU64(R, (k + 1) * 2, v));
    R[20] = top;
    const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
    this.env.callbackBudget = budget === 0 || budget === Infinity ? CHUNK : Math.min(budget, CHUNK);
    st.pc = st.depth = st.tailCalls = st.maxDepth = st.steps = 0;
    st.exited = false;
    return st;
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
  run(p: Prepared, opts: RunOptions = {}): RunResult {
    // One state is reused across runs (allocating it measured ~1 us of a 2 us call); a re-entrant run gets its own.
    const st = this.spare ?? this.newState();
    this.spare = undefined;
    try {
      return this.finish(p, this.reset(st, opts), opts);
    } finally {
      this.spare = st;
    }
  }

  private finish(p: Prepared, st: ExecState, opts: RunOptions): RunResult {
    const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
    const limit = budget === 0 || budget === Infinity ? Infinity : budget;
    if (!this.stepUpTo(p, st, limit)) {
      throw new ExecError(
        'budget',
        `pc ${st.pc}: ${formatInsn(p.insns, st.pc)}: instruction budget of ${budget} exhausted`,
        { pc: st.pc, insn: formatInsn(p.insns, st.pc) },
      );
    }
    return { r0: toU64(st.R, 0), steps: st.steps };
  }
}
