/**
 * A translated program instantiated against guest memory: the imports (helpers wrapped around the shared TypeScript
 * implementations, bounds refills, traps, tail calls, callx) and `run`, which sets the exported globals, calls the
 * entry and reads back r0 and the instructions executed. Instantiation is synchronous (`new WebAssembly.Module`), so
 * running stays synchronous like the interpreter. Every error leaves as a located ExecError: faults from the import
 * that detected them, Wasm traps (which would be JIT bugs) with the last pc published.
 */
import { BpfError, ExecError } from '../errors.js';
import type { HelperEnv } from '../helpers/env.js';
import { helperError, type HelperDef } from '../helpers/registry.js';
import { formatInsn, memAccess } from '../isa/index.js';
import { accessFault, locatedError } from '../memory/access-fault.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { REFILL_PROBE, BPF_MODULE, CTL_EXIT, CTL_REGIONS, CTL_TAIL_CALL, ENTRY_EXPORT, ENV_MODULE, functionExport, HELPER_MODULE, MEMORY_IMPORT, STACK_FRAME, TRAP_BUDGET, TRAP_CALL_DEPTH, TRAP_FELL_OFF, TRAP_MISALIGNED, TRAP_POISON } from './abi.js';
import type { CompiledProgram } from './compile.js';
import { JitHelperCall, type RunState } from './host-call.js';
import { instantiateTrampoline, RB, RESULT_BLOCK, type Trampoline } from './trampoline.js';
import { dispatchRun, enroll, type DispatchRun } from './dispatch.js';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const I64_MAX = (1n << 63n) - 1n;
/** SMALL holds the BigInts 0..255, so that the usual results of a run allocate nothing. */
const SMALL: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** u64 is the unsigned BigInt of the words (lo, hi) (src/vm/int64.ts has the same for the interpreter, a layer apart). */
function u64(lo: number, hi: number): bigint {
  if (hi === 0) {
    const u = lo >>> 0;
    return u < 256 ? SMALL[u] : BigInt(u);
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
const TWO32 = 1n << 32n;
const TWO32_N = 2 ** 32;
/** Largest callback budget, as the interpreter's chunk. */
const CHUNK = 0x3fffffff;

/** JitEnv is the machine a program runs in: guest memory, the stack and the helper environment. */
export interface JitEnv {
  readonly mem: GuestMemory;
  /** r10 of frame 0. */
  readonly stackTop: number;
  readonly maxDepth: number;
  helperEnv(): HelperEnv | undefined;
}

type Entry = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, fp: bigint) => bigint;
type Globals = Record<'pc' | 'fp' | 'ctl' | 'budget' | 'stack_limit' | 'pkt_start' | 'pkt_len' | 'ret_hi', WebAssembly.Global>;
/** HelperImport is a helper as the module imports it: r1..r5 as (low, high) i32 pairs, the low half of r0 returned. */
type HelperImport = (...halves: number[]) => number;

/** JitRun is the outcome of a run that exited. */
export interface JitRun {
  r0: bigint;
  steps: number;
}

/**
 * StackWrites is what a compiled program may write on the stack, which decides what the host zeroes before a run:
 * `none` (no store, helper or call), `frame` (stores in one function without helpers: unchecked ones through r10 stay
 * in frame 0, others go through `bpf.refill`, which marks the stack region written), `any` (helpers, calls, callx,
 * tail calls: any frame, unobserved). A JIT that drops checks the verifier proved keeps this true as long as proven
 * stack accesses of one function stay in its frame (the kernel verifier's rule).
 */
export type StackWrites = 'none' | 'frame' | 'any';

/** StackRange is the guest range a run zeroes before the call (the stack the run needs clean): [start, start + length). */
export interface StackRange {
  readonly start: number;
  readonly length: number;
}

const STORE_KINDS = new Set(['st', 'stx', 'store_rel', 'atomic']);

/** stackWrites classifies a compiled program (see StackWrites). */
function stackWrites(c: CompiledProgram): StackWrites {
  if (c.helperImports.size > 0 || c.usesCallx || c.usesTailCall || c.functions.length > 1) return 'any';
  return c.forms.some((f) => f !== null && STORE_KINDS.has(f.kind)) ? 'frame' : 'none';
}

const I32_WORDS = 4;
/** Int32 indexes of r0's high word and of the steps in the result block (trampoline.ts). */
const R0_HI = (RESULT_BLOCK + RB.r0) / I32_WORDS + 1;
const STEPS = (RESULT_BLOCK + RB.steps) / I32_WORDS;

/** JitProgram is an instantiated module, ready to run any number of times. */
export class JitProgram {
  private readonly g: Globals;
  private readonly exports: Record<string, unknown>;
  private readonly call: JitHelperCall;
  private readonly stackLimit: bigint;
  private state: RunState = { tailCalls: 0, callbackBudget: 0, callbackDepth: 0, budgetLabel: 0 };
  /** The run state of runs started here (a tail call into this program borrows its caller's instead). */
  private readonly ownState: RunState = { tailCalls: 0, callbackBudget: 0, callbackDepth: 0, budgetLabel: 0 };
  /** The entry trampoline (trampoline.ts). */
  private readonly entry: Trampoline;
  /** The trampoline's `run`, held here (one property load less per call). */
  private readonly enterRun: Trampoline['run'];
  /** The process-wide entry and this program's slot in it (dispatch.ts); slot -1: entered through `enterRun`. */
  private readonly dispatch: DispatchRun | undefined;
  private readonly slot: number;
  /** What the imports call: this object while it runs, else nothing (see the constructor). */
  private readonly link: { p: JitProgram | undefined } = { p: undefined };
  /** The helper imports' implementations, by import index (reached through `link`). */
  private readonly helperFns: HelperImport[] = [];
  /** What `entry.configure` was last given: budget, packet start and length, stack range to zero (fields, not an array: compared on every run). */
  private cBudget = NaN;
  private cPktStart = NaN;
  private cPktLen = NaN;
  private cZero: StackRange | undefined;
  private readonly mem: GuestMemory;
  /** Int32 view of guest memory for the result block, replaced when the memory grows. */
  private words: Int32Array;
  private wordsGeneration: number;
  /** What the program may write on the stack (decides what runs zero). */
  readonly stackWrites: StackWrites;
  /** Whether the module charges the budget and counts steps (`compiled.metered`, one load less per run). */
  readonly metered: boolean;
  /** Whether the module imports helpers, callx or tail calls (the only ways a run reaches the host but for faults). */
  private readonly callsHost: boolean;

  /** @internal (a WebAssembly type in its signature; see GuestMemory.memory): programs come from compileOn. */
  constructor(
    readonly compiled: CompiledProgram,
    private readonly env: JitEnv,
    module: WebAssembly.Module = new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>),
  ) {
    this.stackLimit = BigInt(env.stackTop - (env.maxDepth - 1) * STACK_FRAME);
    this.call = new JitHelperCall(env.mem, new Set(compiled.functions), () => this.stackLimit, env.maxDepth,
      (pc, args, fp) => this.runCallback(pc, args, fp), () => this.g.fp.value as bigint);
    const names: string[] = [];
    for (const [name, def] of compiled.helperImports) {
      names.push(name);
      this.helperFns.push(this.helperImport(def));
    }
    const instance = new WebAssembly.Instance(module, JitProgram.linkedImports(this.link, names, env.mem.memory));
    this.exports = instance.exports as Record<string, unknown>;
    this.g = this.exports as unknown as Globals;
    this.g.stack_limit.value = this.stackLimit;
    this.entry = instantiateTrampoline(this.exports, env.mem.memory);
    this.enterRun = this.entry.run;
    this.mem = env.mem;
    this.slot = enroll(this, this.entry.run);
    this.dispatch = dispatchRun();
    this.words = new Int32Array(env.mem.memory.buffer);
    this.wordsGeneration = env.mem.generation;
    this.stackWrites = stackWrites(compiled);
    this.metered = compiled.metered;
    this.callsHost = compiled.helperImports.size > 0 || compiled.usesCallx || compiled.usesTailCall;
  }

  /**
   * linkedImports builds a module's imports, which reach their JitProgram only through `link`, set while it runs: the
   * process-wide entry table (dispatch.ts) holds the instance, and must not hold the JitProgram, or it would never be
   * collected. Static: closures made in the constructor would share its context, which holds `this`.
   */
  private static linkedImports(link: { p: JitProgram | undefined }, helperNames: readonly string[], memory: WebAssembly.Memory): WebAssembly.Imports {
    const helpers: Record<string, WebAssembly.ImportValue> = {};
    helperNames.forEach((name, k) => {
      helpers[name] = (l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number): number =>
        link.p!.helperFns[k](l1, h1, l2, h2, l3, h3, l4, h4, l5, h5);
    });
    return {
      [ENV_MODULE]: { [MEMORY_IMPORT]: memory },
      [HELPER_MODULE]: helpers,
      [BPF_MODULE]: {
        trap: (kind: number, pc: number, value: bigint) => link.p!.trap(kind, pc, value),
        refill: (a: bigint, size: number, write: number, pc: number) => link.p!.refill(a, size, write === 1, pc, write === REFILL_PROBE),
        tail_call: (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, fp: bigint) => link.p!.tailCall([r1, r2, r3, r4, r5], fp),
        callx: (pc: number, target: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => link.p!.callx(pc, target, [r1, r2, r3, r4, r5]),
      },
    };
  }

  /**
   * run executes the program from its entry through the trampoline (trampoline.ts): no BigInt and no
   * WebAssembly.Global access from JavaScript on the way, and `configure` only when the budget, the packet or the
   * stack range to zero differ from the last run's. r1..r5 are read from `regs[2..11]` as (lo, hi) int32 words (the
   * interpreter's register file layout); `budget` 0 or Infinity means none. Positional, not a request object: one
   * allocation less per call.
   */
  run(regs: Int32Array, packetStart: number, packetLength: number, budget: number, zero: StackRange): JitRun {
    const r0 = this.runR0(regs, packetStart, packetLength, budget, zero);
    return { r0, steps: this.lastSteps };
  }

  /** The instructions the last run executed (runR0). */
  lastSteps = 0;

  /** runR0 is `run` returning r0 and leaving the steps in `lastSteps`: no result object for callers that make their own. */
  runR0(regs: Int32Array, packetStart: number, packetLength: number, budget: number, zero: StackRange): bigint {
    const unlimited = budget === 0 || budget === Infinity;
    const st = this.ownState;
    st.budgetLabel = budget;
    this.state = st;
    // Only a run that calls the host (helpers, callx, tail calls) reads the rest of the run state.
    if (this.callsHost) {
      st.tailCalls = 0;
      st.callbackBudget = unlimited ? CHUNK : Math.min(budget, CHUNK);
      st.callbackDepth = 0;
      this.call.env = this.env.helperEnv();
    }
    if (this.cBudget !== budget || this.cPktStart !== packetStart || this.cPktLen !== packetLength || this.cZero !== zero) this.configure(budget, packetStart, packetLength, zero);
    const R = regs;
    // The bounds of the region r1 points into (the context, the input), which the module starts with as its cached
    // read bounds (abi.ts entry_lo): its first read there then costs no refill, a call out of Wasm and back.
    const mem = this.mem;
    const r1 = R[2] >>> 0;
    let start = 0;
    let end = 0;
    if (r1 !== 0 && R[3] === 0 && r1 < mem.u8.length) {
      const region = mem.pageRegion[r1 >>> 12];
      if (region !== 0 && r1 < mem.regionEnd[region]) {
        start = mem.regions[region]!.start;
        end = mem.regionEnd[region];
      }
    }
    let lo: number;
    const link = this.link;
    link.p = this;
    try {
      lo = this.slot >= 0
        ? this.dispatch!(this.slot, R[2], R[3], R[4], R[5], R[6], R[7], R[8], R[9], R[10], R[11], start, end)
        : this.enterRun(R[2], R[3], R[4], R[5], R[6], R[7], R[8], R[9], R[10], R[11], start, end);
    } catch (e) {
      link.p = undefined;
      throw this.runError(e);
    }
    link.p = undefined;
    // Read after the call: a helper may have grown the memory during the run.
    if (this.wordsGeneration !== mem.generation) {
      this.words = new Int32Array(mem.memory.buffer);
      this.wordsGeneration = mem.generation;
    }
    const w = this.words;
    const stepsHi = w[STEPS + 1];
    this.lastSteps = stepsHi === 0 ? w[STEPS] >>> 0 : stepsHi * TWO32_N + (w[STEPS] >>> 0);
    return u64(lo, w[R0_HI]);
  }

  /** configure gives the trampoline a new budget, packet or stack range to zero (only when one changed). */
  private configure(budget: number, packetStart: number, packetLength: number, zero: StackRange): void {
    this.cBudget = budget;
    this.cPktStart = packetStart;
    this.cPktLen = packetLength;
    this.cZero = zero;
    const unlimited = budget === 0 || budget === Infinity;
    this.entry.configure(unlimited ? I64_MAX : BigInt(budget), packetStart, packetLength, zero.start, zero.length, BigInt(this.env.stackTop));
  }

  /** runError turns what a run threw into the error to report: BpfErrors as they are, Wasm traps located. */
  private runError(e: unknown): unknown {
    if (e instanceof BpfError) return e;
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      const pc = this.g.pc.value as number;
      return locatedError(this.compiled.insns, pc, new ExecError('wasm-trap', `wasm trap after the last helper call: ${e.message}`, {}, { cause: e }));
    }
    return e;
  }

  /** enter calls an exported function with the control globals set; the budget global is the caller's to set. */
  private enter(name: string, args: readonly bigint[], fp: bigint, packetStart: number, packetLength: number): bigint {
    const g = this.g;
    this.call.env = this.env.helperEnv();
    // stack_limit is set once, in the constructor; each write of a global from JavaScript costs a call.
    if (g.ctl.value !== 0) g.ctl.value = 0;
    g.pkt_start.value = packetStart;
    g.pkt_len.value = packetLength;
    try {
      return U64((this.exports[name] as Entry)(args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, fp));
    } catch (e) {
      throw this.runError(e);
    }
  }

  /**
   * helperImport wraps a helper implementation as the module imports it: no BigInt crosses the boundary. The high
   * half of r0 goes back through the `ret_hi` global, written only when it changes (nothing else writes it).
   */
  private helperImport(def: HelperDef): HelperImport {
    const call = this.call;
    const { lo, hi } = call;
    const mem = this.env.mem;
    return (l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number): number => {
      lo[1] = l1; hi[1] = h1; lo[2] = l2; hi[2] = h2; lo[3] = l3; hi[3] = h3; lo[4] = l4; hi[4] = h4; lo[5] = l5; hi[5] = h5;
      call.exitRequested = false;
      call.state = this.state;
      const layout = mem.layout;
      let v: bigint | number | undefined;
      try {
        v = def.impl(call);
      } catch (e) {
        call.tailTarget = undefined;
        throw locatedError(this.compiled.insns, this.g.pc.value as number, helperError(def, e));
      }
      if (call.exitRequested) {
        this.g.ctl.value = CTL_EXIT;
        v = call.exitValue;
      } else if (call.tailTarget !== undefined) this.g.ctl.value = CTL_TAIL_CALL;
      else if (mem.layout !== layout) {
        this.g.ctl.value = CTL_REGIONS;
        // A packet helper may have moved the packet LD_ABS/LD_IND read (skb_change_head, skb_adjust_room...).
        const packet = call.env?.packet;
        if (packet) {
          this.g.pkt_start.value = packet.data;
          this.g.pkt_len.value = packet.length;
        }
      }
      return this.result(v);
    };
  }

  /** retHi mirrors the `ret_hi` global, so that it is written only when the high half changes. */
  private retHi = 0;

  /** result returns the low half of a helper's r0 and leaves the high half in `ret_hi`. */
  private result(v: bigint | number | undefined): number {
    let l: number;
    let h: number;
    if (typeof v === 'number') {
      l = v | 0;
      // An int32 (addresses, 0, -errno) sign-extends; only larger values pay for the division.
      h = l === v ? l >> 31 : Math.floor(v / TWO32_N) | 0;
    } else if (v === undefined) {
      l = 0;
      h = 0;
    } else {
      l = Number(BigInt.asIntN(32, v));
      h = Number(BigInt.asIntN(32, v >> 32n));
    }
    if (h !== this.retHi) {
      this.retHi = h;
      this.g.ret_hi.value = h;
    }
    return l;
  }

  private refill(a: bigint, size: number, write: boolean, pc: number, probe = false): bigint {
    const mem = this.env.mem;
    // The i64 arrives signed: a valid address is a non-negative one below 2^32, tested without making a BigInt.
    if (a >= 0n && a < TWO32) {
      const n = Number(a);
      if (mem.ok(n, size, write)) {
        const r = mem.pageRegion[n >>> 12];
        // Runs learn from this mark whether checked stores wrote the stack (StackWrites).
        if (write) mem.regionDirty[r] = 1;
        return this.packedBounds(r, mem.regions[r]!.start, mem.regionEnd[r]);
      }
    }
    if (probe) return 0n;
    throw accessFault(mem, this.compiled.insns, pc, U64(a), size, write, false);
  }

  /** Packed bounds last returned per region index, with the end they were built for (regions grow and shrink). */
  private readonly packed: bigint[] = [];
  private readonly packedEnd: number[] = [];
  private readonly packedStart: number[] = [];

  /** packedBounds returns `start << 32 | end`, building the BigInt only when the region's bounds changed. */
  private packedBounds(r: number, start: number, end: number): bigint {
    if (this.packedEnd[r] !== end || this.packedStart[r] !== start) {
      this.packed[r] = (BigInt(start) << 32n) | BigInt(end);
      this.packedEnd[r] = end;
      this.packedStart[r] = start;
    }
    return this.packed[r];
  }

  private trap(kind: number, pc: number, value: bigint): never {
    const insns = this.compiled.insns;
    const located = (code: string, msg: string) => locatedError(insns, pc, new ExecError(code, msg));
    switch (kind) {
      case TRAP_MISALIGNED: {
        const ins = insns[pc];
        const acc = memAccess(this.compiled.forms[pc]!, ins)!;
        throw accessFault(this.env.mem, insns, pc, U64(value), acc.size, true, true);
      }
      case TRAP_FELL_OFF:
        throw new ExecError('fell-off', `pc ${pc}: execution ran past the last instruction`, { pc });
      case TRAP_CALL_DEPTH:
        throw located('call-depth', `call depth limit of ${this.env.maxDepth} frames exceeded`);
      case TRAP_POISON:
        throw located('core-relocation', this.compiled.poison.get(pc) ?? 'instruction poisoned by a failed CO-RE relocation');
      case TRAP_BUDGET: {
        let at = pc;
        for (let left = Number(value); left > 0; left--) at += this.compiled.forms[at]?.kind === 'lddw' ? 2 : 1;
        if (this.state.callbackDepth > 0) throw new ExecError('budget', `callback budget of instructions exhausted at pc ${at}`);
        const insn = formatInsn(insns, at);
        throw new ExecError('budget', `pc ${at}: ${insn}: instruction budget of ${this.state.budgetLabel} exhausted`, { pc: at, insn });
      }
    }
    throw located('internal', `unknown trap kind ${kind}`);
  }

  private runCallback(pc: number, args: readonly bigint[], fp: bigint): bigint {
    const g = this.g;
    const saved = { budget: g.budget.value as bigint, pc: g.pc.value as number, fp: g.fp.value as bigint };
    const budget = BigInt(Math.max(0, this.state.callbackBudget));
    g.budget.value = budget;
    this.state.callbackDepth++;
    try {
      const r0 = U64((this.exports[functionExport(pc)] as Entry)(args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, fp));
      if (g.ctl.value !== 0) g.ctl.value = 0;
      return r0;
    } finally {
      this.state.callbackDepth--;
      this.state.callbackBudget -= Number(budget - (g.budget.value as bigint));
      g.budget.value = saved.budget;
      g.pc.value = saved.pc;
      g.fp.value = saved.fp;
    }
  }

  private tailCall(args: bigint[], fp: bigint): bigint {
    const t = this.call.tailTarget as { jit: JitProgram; meteredJit?: () => JitProgram | undefined };
    this.call.tailTarget = undefined;
    // A metered run stays metered across the tail call: its budget and step count cover the program it enters.
    const target = this.compiled.metered && !t.jit.compiled.metered ? (t.meteredJit?.() ?? t.jit) : t.jit;
    return target.enterTail(this, args, fp);
  }

  /** enterTail runs this program in place of `from`'s current function, sharing its budget and run state. */
  private enterTail(from: JitProgram, args: bigint[], fp: bigint): bigint {
    this.state = from.state;
    this.g.budget.value = from.g.budget.value;
    const link = this.link;
    const outer = link.p;
    link.p = this;
    try {
      const r0 = this.enter(ENTRY_EXPORT, args, fp, from.g.pkt_start.value as number, from.g.pkt_len.value as number);
      from.g.ctl.value = this.g.ctl.value;
      return r0;
    } finally {
      link.p = outer;
      from.g.budget.value = this.g.budget.value;
    }
  }

  private callx(pc: number, target: bigint, args: bigint[]): bigint {
    const u = U64(target);
    const def = u < TWO32 ? this.compiled.helperSet.get(Number(u)) : undefined;
    if (!def) {
      throw locatedError(this.compiled.insns, pc, new ExecError('bad-callx', `callx target 0x${u.toString(16)} is neither a function entry nor a helper of set ${this.compiled.helperSet.name}`));
    }
    const halves = args.flatMap((a) => [Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, a >> 32n))]);
    const l = this.helperImport(def)(...halves);
    return (BigInt(this.g.ret_hi.value as number) << 32n) | BigInt(l >>> 0);
  }
}
