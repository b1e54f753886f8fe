/** The interpreter's default limits, apart from the interpreter so that the CLI's help can print them cheaply. */

/** DEFAULT_BUDGET is the instruction budget of a run unless the caller sets one (about a second of interpretation). */
export const DEFAULT_BUDGET = 100_000_000;
/** DEFAULT_MAX_CALL_DEPTH is the number of call frames, as the kernel's MAX_CALL_FRAMES. */
export const DEFAULT_MAX_CALL_DEPTH = 8;
