/**
 * Single-stepping with a record of each executed instruction: registers it changed and memory it stored. Built on
 * `Interpreter.step(…, 1)`, so tracing shares the loop (and its semantics) with plain runs and costs them nothing.
 */
import { ExecError } from '../errors.js';
import { classify, formatInsn, memAccess, writesDst } from '../isa/index.js';
import { toU64 } from './int64.js';
import { DEFAULT_BUDGET, type Interpreter, type RunOptions, type RunResult } from './machine.js';
import type { Prepared } from './prepare.js';

/** RegChange is one register written by an instruction (its destination, and any other register that changed). */
export interface RegChange {
  reg: number;
  before: bigint;
  after: bigint;
}

/** TraceStep describes one executed instruction. */
export interface TraceStep {
  pc: number;
  insn: string;
  /** Call depth the instruction ran at. */
  depth: number;
  regs: RegChange[];
  /** Memory stored by the instruction, read back after it ran. */
  store?: { address: number; size: number; value: bigint };
  /** r0..r10 before the program's first instruction (first step only): with the changes, every register at every step. */
  entry?: bigint[];
}

function storeTarget(p: Prepared, pc: number, R: Int32Array): { address: number; size: number } | undefined {
  const ins = p.insns[pc];
  const form = classify(ins);
  if (form.kind === 'invalid') return undefined;
  const acc = memAccess(form, ins);
  if (!acc?.write) return undefined;
  const address = BigInt.asUintN(64, toU64(R, acc.base * 2) + BigInt(acc.off));
  return address < 2n ** 32n ? { address: Number(address), size: acc.size } : undefined;
}

/** writtenRegister returns the register an instruction writes by definition (even with an unchanged value). */
function writtenRegister(p: Prepared, pc: number): number | undefined {
  const ins = p.insns[pc];
  const form = classify(ins);
  if (form.kind === 'invalid') return undefined;
  if (writesDst(form)) return ins.dst;
  if (form.kind === 'call' || form.kind === 'callx' || form.kind === 'ldabs' || form.kind === 'ldind') return 0;
  return undefined;
}

/** traceRun runs `p` one instruction at a time, calling `onStep` after each; it returns like `Interpreter.run`. */
export function traceRun(
  vm: Interpreter,
  p: Prepared,
  opts: RunOptions,
  onStep: (step: TraceStep) => void,
): RunResult {
  const st = vm.start(p, opts);
  const budget = opts.budget === undefined ? DEFAULT_BUDGET : opts.budget || Infinity;
  const before = new Int32Array(22);
  let entry: bigint[] | undefined = Array.from({ length: 11 }, (_, r) => toU64(st.R, 2 * r));
  for (;;) {
    if (st.steps >= budget) {
      const insn = formatInsn(p.insns, st.pc);
      throw new ExecError('budget', `pc ${st.pc}: ${insn}: instruction budget of ${budget} exhausted`, {
        pc: st.pc,
        insn,
      });
    }
    const pc = st.pc;
    const depth = st.depth;
    before.set(st.R);
    const target = storeTarget(p, pc, st.R);
    const done = vm.step(p, st, 1);
    const regs: RegChange[] = [];
    const written = writtenRegister(p, pc);
    for (let r = 0; r < 11; r++) {
      if (r === written || before[2 * r] !== st.R[2 * r] || before[2 * r + 1] !== st.R[2 * r + 1]) {
        regs.push({ reg: r, before: toU64(before, 2 * r), after: toU64(st.R, 2 * r) });
      }
    }
    const step: TraceStep = { pc, insn: formatInsn(p.insns, pc), depth, regs };
    if (entry) [step.entry, entry] = [entry, undefined];
    if (target) {
      let value = 0n;
      for (let k = target.size - 1; k >= 0; k--) value = (value << 8n) | BigInt(vm.mem.u8[target.address + k]);
      step.store = { ...target, value };
    }
    onStep(step);
    if (done) return { r0: toU64(st.R, 0), steps: st.steps };
  }
}
