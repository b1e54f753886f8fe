/**
 * The disk cache of compiled Wasm modules (src/jit-wasm/cache.ts decides what may be reused; this file keeps the
 * entries): `wasm/` in bpftime-vm's cache directory (cache-dir.ts), two files per entry named by the key, `KEY.wasm`
 * and `KEY.json`, each written to a temporary file and renamed into place, so concurrent processes (the conformance
 * runner starts one plugin per test) see a whole entry or none. Any error reading or writing is a miss, never a
 * failure of the compile.
 *
 * It is on where the file system is there (Node; browsers have none) and the build identifies its compiler (the
 * bundles in dist/ carry a hash of their sources, scripts/build.mjs; running from the TypeScript sources there is no
 * such identity, so only an explicit ModuleCache is used). `BPFTIME_VM_CACHE=0` (or `off`) turns it off;
 * `BPFTIME_VM_DEBUG=cache` reports each lookup on stderr.
 */
import type { ModuleCache, ModuleStore } from '../jit-wasm/index.js';
import { cacheRoot, makeDirs, switchedOff } from './cache-dir.js';

interface FsLike {
  readFileSync(path: string): Uint8Array;
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: Uint8Array | string): void;
  renameSync(from: string, to: string): void;
  existsSync(path: string): boolean;
  mkdirSync(path: string): void;
  rmSync(path: string, opts: { force: true }): void;
}

type Proc = { getBuiltinModule?: (name: string) => unknown; env?: Record<string, string | undefined>; pid?: number; stderr?: { write(s: string): void } };
const proc = (globalThis as { process?: Proc }).process;

declare const BPFTIME_VM_BUILD_ID: string | undefined;
/** BUILD_ID identifies the compiler of a bundled build (scripts/build.mjs defines it); undefined from the sources. */
const BUILD_ID: string | undefined = typeof BPFTIME_VM_BUILD_ID === 'string' ? BPFTIME_VM_BUILD_ID : undefined;

/** fileStore keeps entries as files in `dir` (created on the first write). */
export function fileStore(dir: string, fs: FsLike | undefined = proc?.getBuiltinModule?.('node:fs') as FsLike | undefined): ModuleStore | undefined {
  if (!fs) return undefined;
  let made = false;
  let seq = 0;
  const put = (path: string, data: Uint8Array | string) => {
    const tmp = `${path}.${proc?.pid ?? 0}.${seq++}.tmp`;
    try {
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, path);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  };
  return {
    read(key) {
      try {
        return { meta: fs.readFileSync(`${dir}/${key}.json`, 'utf8'), bytes: fs.readFileSync(`${dir}/${key}.wasm`) };
      } catch {
        return undefined;
      }
    },
    write(key, meta, bytes) {
      try {
        if (!made) makeDirs(dir, fs);
        made = true;
        // The bytes first: a reader that finds the metadata then checks them against its hash.
        put(`${dir}/${key}.wasm`, bytes);
        put(`${dir}/${key}.json`, meta);
      } catch {
        // A cache that cannot be written (read-only home, full disk) only costs the next compile.
      }
    },
  };
}

/** cacheDisabled reports whether the environment turns the cache off (BPFTIME_VM_CACHE, cache-dir.ts). */
export function cacheDisabled(env: Record<string, string | undefined> = proc?.env ?? {}): boolean {
  return switchedOff(env.BPFTIME_VM_CACHE);
}

let defaultCache: ModuleCache | null | undefined;

/** defaultModuleCache is the cache compiles use unless told otherwise: on disk, or none (see the file comment). */
export function defaultModuleCache(): ModuleCache | undefined {
  if (defaultCache === undefined) {
    const store = BUILD_ID && !cacheDisabled() ? fileStore(cacheRoot('wasm')) : undefined;
    defaultCache = store ? { store, compilerId: BUILD_ID!, ...(debugCache() && { log: logLookup }) } : null;
  }
  return defaultCache ?? undefined;
}

/** moduleCache makes a cache in `dir` for a compiler id (tests, and embedders that manage their own). */
export function moduleCache(dir: string, compilerId: string): ModuleCache | undefined {
  const store = fileStore(dir);
  return store && { store, compilerId, ...(debugCache() && { log: logLookup }) };
}

/** debugCache reports whether `BPFTIME_VM_DEBUG` asks for the cache's lookups on stderr. */
export function debugCache(): boolean {
  return (proc?.env?.BPFTIME_VM_DEBUG ?? '').split(',').includes('cache');
}

/** debugLog writes one line of debug output to stderr (where there is one). */
export function debugLog(line: string): void {
  proc?.stderr?.write(`bpftime-vm: ${line}\n`);
}

function logLookup(event: 'hit' | 'miss' | 'stale', key: string, why?: string): void {
  debugLog(`wasm cache ${event} ${key}${why ? `: ${why}` : ''}`);
}
