/**
 * Packing bpftime-vm as a user receives it and installing it where no clone exists: a copy of the checkout (the
 * files git knows, so the test never rebuilds the dist/ that other tests are running from) is packed with
 * `npm pack` (its prepack builds dist/), and the tarball is installed offline into an empty project, its
 * dependencies coming from the npm cache that `npm ci` filled.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** npmEnv is the environment for nested npm commands: without the `npm_*` variables of an enclosing `npm test`,
 * whose npm_config_local_prefix would point them at this checkout, but with its cache. */
export function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

/** npm runs an npm command and throws with its output when it fails. */
export function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed with exit code ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** copyCheckout copies the tracked and unignored files of the checkout at `root` to `dest` and links its node_modules. */
export function copyCheckout(root: string, dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    try {
      copyFileSync(join(root, f), join(dest, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the working tree, not yet in git
    }
  }
  symlinkSync(join(root, 'node_modules'), join(dest, 'node_modules'), 'dir');
}

/** packCheckout packs the copy at `dir` into `dest` and returns the tarball's path and npm's file list. */
export function packCheckout(dir: string, dest: string): { tarball: string; files: string[]; size: number } {
  // The prepack build prints a line before npm's JSON, which starts with "[" on a line of its own.
  const out = npm(['pack', '--json', '--pack-destination', dest], dir);
  const [info] = JSON.parse(out.slice(out.search(/^\[$/m))) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path), size: info.size };
}

type LockEntry = { version: string; dependencies?: Record<string, string> } & Record<string, unknown>;

/** lockClosure copies the lock entries of `names` at `root` and of everything they depend on. */
function lockClosure(root: string, names: string[]): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const out: Record<string, LockEntry> = {};
  const todo = [...names];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const key = `node_modules/${name}`;
    if (out[key]) continue;
    const entry = lock.packages[key];
    if (!entry) throw new Error(`${name} is not in package-lock.json`);
    out[key] = entry;
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }
  return out;
}

/**
 * installProject creates an empty project in `dir` that depends on the tarball (and on `devPackages` of the
 * checkout at `root`, e.g. @types/node) and installs it with `npm install --offline`. Its lockfile pins every dependency to the
 * checkout's lock entries, so npm takes the tarballs from the cache by integrity and needs no registry metadata, which
 * `npm ci` does not cache.
 */
export function installProject(root: string, dir: string, tarball: string, devPackages: string[]): void {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
  mkdirSync(dir, { recursive: true });
  const file = `file:${relative(dir, tarball)}`;
  const deps = lockClosure(root, Object.keys(pkg.dependencies as Record<string, string>));
  const dev = lockClosure(root, devPackages);
  const devDependencies = Object.fromEntries(devPackages.map((n) => [n, dev[`node_modules/${n}`].version]));
  const manifest = { name: 'bpftime-vm-package-test', private: true, type: 'module', dependencies: { 'bpftime-vm': file }, devDependencies };
  const self = { version: pkg.version, resolved: file, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines };
  const lock = {
    name: manifest.name,
    lockfileVersion: 3,
    requires: true,
    packages: { '': { dependencies: manifest.dependencies, devDependencies }, 'node_modules/bpftime-vm': self, ...deps, ...markDev(dev, deps) },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  npm(['install', '--offline', '--no-audit', '--no-fund'], dir);
}

function markDev(dev: Record<string, LockEntry>, runtime: Record<string, LockEntry>): Record<string, LockEntry> {
  return Object.fromEntries(Object.entries(dev).filter(([k]) => !runtime[k]).map(([k, v]) => [k, { ...v, dev: true }]));
}

/** run executes a command in `cwd` with the nested-npm environment (plus `env`). */
export function run(cmd: string, args: string[], cwd: string, input?: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: { ...npmEnv(), ...env }, encoding: 'utf8', input, timeout: 300_000 });
}
