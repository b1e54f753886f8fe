/**
 * Where bpftime-vm caches what it compiles, shared by its caches (compiled Wasm modules, src/runtime/wasm-cache.ts;
 * the native agent's shared objects, src/native/aot.ts): `$XDG_CACHE_HOME/bpftime-vm` as the XDG base directory
 * specification places per-user caches, `~/.cache/bpftime-vm` when the variable is unset or empty. Each cache only
 * saves time, and an environment variable turns it off: `BPFTIME_VM_CACHE=0` the Wasm modules and the CLI's code
 * cache (src/cli/code-cache.ts), `BPFTIME_VM_CODE_CACHE=0` the code cache alone.
 */

/** CacheEnv is the part of the environment the cache location depends on. */
export type CacheEnv = Readonly<Record<string, string | undefined>>;

const proc = (globalThis as { process?: { env?: CacheEnv } }).process;

/** cacheRoot returns bpftime-vm's cache directory, or a subdirectory of it (`cacheRoot('native')`). */
export function cacheRoot(sub?: string, env: CacheEnv = proc?.env ?? {}): string {
  const base = env.XDG_CACHE_HOME || `${env.HOME || '/tmp'}/.cache`;
  return sub ? `${base}/bpftime-vm/${sub}` : `${base}/bpftime-vm`;
}

/** switchedOff reads an environment switch that turns a cache off: `0`, `off`, `false` or `no` (any case). */
export function switchedOff(value: string | undefined): boolean {
  const v = value?.toLowerCase();
  return v === '0' || v === 'off' || v === 'false' || v === 'no';
}

/** DirFs is the part of node:fs makeDirs uses (passed in: this module also runs where there is no file system). */
export interface DirFs {
  existsSync(path: string): boolean;
  mkdirSync(path: string): void;
}

/** parentDir is the directory holding `path` (`/` and `C:\` are their own), without node:path. */
function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return path;
  if (cut === 0 || (cut === 2 && path[1] === ':')) return path.slice(0, cut + 1);
  return path.slice(0, cut);
}

/**
 * makeDirs makes a cache directory and its missing parents one at a time. Not `mkdirSync(dir, { recursive: true })`:
 * Node's loops forever where mkdir answers ENOENT under a parent that exists (a cache directory under /proc). Errors
 * other than a directory another process made meanwhile are thrown, for the cache to count as a miss.
 */
export function makeDirs(dir: string, fs: DirFs): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = parentDir(d)) {
    missing.push(d);
    if (parentDir(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
  }
}
