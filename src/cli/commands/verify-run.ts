/**
 * Running `verify` (./verify.ts) as the script dist/verify.cjs with a V8 code cache (../code-cache.ts): a new
 * `bpftime-vm verify` process then does not parse and compile the assembler and the verifier again (bench/RESULTS.md,
 * "The V8 code cache"). The script leaves out the modules that must be one copy
 * in the process, and this module hands it the CLI's: the error classes (`instanceof` decides the exit code), the
 * output (its stdio state) and ./verify-deps.ts (the dynamic imports of objects and kernel helpers, which a script
 * compiled by `vm.Script` cannot make). Built by scripts/build.mjs, which names these `host:` modules.
 */
import { fileURLToPath } from 'node:url';
import * as errors from '../../errors.js';
import type { Command } from '../command.js';
import { loadScript } from '../code-cache.js';
import * as output from '../output.js';
import * as tiering from '../tiering.js';
import * as verifyDeps from './verify-deps.js';

/** VERIFY_SCRIPT is the script's file name beside the CLI's bundle (dist/). */
export const VERIFY_SCRIPT = 'verify.cjs';

/** verifyFile runs the verify script's `verifyFile`; the code cache is written on exit when it was not used. */
export const verifyFile: Command['run'] = async (parsed, out) => {
  // Before the script is compiled: V8 keys the code cache by its flags, and this sets one.
  tiering.deferOptimisation();
  const { exports, save } = loadScript(fileURLToPath(new URL(`./${VERIFY_SCRIPT}`, import.meta.url)), {
    'host:src/errors.ts': errors,
    'host:src/cli/output.ts': output,
    'host:src/cli/commands/verify-deps.ts': verifyDeps,
    'host:src/cli/tiering.ts': tiering,
  });
  const code = await (exports.verifyFile as Command['run'])(parsed, out);
  // On exit: main.ts ends `verify` right after its output (process.exit emits 'exit'), or the event loop drains a pipe
  // that pushed back first; either way the output is out before the cache is written.
  if (save) process.once('exit', save);
  return code;
};
