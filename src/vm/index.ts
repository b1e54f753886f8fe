/** The reference interpreter: the semantics oracle every other backend is tested against. */
export { Interpreter, DEFAULT_BUDGET, DEFAULT_MAX_CALL_DEPTH, NO_RUN_OPTIONS } from './machine.js';
export type { InterpreterOptions, RunOptions, RunResult } from './machine.js';
export { traceRun } from './trace.js';
export type { TraceStep, RegChange } from './trace.js';
export { prepare, TEXT_BASE } from './prepare.js';
export type { Prepared, LddwResolver } from './prepare.js';
