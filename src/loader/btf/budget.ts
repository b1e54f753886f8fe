/**
 * A step budget for walks over type graphs whose cost a malformed blob could make exponential (a function prototype
 * whose parameters point back at it, a struct of many anonymous copies of itself). Depth limits alone do not bound
 * those; counting every step does, and running out is a LoadError rather than a hang.
 */

/** WorkBudget counts steps down and throws the error `exhausted` builds when none are left. */
export class WorkBudget {
  #left: number;

  constructor(
    steps: number,
    private readonly exhausted: () => Error,
  ) {
    this.#left = steps;
  }

  /** spend takes one step. */
  spend(): void {
    if (--this.#left < 0) throw this.exhausted();
  }
}
