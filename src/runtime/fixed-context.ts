/**
 * Runs whose context the program cannot change: a verified probe program (pt_regs) may not store to its context (the
 * kernel's kprobe_prog_is_valid_access allows reads only, and so does the verifier here), and no helper it may call
 * writes a pt_regs. For those runs the context after the run is the one built from the run's input, so
 * `Collection.runProgram` neither copies it out (`RunOutput.ctx` is built from the input when first read) nor rewrites
 * all of it before the next run (only the fields whose input changed). A copy of the 168 bytes was most of a uprobe
 * run's cost (bench/RESULTS.md "Per-call cost").
 */
import { CALL_LOCAL, OP_CALL, OP_CALLX } from '../isa/index.js';
import { helperId } from '../helpers/kernel/index.js';
import type { ContextLayout } from '../loader/contexts.js';
import type { Insn } from '../isa/index.js';
import type { VerifyResult } from '../verifier/index.js';
import { programType } from '../verifier/index.js';
import type { PacketActions } from '../helpers/packet/net.js';
import type { ContextInput, PtRegsWriter } from './context.js';

/** Helpers through which a program could change its context region: tail calls (another program runs on it) and probe_write_user (any guest address). */
const CONTEXT_WRITERS = new Set([helperId('tail_call'), helperId('probe_write_user')]);

/**
 * fixedContext says whether runs of an accepted program leave its pt_regs context as the runtime wrote it: verified,
 * a read-only context for its type, no kfunc, callx, tail call or probe_write_user.
 */
export function fixedContext(type: string, insns: readonly Insn[], layout: ContextLayout, verification: VerifyResult | undefined): boolean {
  if (layout.kind !== 'pt_regs' || verification?.ok !== true) return false;
  let writable: number;
  try {
    writable = programType(type).writable.size;
  } catch {
    return false;
  }
  if (writable !== 0) return false;
  for (const i of insns) {
    if (i.opcode === OP_CALLX) return false;
    if (i.opcode === OP_CALL && i.src !== CALL_LOCAL && (i.src !== 0 || CONTEXT_WRITERS.has(i.imm))) return false;
  }
  return true;
}

/**
 * callsNothing says whether a program calls no helper, kfunc or callx target (only its own functions): its runs never
 * reach the helper environment, so a run need not refresh it nor read back signals, references or override values.
 */
export function callsNothing(insns: readonly Insn[]): boolean {
  return !insns.some((i) => i.opcode === OP_CALLX || (i.opcode === OP_CALL && i.src !== CALL_LOCAL));
}

/**
 * FixedRegs is what a collection knows of the pt_regs in its context region, when `valid`: written by `writer` at `at`
 * from an input with `args` arguments, a return value and an ip or not, and not changed since.
 */
export interface FixedRegs {
  valid: boolean;
  writer: PtRegsWriter | undefined;
  at: number;
  args: number;
  ret: boolean;
  ip: boolean;
}

type Signal = { signal: number; thread: boolean };

/**
 * PtRegsOutput is the RunOutput of a run on a pt_regs built from arguments. On a fixed context (see the file comment)
 * `ctx` is built from the run's input when first read (then kept: later reads return the same array), exactly the bytes
 * the run's context held; otherwise it is given. `signals` is made when first read if the run sent none. Both are
 * accessors on the prototype: `{ ...out }` and `Object.keys(out)` do not list them (read `out.ctx`, `out.signals`).
 */
export class PtRegsOutput {
  declare overrideReturn?: bigint;
  declare meta?: Uint8Array;
  declare actions?: PacketActions;
  #ctx: Uint8Array | undefined;
  #signals: Signal[] | undefined;
  readonly #writer: PtRegsWriter | undefined;
  /** The run's input, as values (the caller's array may change after the run): up to two arguments in fields, else a copy. */
  readonly #n: number;
  readonly #a0: bigint;
  readonly #a1: bigint;
  readonly #more: ContextInput | undefined;

  /** A given `ctx` is the output's; else `writer` builds it from `input` when first read. */
  constructor(
    public r0: bigint,
    public steps: number,
    public data: Uint8Array,
    signals: Signal[] | undefined,
    ctx: Uint8Array | undefined,
    writer: PtRegsWriter | undefined,
    input: ContextInput,
  ) {
    this.#signals = signals;
    this.#ctx = ctx;
    this.#writer = writer;
    const args = ctx === undefined ? input.args : undefined;
    const n = (this.#n = args === undefined ? 0 : args.length);
    this.#a0 = n > 0 ? args![0] : 0n;
    this.#a1 = n > 1 ? args![1] : 0n;
    this.#more = ctx === undefined && (n > 2 || input.ret !== undefined || input.funcIp !== undefined) ? { args: args?.slice(), ret: input.ret, funcIp: input.funcIp } : undefined;
  }

  /** ctx is the context after the run (a copy of its own). */
  get ctx(): Uint8Array {
    if (this.#ctx === undefined) {
      const size = this.#writer!.layout.size;
      const bytes = new Uint8Array(size);
      const input = this.#more ?? { args: [this.#a0, this.#a1].slice(0, this.#n) };
      this.#writer!.write({ dv: new DataView(bytes.buffer), u64: new BigUint64Array(bytes.buffer, 0, size >>> 3) }, 0, input);
      this.#ctx = bytes;
    }
    return this.#ctx;
  }

  set ctx(v: Uint8Array) {
    this.#ctx = v;
  }

  /** signals are the signals the run asked for (bpf_send_signal). */
  get signals(): Signal[] {
    return (this.#signals ??= []);
  }

  set signals(v: Signal[]) {
    this.#signals = v;
  }
}
