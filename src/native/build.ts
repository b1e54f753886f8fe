/**
 * Where the native layer's built files are, and building them on first use for an installed package (docs/native.md,
 * "Build"). A checkout builds native-hooks/ in place (`make -C native-hooks` -> native-hooks/build/, as the tests and
 * CI do). The npm package ships native-hooks' sources instead; its live-process commands build what they use (`make
 * live`: the agent, bpftime-inject, the addon, the helper list) once into the user's cache,
 * `$XDG_CACHE_HOME/bpftime-vm/native/layer-HASH/`, beside the compiled programs of aot.ts. HASH covers the sources,
 * the compiler's version and the system headers compiled in (wasm-rt.h, capstone.h), so an upgrade of either builds
 * anew and two package versions never share a build; the hash and the tools' answers are kept in the toolchain stamp
 * (stamp.ts), so a command whose layer is built spawns nothing to find it. The build happens in a private directory
 * renamed into place, under a lock directory (mkdir is atomic) that a second first use waits on; a lock left by a
 * dead process is taken over.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotSupportedError } from '../errors.js';
import { cacheRoot, makeDirs } from '../runtime/cache-dir.js';
import { checkPrerequisites, type Prerequisites } from './prerequisites.js';
import { processAlive } from './proc.js';
import { stamped } from './stamp.js';

/** NativeLayer says where the native layer's sources are and where its built files are (or will be). */
export interface NativeLayer {
  /** native-hooks/ of this checkout or package. */
  root: string;
  /** The directory of the built files: root/build in a checkout, the cache directory for a package. */
  buildDir: string;
  /** A git checkout builds in place with `make -C native-hooks`; a package builds into the cache on first use. */
  checkout: boolean;
}

/** NativeBuildOptions configures prepareNative. */
export interface NativeBuildOptions {
  env?: NodeJS.ProcessEnv;
  /** Where progress lines go (default: standard error). */
  progress?: (line: string) => void;
}

/** LIVE_FILES are the built files the control plane uses (the Makefile's `live` target). */
export const LIVE_FILES = ['libbpftime-agent.so', 'bpftime-inject', 'bpftime_shm.node', 'runtime-helpers.txt'] as const;
/** LiveFile is one of them. */
export type LiveFile = (typeof LIVE_FILES)[number];

