/**
 * Running a CLI script (dist/verify.cjs, built by scripts/build.mjs) with a V8 code cache: the bytecode V8 compiled
 * for the script in an earlier process, so a later one does not parse and compile it again (Node 20 has no code cache
 * for ES modules: `module.enableCompileCache` is Node 22). The cache holds the script as V8 compiled it to run its top
 * level, taken right after that ran: a cache taken after the command, with the bytecode of every function the first
 * verification called, made a later verification of the generated 1000-instruction program cost more instructions
 * than no cache at all (cachegrind, bench/RESULTS.md "The V8 code cache"), and would make the cache depend on the
 * first input. It is written only when it was missing, stale or rejected, on exit after the command's output (the
 * caller saves it), so a warm run only reads it.
 *
 * Where: `$XDG_CACHE_HOME/bpftime-vm/code-cache/` (../runtime/cache-dir.ts), one file per script, Node version,
 * architecture and install (its path), starting with a line that names what the bytecode was compiled from: Node's
 * and V8's versions, the architecture, Node's flags, and the script file's path, size, times, inode and device. Any
 * difference (an upgrade, a rebuild, another flag) reads as no cache, and V8 itself refuses data of another version
 * or flags (`cachedDataRejected`); both rewrite it. It only saves time: a missing, unreadable or read-only cache
 * directory runs the script compiled from its source, as does `BPFTIME_VM_CODE_CACHE=0` (or `off`; `BPFTIME_VM_CACHE=0`
 * turns off every bpftime-vm cache), which neither reads nor writes it. Writes go through a private file renamed into place.
 */
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NotSupportedError } from '../errors.js';
import { cacheRoot, makeDirs, switchedOff, type CacheEnv } from '../runtime/cache-dir.js';

// Node's fs through `require`, as in stdio.ts (an ES module import of node:fs loads fs/promises and the streams).
const require = createRequire(import.meta.url);
const fs: typeof import('node:fs') = require('node:fs');
const vm: typeof import('node:vm') = require('node:vm');

/** CODE_CACHE_DIR is the cache's subdirectory of bpftime-vm's cache directory. */
export const CODE_CACHE_DIR = 'code-cache';
/** The cache file's format, the first item of its key line. */
const FORMAT = 1;

/**
 * LoadedScript is a script's `module.exports` and, when the cache was missing, stale or rejected, the function that
 * writes the new one (call it once the command's output is out).
 */
export interface LoadedScript {
  exports: Record<string, unknown>;
  save?: () => void;
}

/** ScriptWrapper is what a CLI script evaluates to: its CommonJS body (scripts/build.mjs wraps it). */
type ScriptWrapper = (require: (id: string) => unknown, module: { exports: Record<string, unknown> }, exports: Record<string, unknown>, importMetaUrl: string) => void;

/** fnv1a hashes text to 8 hex digits (the cache file's name; its first line is the full key). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** codeCacheEnabled reports whether the environment leaves the code cache on (BPFTIME_VM_CODE_CACHE, BPFTIME_VM_CACHE). */
export function codeCacheEnabled(env: CacheEnv): boolean {
  return !switchedOff(env.BPFTIME_VM_CODE_CACHE) && !switchedOff(env.BPFTIME_VM_CACHE);
}

/** codeCacheFile returns the cache file of a script for this Node and architecture. */
export function codeCacheFile(script: string, env: CacheEnv): string {
  return join(cacheRoot(CODE_CACHE_DIR, env), `${basename(script).replace(/\.[^.]*$/, '')}-${fnv1a(JSON.stringify([script, process.version, process.arch]))}.bin`);
}

/** readCache returns the cached data stored under `key`, or undefined (absent, unreadable, another key). */
function readCache(file: string, key: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = bytes.indexOf(10);
  return nl > 0 && bytes.toString('utf8', 0, nl) === key ? bytes.subarray(nl + 1) : undefined;
}

/** writeCache stores the key line and the data atomically; a failure (read-only, full disk) leaves no file. */
function writeCache(file: string, key: string, data: Buffer): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  try {
    makeDirs(dir, fs);
    fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${key}\n`), data]));
    fs.renameSync(tmp, file);
  } catch {
    // The cache only saves time: the next run compiles from the source and tries again.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // Its directory could not be made: there is no file to remove.
    }
  }
}

/**
 * loadScript compiles and runs a CLI script with the code cache. `modules` are what the script requires from the
 * process's ES module graph (the `host:` ids scripts/build.mjs gives the modules it leaves out of the script, so one
 * copy of the error classes and of the output state exists); anything else it requires is Node's.
 */
export function loadScript(file: string, modules: Readonly<Record<string, unknown>>, env: CacheEnv = process.env): LoadedScript {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    // A build or an install without the script (dist/ is built as a whole): say so, not "no such file".
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new NotSupportedError('incomplete-build', `${file} is missing: build the checkout again (npm run build) or reinstall bpftime-vm`);
  }
  let source: string;
  let stat: import('node:fs').Stats;
  try {
    stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const enabled = codeCacheEnabled(env);
  const cacheFile = enabled ? codeCacheFile(file, env) : '';
  const key = JSON.stringify([
    FORMAT, process.version, process.versions.v8, process.arch, process.execArgv, env.NODE_OPTIONS ?? '',
    file, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.dev,
  ]);
  const cachedData = enabled ? readCache(cacheFile, key) : undefined;
  const script = new vm.Script(source, { filename: file, cachedData });
  const wrapper = script.runInThisContext() as ScriptWrapper;
  const hostRequire = createRequire(file);
  const module = { exports: {} as Record<string, unknown> };
  wrapper((id) => (Object.hasOwn(modules, id) ? modules[id] : hostRequire(id)), module, module.exports, pathToFileURL(file).href);
  const fresh = enabled && (cachedData === undefined || script.cachedDataRejected === true);
  if (!fresh) return { exports: module.exports };
  const data = script.createCachedData();
  return { exports: module.exports, save: () => writeCache(cacheFile, key, data) };
}
