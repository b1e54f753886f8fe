/**
 * Where binaryen comes from in the browser bundle (scripts/build.mjs selects this module instead of
 * `binaryen-default.ts`): the bare name `binaryen`, which a page maps to binaryen's `index.js` with an import map, or
 * whatever the page passes to `setBinaryenSource`. binaryen is 15 MB, so no bundle carries it: it is fetched only when
 * wasm-opt is first used.
 */

/** DEFAULT_BINARYEN_SOURCE is the bare module name, resolved by the page's import map. */
export const DEFAULT_BINARYEN_SOURCE = 'binaryen';

/** SOURCE_HINT ends the error raised when binaryen cannot be imported. */
export const SOURCE_HINT = ": serve binaryen's index.js and call setBinaryenSource(url) before using wasm-opt, or map \"binaryen\" to it in an import map";
