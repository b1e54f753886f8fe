/**
 * Where binaryen comes from in Node: the `binaryen` package, a dependency of bpftime-vm. The browser bundle replaces
 * this module with `binaryen-default.browser.ts` (scripts/build.mjs); both export the same names.
 */

/** DEFAULT_BINARYEN_SOURCE imports the binaryen package from node_modules. */
export const DEFAULT_BINARYEN_SOURCE = (): Promise<unknown> => import('binaryen');

/** SOURCE_HINT ends the error raised when binaryen cannot be imported. */
export const SOURCE_HINT = ' (it is a dependency of bpftime-vm: reinstall the package)';
