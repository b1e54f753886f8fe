/** What the interpreter benchmark needs, bundled (twice: with and without literal case labels) by scripts/bench.mjs. */
export { Interpreter } from '../src/vm/index.js';
export { assemble } from '../src/isa/index.js';
export { runBigIntRegisters } from './alt/bigint-registers.js';