/** findNativeHooks returns the native-hooks directory beside the sources or the bundle (undefined when absent). */
export function findNativeHooks(): string | undefined {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const candidate = join(d, 'native-hooks');
    if (existsSync(join(candidate, 'include', 'bpftime_shm.h'))) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/** nativeSourcesMissing is the error when no native-hooks/ is beside the code (a bundle copied out of its package). */
export function nativeSourcesMissing(): NotSupportedError {
  return new NotSupportedError('native-sources', `the native layer's sources (native-hooks/) are not beside ${fileURLToPath(import.meta.url)}: install the bpftime-vm package again`);
}

/** sourceTree lists native-hooks' files (relative paths, build/ aside, in a stable order) and its directories. */
function sourceTree(root: string): { files: string[]; dirs: string[] } {
  const dirs: string[] = [];
  const walk = (dir: string): string[] => {
    dirs.push(join(root, dir));
    return readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => !(dir === '' && e.name === 'build'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
  };
  return { files: walk(''), dirs };
}

/**
 * layerHash is the content hash that names a package's build: sources, compiler version, headers compiled in. It is
 * kept in the toolchain stamp with the stat of every source file and directory (a directory's times change when a
 * file is added, removed or renamed in it) and of the headers, which costs a few milliseconds where reading and
 * hashing the 0.8 MB of sources cost 25-30.
 */
export function layerHash(root: string, pre: Prerequisites, env: NodeJS.ProcessEnv): string {
  return stamped({
    dir: cacheRoot('native', env),
    key: JSON.stringify({ layer: root, cc: pre.ccVersion, headers: pre.headers }),
    valid: (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v),
    env,
    compute: () => {
      const tree = sourceTree(root);
      const h = createHash('sha256').update(pre.ccVersion).update('\0');
      for (const f of tree.files) h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
      for (const f of pre.headers) h.update(f).update('\0').update(readFileSync(f)).update('\0');
      return { value: h.digest('hex').slice(0, 32), files: [...tree.dirs, ...tree.files.map((f) => join(root, f)), ...pre.headers] };
    },
  });
}

/** Located is a layer with the prerequisites found while hashing it (none for a checkout, which builds with make). */
interface Located {
  layer: NativeLayer;
  pre?: Prerequisites;
}

const layers = new Map<string, Located>();

/** locate finds the layer and, for a package, its prerequisites, once per process and environment. */
function locate(env: NodeJS.ProcessEnv): Located {
  const root = findNativeHooks();
  if (!root) throw nativeSourcesMissing();
  if (existsSync(join(root, '..', '.git'))) return { layer: { root, buildDir: join(root, 'build'), checkout: true } };
  // Everything of the environment that the prerequisites and the cache location depend on.
  const key = JSON.stringify([root, ...['XDG_CACHE_HOME', 'HOME', 'CC', 'BPFTIME_WASM2C', 'PATH', 'CPATH', 'C_INCLUDE_PATH', 'NODE_INCLUDE'].map((k) => env[k] ?? null)]);
  let found = layers.get(key);
  if (!found) {
    const pre = checkPrerequisites(env);
    found = { layer: { root, buildDir: join(cacheRoot('native', env), `layer-${layerHash(root, pre, env)}`), checkout: false }, pre };
    layers.set(key, found);
  }
  return found;
}

/**
 * nativeLayer locates the native layer: in a git checkout, native-hooks/build; in a package, the cache directory its
 * content hash names (computing it checks the prerequisites: NotSupportedError naming what is missing).
 */
export function nativeLayer(env: NodeJS.ProcessEnv = process.env): NativeLayer {
  return locate(env).layer;
}

/** isBuilt tells whether a layer's directory holds every file the control plane uses. */
function isBuilt(layer: NativeLayer): boolean {
  return LIVE_FILES.every((f) => existsSync(join(layer.buildDir, f)));
}

/**
 * nativeFile returns the path of a built file of the native layer. When it is missing: in a checkout, a
 * NotSupportedError saying to run make; in a package, one saying the layer is built on first use (prepareNative).
 */
export function nativeFile(file: LiveFile, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const layer = nativeLayer(env);
  const path = join(layer.buildDir, file);
  if (existsSync(path)) return path;
  if (layer.checkout) {
    throw new NotSupportedError('native-not-built', `${what} is not built (${path} is missing): run \`make -C ${layer.root}\` (needs gcc, make, libcapstone-dev and wabt)`);
  }
  throw new NotSupportedError('native-not-built', `${what} is not built yet (${path} is missing): the native layer is built on first use: await prepareNative() from bpftime-vm/native, or run any live-process command (bpftime-vm status)`);
}

/** lockOwner reads the pid a lock directory names (undefined while its owner has not written it yet). */
function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * takeLock creates the lock directory, or waits while a live process holds it; a lock of a dead process is moved
 * aside and taken. Returns false when the build appeared meanwhile (another process finished it).
 */
async function takeLock(layer: NativeLayer, lock: string, progress: (line: string) => void): Promise<boolean> {
  let said = false;
  let ownerless = 0;
  for (;;) {
    if (isBuilt(layer)) return false;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = lockOwner(lock);
    // A lock without a pid for 5 s: its creator died between mkdir and the write.
    ownerless = owner === undefined ? ownerless + 1 : 0;
    if ((owner !== undefined && !processAlive(owner)) || ownerless > 20) {
      const aside = `${lock}.stale-${process.pid}`;
      try {
        renameSync(lock, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // Another waiter moved it first.
      }
      continue;
    }
    if (!said && owner !== undefined) progress(`bpftime-vm: waiting for process ${owner}, which is building the native layer ...`);
    said ||= owner !== undefined;
    await sleep(250);
  }
}

/** runMake builds the `live` target into `out`; a failure is a NotSupportedError with make's last lines. */
function runMake(layer: NativeLayer, out: string, pre: Prerequisites, env: NodeJS.ProcessEnv): Promise<void> {
  const jobs = String(Math.min(8, availableParallelism()));
  // CFLAGS and LDFLAGS of the caller's environment would change the build without changing its hash.
  const { CFLAGS: _c, LDFLAGS: _l, MAKEFLAGS: _m, ...clean } = env;
  const args = ['-s', `-j${jobs}`, '-C', layer.root, `BUILD=${out}`, `NODE_INCLUDE=${pre.nodeInclude}`, 'live'];
  return new Promise((resolve, reject) => {
    const child = spawn('make', args, { env: { ...clean, CC: pre.cc }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', (e) => reject(new NotSupportedError('native-build', `cannot run make: ${e.message}`)));
    child.on('close', (status) => {
      if (status === 0) return resolve();
      const tail = log.trim().split('\n').slice(-15).join('\n');
      reject(new NotSupportedError('native-build', `building the native layer failed (make -C ${layer.root} live exited with ${status}):\n${tail}`));
    });
  });
}

/**
 * prepareNative makes sure the native layer is built and returns where. In a checkout it only checks (build it with
 * `make -C native-hooks`); in a package it builds it once into the cache, printing a progress line, and concurrent
 * first uses wait for one build. Errors are NotSupportedErrors naming what is missing (tools, headers, Linux x86-64).
 */
export async function prepareNative(opts: NativeBuildOptions = {}): Promise<NativeLayer> {
  const env = opts.env ?? process.env;
  const progress = opts.progress ?? ((line: string) => process.stderr.write(line + '\n'));
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NotSupportedError('native-platform', `the native layer needs Linux x86-64 (this is ${process.platform} ${process.arch})`);
  }
  const { layer, pre } = locate(env);
  if (!pre) {
    for (const f of LIVE_FILES) nativeFile(f, `the native layer (${f})`, env);
    return layer;
  }
  if (isBuilt(layer)) return layer;
  const parent = dirname(layer.buildDir);
  makeDirs(parent, { existsSync, mkdirSync });
  const lock = `${layer.buildDir}.lock`;
  if (!(await takeLock(layer, lock, progress))) return layer;
  try {
    if (isBuilt(layer)) return layer;
    const started = Date.now();
    progress(`bpftime-vm: building the native layer (once) into ${layer.buildDir} ...`);
    // make takes BUILD=DIR as one word: a cache path with white space builds in the temporary directory instead.
    const work = mkdtempSync(join(parent, '.layer-build-'));
    const out = /\s/.test(work) ? mkdtempSync(join(tmpdir(), 'bpftime-vm-layer-')) : join(work, 'make');
    try {
      await runMake(layer, out, pre, env);
      // Only the files the control plane uses are kept (the objects and archives are most of the build's size).
      const final = join(work, 'layer');
      mkdirSync(final);
      for (const f of LIVE_FILES) copyFileSync(join(out, f), join(final, f), constants.COPYFILE_EXCL);
      // A complete build of another process (two took a stale lock at once) is kept; an incomplete one, left by hand,
      // is replaced.
      if (!isBuilt(layer)) {
        rmSync(layer.buildDir, { recursive: true, force: true });
        try {
          renameSync(final, layer.buildDir);
        } catch (e) {
          if (!isBuilt(layer)) throw e;
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
    progress(`bpftime-vm: built the native layer in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return layer;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
