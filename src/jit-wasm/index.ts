/**
 * The eBPF to WebAssembly JIT (DESIGN.md section 6, docs/jit-wasm.md): `loadBinaryen` once, then `compileProgram`
 * translates a validated program and `JitProgram` instantiates it against guest memory; `abi` names the imports and
 * exports a host implements.
 */
export { loadBinaryen, setBinaryenSource } from './module.js';
export type { BinaryenSource } from './module.js';
export { compileProgram, OPT_LEVELS, usesBinaryen } from './compile.js';
export type { CompileOptions, CompiledProgram, Tier, LddwResolver, LddwImport } from './compile.js';
export { JitProgram } from './instance.js';
export type { JitEnv, JitRun } from './instance.js';
export type { InlineMap, MapLookup } from './inline-map.js';
export { NO_FACTS, type JitFacts } from './facts.js';
export * as abi from './abi.js';
export { compileCached } from './cache.js';
export type { CachedCompile, ModuleCache, ModuleStore } from './cache.js';
