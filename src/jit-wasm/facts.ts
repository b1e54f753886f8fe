/**
 * What a verifier proved about a program, as the JIT uses it (issue 10, point 5). The shape is the verifier's
 * `VerifierFacts` (src/verifier/facts.ts), so its output is passed as is; the JIT trusts the facts it is given.
 *
 * - An access in `inBounds` is compiled without a bounds check: no compare against cached or constant bounds, no
 *   `bpf.refill`; the guest address is used directly. An atomic in `inBounds` also loses its misalignment trap: the
 *   verifier proves atomics aligned to their size (src/verifier/check-mem.ts, as the kernel's strict alignment). That includes the input (packet) region, whose bounds every
 *   unverified access re-checks because the region is resizable: the proof is relative to the run's input (an access
 *   within [r1, r1 + r2) for the r2 of that run), and nothing resizes a region during a run (the runtime sets the
 *   input and context lengths before calling the program; no helper changes them).
 * - `terminates` drops the per-block budget charges (`metered: false`, translate.ts), unless the caller asks for a
 *   budget (`CompileOptions.budget`): a run of an unmetered module has no instruction budget and counts no steps.
 *
 * A wrong fact cannot reach the host: every guest address is still an offset into the Wasm memory, which the engine
 * bounds-checks, so the worst a false `inBounds` does is let the program touch another guest region (what the
 * check would have faulted on). Without facts, every access and every block keeps its check, and every fault its
 * exact message and pc.
 */

/** JitFacts is what the JIT may rely on (the shape of the verifier's `VerifierFacts`). */
export interface JitFacts {
  /** Slots of load, store and atomic instructions proved in bounds of the region they access (input included). */
  readonly inBounds: ReadonlySet<number>;
  /** Whether every run provably terminates (then no instruction budget is needed). */
  readonly terminates: boolean;
}

/** NO_FACTS is what an unverified program gets: nothing proved, every check kept. */
export const NO_FACTS: JitFacts = Object.freeze({ inBounds: new Set<number>(), terminates: false });

/** meteredWith says whether a module compiled with `facts` charges the budget: always, unless it provably terminates and no budget is asked for. */
export const meteredWith = (facts: JitFacts | undefined, budget: boolean | undefined): boolean => budget === true || !facts?.terminates;
