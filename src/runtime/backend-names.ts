/**
 * The names of the backends, apart from the backends themselves so that the CLI can declare `--backend` (and print
 * its help) without loading the interpreter and the JIT.
 */

/** ENGINES are the backends that run code; `auto` resolves to one of them. */
export const ENGINES = ['interp', 'wasm-fast', 'wasm-opt'] as const;
/** BACKENDS lists the backend names a user may choose. */
export const BACKENDS = [...ENGINES, 'auto'] as const;

/** BackendName is an engine: what a program actually runs on (never 'auto'). */
export type BackendName = (typeof ENGINES)[number];
/** BackendChoice is what a user may ask for. */
export type BackendChoice = (typeof BACKENDS)[number];
