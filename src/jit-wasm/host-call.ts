/**
 * The JIT's side of a helper call: the `HelperCall` object helper implementations see (the same implementations the
 * interpreter calls, against the same guest memory). Arguments arrive as the i32 halves the import receives; exit and
 * tail-call requests are left here for the import wrapper to turn into `ctl`. Callbacks (bpf_loop and friends) call
 * the exported Wasm function of the target in a new frame below the caller's r10, on their own budget as in the
 * interpreter.
 */
import { ExecError } from '../errors.js';
import type { HelperEnv } from '../helpers/env.js';
import { MAX_TAIL_CALLS, type HelperCall } from '../helpers/registry.js';
import { TEXT_BASE, type GuestMemory } from '../memory/guest-memory.js';
import { STACK_FRAME } from './abi.js';

const TWO32 = 2 ** 32;
/** High halves at or above this make a value too large for 53 bits. */
const HI_MAX_SAFE = 1 << 21;

/** RunState is shared by every program an invocation reaches through tail calls. */
export interface RunState {
  tailCalls: number;
  /** Instructions callbacks may still execute. */
  callbackBudget: number;
  /** Callbacks running (budget errors inside them are callback budget errors). */
  callbackDepth: number;
  /** The budget the caller gave, for the budget error's message. */
  budgetLabel: number;
}

/** CallbackRunner runs the BPF function at slot `pc` with r1..r5 = args and r10 = fp; it returns r0. */
export type CallbackRunner = (pc: number, args: readonly bigint[], fp: bigint) => bigint;

/**
 * JitHelperCall is the reusable call object of one JIT program. The arguments arrive as 32-bit halves (the helper
 * import's i32 parameters), so no BigInt is made unless a helper asks for one with `arg`.
 */
export class JitHelperCall implements HelperCall {
  /** Low and high 32-bit halves of r1..r5 of the current call (index 1..5). */
  lo = new Int32Array(6);
  hi = new Int32Array(6);
  exitRequested = false;
  exitValue = 0n;
  tailTarget: unknown;
  state!: RunState;
  /**
   * The runtime environment, set by the program on each entry: a plain field, because the getter chain it replaced
   * cost about 9 ns of every map helper call.
   */
  env: HelperEnv | undefined;

  constructor(
    readonly mem: GuestMemory,
    private readonly functions: ReadonlySet<number>,
    private readonly stackLimit: () => bigint,
    private readonly maxDepth: number,
    private readonly runCallback: CallbackRunner,
    /** r10 of the frame calling the helper (the `fp` global the module published). */
    private readonly getFp: () => bigint,
  ) {}

  get fp(): bigint {
    return this.getFp();
  }

  arg(n: number): bigint {
    return (BigInt(this.hi[n] >>> 0) << 32n) | BigInt(this.lo[n] >>> 0);
  }

  argNum(n: number): number {
    // Addresses below 2^31 come back as small integers, which keeps the helper's arithmetic off doubles.
    const lo = this.lo[n];
    if (this.hi[n] === 0 && lo >= 0) return lo;
    const hi = this.hi[n] >>> 0;
    if (hi >= HI_MAX_SAFE) throw new ExecError('bad-argument', `argument r${n} = 0x${this.arg(n).toString(16)} is too large`);
    return hi * TWO32 + (this.lo[n] >>> 0);
  }

  argU32(n: number): number {
    return this.lo[n] >>> 0;
  }

  argHi(n: number): number {
    return this.hi[n] >>> 0;
  }

  exit(r0: bigint): void {
    this.exitRequested = true;
    this.exitValue = r0;
  }

  tailCall(target: unknown): boolean {
    if (!(target as { jit?: unknown } | undefined)?.jit || this.state.tailCalls >= MAX_TAIL_CALLS) return false;
    this.state.tailCalls++;
    this.tailTarget = target;
    return true;
  }

  callFunction(fn: bigint, args: readonly bigint[]): bigint {
    const slot = fn - TEXT_BASE;
    const pc = Number(slot / 8n);
    if (slot < 0n || slot % 8n !== 0n || !this.functions.has(pc)) {
      throw new ExecError('bad-callback', `callback 0x${fn.toString(16)} is not the address of a function of this program`);
    }
    const fp = this.fp - BigInt(STACK_FRAME);
    if (fp < this.stackLimit()) {
      throw new ExecError('call-depth', `call depth limit of ${this.maxDepth} frames exceeded`);
    }
    const saved = { lo: this.lo.slice(), hi: this.hi.slice(), exitRequested: this.exitRequested, exitValue: this.exitValue };
    try {
      return this.runCallback(pc, args, fp);
    } finally {
      this.lo.set(saved.lo);
      this.hi.set(saved.hi);
      this.exitRequested = saved.exitRequested;
      this.exitValue = saved.exitValue;
    }
  }
}
