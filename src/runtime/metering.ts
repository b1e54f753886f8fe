/**
 * Budgets for programs compiled with a termination proof (src/jit-wasm/facts.ts). Such a program is compiled without
 * the per-block budget charges, so a run without a budget neither stops nor counts steps; a run that asks for a
 * budget gets the metered module, compiled from the same slots and facts the first time one asks (the budget is
 * never ignored, and steps are then exact).
 */
import type { JitProgram } from '../jit-wasm/index.js';
import type { Interpreter, RunOptions, RunResult } from '../vm/index.js';
import type { Prepared } from '../vm/prepare.js';
import { runOnR0 } from './jit-backend.js';

/**
 * STEPS_NOT_COUNTED is the `steps` of a run of an unmetered module (a program proved to terminate, run without a
 * budget): it executed, but nothing counted its instructions.
 */
export const STEPS_NOT_COUNTED = -1;

/** asksForBudget says whether a run's budget is a limit (0 and Infinity mean none). */
const asksForBudget = (budget: number | undefined): boolean => budget !== undefined && budget !== 0 && budget !== Infinity;

/** Metering holds the metered module of a program whose main module is unmetered, compiled on first need. */
export class Metering {
  private metered: JitProgram | undefined;

  constructor(private readonly compileMetered: () => JitProgram) {}

  /** forRun is the module a run with `budget` needs: `main`, or the metered one when `main` charges nothing. */
  forRun(main: JitProgram, budget: number | undefined): JitProgram {
    return asksForBudget(budget) ? this.meteredOf(main) : main;
  }

  /** meteredOf is a module of the program that charges the budget: `main` if it does, else the metered one. */
  meteredOf(main: JitProgram): JitProgram {
    return main.compiled.metered ? main : (this.metered ??= this.compileMetered());
  }
}

/** runMetered runs `main` (or its metered module when the run asks for a budget); unmetered runs report STEPS_NOT_COUNTED. */
export function runMetered(vm: Interpreter, prepared: Prepared, main: JitProgram, metering: Metering | undefined, opts: RunOptions): RunResult {
  const jit = metering ? metering.forRun(main, opts.budget) : main;
  const r0 = runOnR0(vm, jit, opts);
  return { r0, steps: jit.metered ? jit.lastSteps : STEPS_NOT_COUNTED };
}

/** runMeteredR0 is runMetered returning r0, with the steps in `steps` of the object given (no result object per run). */
export function runMeteredR0(vm: Interpreter, main: JitProgram, metering: Metering | undefined, opts: RunOptions, out: { steps: number }): bigint {
  const jit = metering ? metering.forRun(main, opts.budget) : main;
  const r0 = runOnR0(vm, jit, opts);
  out.steps = jit.metered ? jit.lastSteps : STEPS_NOT_COUNTED;
  return r0;
}
