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
