/**
 * Running `verify` (./verify.ts) as the script dist/verify.cjs with a V8 code cache (../code-cache.ts): a new
 * `bpftime-vm verify` process then does not parse and compile the assembler and the verifier again (bench/RESULTS.md,
 * "The V8 code cache"). The script leaves out the modules that must be one copy
 * in the process, and this module hands it the CLI's: the error classes (`instanceof` decides the exit code), the
 * output (its stdio state) and ./verify-deps.ts (the dynamic imports of objects and kernel helpers, which a script
 * compiled by `vm.Script` cannot make). Built by scripts/build.mjs, which names these `host:` modules.
 *
 * An ELF object runs verify.ts as an ES module instead: it needs the loader and the verifier's object entry, which
 * are ES modules (verify-deps.ts), and the script would only add its own copy of the verifier to load (25 ms more
 * than without the script at load 3, bench/RESULTS.md "The V8 code cache").
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as errors from '../../errors.js';
import type { Command } from '../command.js';
import { loadScript } from '../code-cache.js';
import * as output from '../output.js';
import * as tiering from '../tiering.js';
import * as verifyDeps from './verify-deps.js';

/** VERIFY_SCRIPT is the script's file name beside the CLI's bundle (dist/). */
export const VERIFY_SCRIPT = 'verify.cjs';

// Node's fs through `require`, as in ../stdio.ts (an ES module import of node:fs loads fs/promises and the streams).
const fs: typeof import('node:fs') = createRequire(import.meta.url)('node:fs');

/**
 * startsAsElf reports whether a file begins with the ELF magic (0x7f 'E' 'L' 'F'); an unreadable file is left to the
 * command, which reports it.
 */
function startsAsElf(path: string | undefined): boolean {
  if (path === undefined) return false;
  const head = Buffer.alloc(4);
  try {
    const fd = fs.openSync(path, 'r');
    try {
      if (fs.readSync(fd, head, 0, 4, 0) < 4) return false;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
  return head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * verifyFile runs `verify`: an object through the ES modules, anything else through the script's `verifyFile` (the
 * code cache is written on exit when it was not used).
 */
export const verifyFile: Command['run'] = async (parsed, out) => {
  // Before the script is compiled: V8 keys the code cache by its flags, and this sets one.
  tiering.deferOptimisation();
  if (startsAsElf(parsed.positionals[0])) return (await import('./verify.js')).verifyFile(parsed, out);
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
