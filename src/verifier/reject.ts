/**
 * The internal form of a rejection, thrown where a rule fails and turned into a `VerifierError` (with the state,
 * the path and the source line) by the exploration, which knows them.
 */

/** Reject is a failed rule: a stable `rule` code, the reason in plain words, the pc and the registers involved. */
export class Reject extends Error {
  constructor(
    readonly rule: string,
    readonly reason: string,
    readonly pc?: number,
    /** Registers whose state explains the rejection (printed with the error). */
    readonly regs: readonly number[] = [],
  ) {
    super(reason);
  }
}

/** reject throws a Reject; `never` lets callers use it in expressions. */
export function reject(rule: string, reason: string, regs: readonly number[] = []): never {
  throw new Reject(rule, reason, undefined, regs);
}
