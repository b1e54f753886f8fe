/**
 * The one module that touches binaryen (STYLE.md rule 1, as AssemblyScript confines it to `module.ts`). binaryen is
 * an ES module with a top-level await that takes about half a second to import, so it is loaded on demand: callers
 * await `loadBinaryen()` once (the runtime does it when a wasm backend is chosen) and everything after that, compiling
 * included, is synchronous. The rest of src/jit-wasm sees only the types and the handle re-exported here.
 */
import type binaryenTypes from 'binaryen';
import { NotSupportedError } from '../errors.js';

/** Binaryen is the namespace of the binaryen package. */
export type Binaryen = typeof binaryenTypes;
/** Mod is a binaryen module under construction. */
export type Mod = binaryenTypes.Module;
/** Expr is a binaryen expression reference. */
export type Expr = number;
/** RelooperBlock is a block handed to binaryen's Relooper. */
export type RelooperBlock = number;

let loaded: Binaryen | undefined;

/** loadBinaryen imports binaryen once; later calls return the same namespace. */
export async function loadBinaryen(): Promise<Binaryen> {
  loaded ??= (await import('binaryen')).default;
  return loaded;
}

/** binaryen returns the loaded namespace; compiling before `loadBinaryen` resolved is a programming error. */
export function binaryen(): Binaryen {
  if (!loaded) throw new NotSupportedError('jit-not-loaded', 'the wasm backends need binaryen: await loadBinaryen() first');
  return loaded;
}

/** OptimizeOptions selects binaryen's optimisation for a tier. */
export interface OptimizeOptions {
  /** binaryen optimize level (0: no passes). */
  level: number;
  shrink: number;
  /** Passes to run instead of the level's default pipeline. */
  passes?: readonly string[];
}

/**
 * finishModule validates (when asked), optionally optimises, and emits a binary. Validation is a debugging aid: a
 * module that fails it is a JIT bug, reported as a NotSupportedError carrying binaryen's text.
 */
export function finishModule(m: Mod, opt: OptimizeOptions, validate: boolean): Uint8Array {
  const b = binaryen();
  if (validate && !m.validate()) {
    throw new NotSupportedError('jit-invalid-module', `internal error: generated module does not validate:\n${m.emitText()}`);
  }
  if (opt.level > 0) {
    b.setOptimizeLevel(opt.level);
    b.setShrinkLevel(opt.shrink);
    if (opt.passes) m.runPasses(opt.passes);
    else m.optimize();
  }
  return m.emitBinary();
}

/** newModule creates an empty module with the features the translation uses (sign extension, mutable globals). */
export function newModule(): Mod {
  const b = binaryen();
  const m = new b.Module();
  m.setFeatures(b.Features.MVP | b.Features.SignExt | b.Features.MutableGlobals);
  return m;
}

/** binaryToText prints a module given as bytes (the direct emitter's, for `--emit wat`); binaryen must be loaded. */
export function binaryToText(bytes: Uint8Array): string {
  const b = binaryen();
  const m = b.readBinary(bytes);
  try {
    m.setFeatures(b.Features.MVP | b.Features.SignExt | b.Features.MutableGlobals);
    return m.emitText();
  } finally {
    m.dispose();
  }
}
