/**
 * Node's `fs` for the modules that every short command loads (output, reading the input). Through `require`, not
 * `import ... from 'node:fs'`: in Node 20 an ES module importing a built-in gets a namespace built from all of its
 * exports, and reading `fs.promises` for it loads `fs/promises` with the stream stack, 19 internal modules and ~7 M
 * instructions (~5% of `bpftime-vm verify` of a small program) that these commands never use (bench/RESULTS.md,
 * "the process around the verification").
 */
import { createRequire } from 'node:module';

/** fs is Node's `node:fs` module, loaded without an ES module namespace. */
export const fs: typeof import('node:fs') = createRequire(import.meta.url)('node:fs');
