/**
 * What the verifier proved about an accepted program, as plain data for the JIT (issue 10, point 5): the JIT drops
 * the bounds checks of the accesses listed and, for a program that provably terminates, the instruction budget.
 */
import type { Facts, RegionKind } from './env.js';

/**
 * VerifierFacts is the JIT's view of a verification. `inBounds` holds the pcs of load, store and atomic instructions (atomics aligned too)
 * that every explored path proved in bounds of the region they reach: the stack, map keys and values, helper memory
 * (ring buffer records) and the input or packet (proved against r2 or `data_end` of the same run). Context accesses
 * are left out: the verifier checks them against the program type's context layout, while the runtime sizes the
 * context it builds per run (tracepoint records from tracefs, for one), so the two need not agree byte for byte.
 * `terminates` says every path ends (loops proved bounded), so no instruction budget is needed. `ctxInBounds` holds
 * the context accesses proved inside the program type's layout, for a host that builds exactly that layout on every
 * run (the native agent's 168-byte pt_regs of uprobes: src/native/verify-hook.ts).
 */
export interface VerifierFacts {
  inBounds: ReadonlySet<number>;
  terminates: boolean;
  ctxInBounds: ReadonlySet<number>;
}

/** NO_VERIFIER_FACTS is what a rejected program gets: nothing proved. */
export const NO_VERIFIER_FACTS: VerifierFacts = Object.freeze({ inBounds: Object.freeze(new Set<number>()) as ReadonlySet<number>, terminates: false, ctxInBounds: Object.freeze(new Set<number>()) as ReadonlySet<number> });

/** IN_BOUNDS_REGIONS are the regions whose accesses the facts vouch for. */
const IN_BOUNDS_REGIONS: ReadonlySet<RegionKind> = new Set<RegionKind>(['stack', 'map_value', 'map_key', 'packet', 'mem']);

/** verifierFacts turns what an accepted exploration recorded into the JIT's facts. */
export function verifierFacts(f: Facts): VerifierFacts {
  if (!f.safe) return NO_VERIFIER_FACTS;
  const inBounds = new Set<number>();
  const ctxInBounds = new Set<number>();
  for (const [pc, regions] of f.access) {
    if ([...regions].every((r) => IN_BOUNDS_REGIONS.has(r))) inBounds.add(pc);
    else if ([...regions].every((r) => r === 'ctx')) ctxInBounds.add(pc);
  }
  return { inBounds, terminates: f.terminates, ctxInBounds };
}
