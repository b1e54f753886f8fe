/**
 * The one module that touches binaryen (STYLE.md rule 1, as AssemblyScript confines it to `module.ts`). binaryen is
 * an ES module with a top-level await that takes about half a second to import, so it is loaded on demand: callers
 * await `loadBinaryen()` once (the runtime does it when a wasm backend is chosen) and everything after that, compiling
 * included, is synchronous. The rest of src/jit-wasm sees only the types and the handle re-exported here.
 *
 * Where binaryen comes from depends on the build: `./binaryen-default.js` imports the package in Node, and the browser
 * bundle swaps in `./binaryen-default.browser.js`, which imports it at run time from a URL the page provides
 * (`setBinaryenSource`, or an import map for the bare name). binaryen's own module runs in browsers as it is; only
 * bundling it fails, on a `node:module` import that it makes only under Node, so no bundle ever contains it.
 */
import type binaryenTypes from 'binaryen';
import { NotSupportedError, UsageError } from '../errors.js';
import { DEFAULT_BINARYEN_SOURCE, SOURCE_HINT } from './binaryen-default.js';

/** Binaryen is the namespace of the binaryen package. */
export type Binaryen = typeof binaryenTypes;
/** Mod is a binaryen module under construction. */
export type Mod = binaryenTypes.Module;
/** Expr is a binaryen expression reference. */
export type Expr = number;
/** RelooperBlock is a block handed to binaryen's Relooper. */
export type RelooperBlock = number;

/**
 * BinaryenSource says where binaryen is imported from: a module URL or specifier (in a browser, e.g. the URL where
 * the page serves `binaryen/index.js`), or a function that imports it (`() => import('binaryen')` under a bundler that
 * can bundle it).
 */
export type BinaryenSource = string | URL | (() => Promise<unknown>);

let source: BinaryenSource | undefined;
let loaded: Binaryen | undefined;
let pending: Promise<Binaryen> | undefined;

/** setBinaryenSource changes where `loadBinaryen` imports binaryen from; only before it has been loaded. */
export function setBinaryenSource(from: BinaryenSource): void {
  if (loaded) throw new UsageError('binaryen-loaded', 'binaryen is already loaded; set its source before the first wasm-opt use');
  source = from;
}

async function importBinaryen(from: BinaryenSource): Promise<Binaryen> {
  let mod: unknown;
  try {
    // A computed specifier: bundlers leave it to the browser (the comments keep webpack and Vite from trying).
    mod = typeof from === 'function' ? await from() : await import(/* webpackIgnore: true */ /* @vite-ignore */ String(from));
  } catch (e) {
    const what = typeof from === 'function' ? 'the configured import function' : `"${String(from)}"`;
    throw new NotSupportedError('binaryen-unavailable', `the wasm-opt backend needs binaryen: importing ${what} failed: ${e instanceof Error ? e.message : String(e)}${SOURCE_HINT}`, {}, { cause: e });
  }
  const ns = ((mod as { default?: unknown }).default ?? mod) as Binaryen;
  if (typeof ns?.Module !== 'function') throw new NotSupportedError('binaryen-unavailable', `the wasm-opt backend needs binaryen: ${typeof from === 'function' ? 'the configured import' : `"${String(from)}"`} is not the binaryen module`);
  return ns;
}

/** loadBinaryen imports binaryen once; later calls return the same namespace. A failed import may be retried. */
export async function loadBinaryen(): Promise<Binaryen> {
  if (loaded) return loaded;
  pending ??= importBinaryen(source ?? DEFAULT_BINARYEN_SOURCE).then(
    (b) => (loaded = b),
    (e: unknown) => {
      pending = undefined;
      throw e;
    },
  );
  return pending;
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
