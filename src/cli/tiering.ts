/**
 * When V8 optimises the `verify` command's code. TurboFan compiles a hot function on a background thread and pays off
 * over a long run; a `bpftime-vm verify` process lives ~100 ms, in which the verifier's functions become hot, are
 * compiled (tens of jobs, competing for the CPU on a 2-core host), run optimised briefly or deoptimise, and Node's exit
 * then waits for the jobs still in flight. So the command defers optimisation: V8's interpreter and its baseline
 * compiler (Sparkplug) run the first OPTIMISE_AFTER instructions the verifier processes, and a verification that goes
 * on past them turns TurboFan back on, with the type feedback gathered so far (bench/RESULTS.md, "Deferred
 * optimisation"). Only the CLI's `verify` process does this (src/cli/commands/verify-run.ts); a library user's
 * process keeps V8's defaults. `BPFTIME_VM_DEFER_OPT=0` keeps them in the command too.
 */
import { createRequire } from 'node:module';
import type { VerifyOptions } from '../verifier/env.js';
import { switchedOff, type CacheEnv } from '../runtime/cache-dir.js';

/** OPTIMISE_AFTER is how many instructions processed a verification runs before TurboFan is turned back on. */
export const OPTIMISE_AFTER = 20_000;

/** V8Flags is the part of node:v8 used here. */
type V8Flags = Pick<typeof import('node:v8'), 'setFlagsFromString'>;

let deferred: V8Flags | undefined;

/**
 * deferOptimisation turns TurboFan off for this process until optimiseNow (call it before the command's code is
 * compiled: the code cache is keyed by V8's flags). It loads node:v8 (~30 internal modules, ~4 ms), which the time
 * saved repays many times over.
 */
export function deferOptimisation(env: CacheEnv = process.env): void {
  if (deferred || switchedOff(env.BPFTIME_VM_DEFER_OPT)) return;
  const v8 = createRequire(import.meta.url)('node:v8') as V8Flags;
  v8.setFlagsFromString('--no-opt');
  deferred = v8;
}

/** optimiseNow turns TurboFan back on when deferOptimisation turned it off (work that will run long starts). */
export function optimiseNow(): void {
  if (!deferred) return;
  deferred.setFlagsFromString('--opt');
  deferred = undefined;
}

/** tieringOptions are the verifier options that call optimiseNow once a verification runs long, while deferred. */
export function tieringOptions(): Pick<VerifyOptions, 'onProgress' | 'progressEvery'> {
  return deferred ? { onProgress: optimiseNow, progressEvery: OPTIMISE_AFTER } : {};
}
