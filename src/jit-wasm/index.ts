/** The eBPF to WebAssembly JIT (DESIGN.md section 6): translation, instantiation against guest memory, the module ABI. */
export { loadBinaryen } from './module.js';
export { compileProgram, OPT_LEVELS } from './compile.js';
export type { CompileOptions, CompiledProgram, Tier, LddwResolver, LddwImport } from './compile.js';
export { JitProgram } from './instance.js';
export type { JitEnv, JitRun } from './instance.js';
export * as abi from './abi.js';
