/**
 * What building the native layer and compiling programs need from the machine (docs/native.md, "Build"): make, a C
 * compiler, wasm2c, the system headers compiled in (capstone.h, wasm-rt.h) and Node's headers. Running the tools'
 * `--version` costs a process spawn each (20-45 ms apiece on the shared host), which every live-process command would
 * pay; their answers are kept in the toolchain stamp (stamp.ts), keyed by the files PATH resolves the commands to and
 * checked by stat, plus the package databases, which change on every apt/rpm/apk/pacman transaction (a compiler
 * wrapper such as ccache stays the same file when the compiler behind it is upgraded).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NotSupportedError } from '../errors.js';
import { cacheRoot } from '../runtime/cache-dir.js';
import { stamped } from './stamp.js';

/**
 * PACKAGE_DATABASES are files or directories that a system package manager changes on every install or upgrade
 * (dpkg, rpm old and new, apk, pacman); an absent one is a fact too.
 */
export const PACKAGE_DATABASES = ['/var/lib/dpkg/status', '/var/lib/rpm/rpmdb.sqlite', '/var/lib/rpm/Packages', '/lib/apk/db/installed', '/var/lib/pacman/local'];

/** The search path of a spawn whose environment has no PATH (libuv's default, glibc's _PATH_DEFPATH). */
const DEFAULT_PATH = '/usr/bin:/bin';

/**
 * resolveCommand returns the file a spawn of `cmd` runs: a name with a slash as it is (from the working directory),
 * else the first executable file of that name along PATH, as execvp looks (undefined when there is none).
 */
export function resolveCommand(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (cmd.includes('/')) return resolve(cmd);
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(':')) {
    const file = resolve(dir || '.', cmd);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not there, or not executable by us: execvp goes on too.
    }
  }
  return undefined;
}

/** firstLine runs `cmd --version` (PATH from `env`) and returns its first line, or undefined when it does not run. */
function firstLine(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', env });
  return r.error || r.status !== 0 ? undefined : r.stdout.split('\n')[0].trim();
}

/** ToolVersions are the first lines of `make --version`, `$CC --version` and `wasm2c --version` (absent: not found). */
export interface ToolVersions {
  make?: string;
  cc?: string;
  wasm2c?: string;
}

function isToolVersions(v: unknown): v is ToolVersions {
  return typeof v === 'object' && v !== null && ['make', 'cc', 'wasm2c'].every((k) => typeof (v as Record<string, unknown>)[k] === 'string');
}

/** toolCommands are the commands run: make, `$CC` (default cc), `$BPFTIME_WASM2C` (default wasm2c). */
export function toolCommands(env: NodeJS.ProcessEnv): { make: string; cc: string; wasm2c: string } {
  return { make: 'make', cc: env.CC || 'cc', wasm2c: env.BPFTIME_WASM2C || 'wasm2c' };
}

/**
 * toolVersions runs the three tools' `--version`, or takes their answers from the toolchain stamp when PATH resolves
 * the same commands to the same files, which stat the same, and the package databases stat the same. Only a complete
 * answer is kept: a missing tool is asked again by every command until it is installed.
 */
export function toolVersions(env: NodeJS.ProcessEnv): ToolVersions {
  const cmds = toolCommands(env);
  const files = { make: resolveCommand(cmds.make, env), cc: resolveCommand(cmds.cc, env), wasm2c: resolveCommand(cmds.wasm2c, env) };
  return stamped({
    dir: cacheRoot('native', env),
    key: JSON.stringify({ tools: cmds, path: env.PATH ?? null, files }),
    valid: isToolVersions,
    env,
    compute: () => {
      const value: ToolVersions = { make: firstLine(cmds.make, env), cc: firstLine(cmds.cc, env), wasm2c: firstLine(cmds.wasm2c, env) };
      const found = [files.make, files.cc, files.wasm2c].filter((f): f is string => f !== undefined);
      return { value, files: isToolVersions(value) && found.length === 3 ? [...found, ...PACKAGE_DATABASES] : undefined };
    },
  });
}

/** nodeInclude returns a directory holding node_api.h: the running Node's own headers, else the system's. */
export function nodeInclude(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [env.NODE_INCLUDE, join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  return dirs.find((d) => d && existsSync(join(d, 'node_api.h')));
}

/**
 * headerPath returns where the compiler finds `<header>` (undefined when it does not): in the usual directories
 * first (CPATH, C_INCLUDE_PATH, /usr/local/include, /usr/include), looked at by every command, else by asking the
 * compiler, a preprocessor run of 355-590 ms whose answer the toolchain stamp keeps.
 */
export function headerPath(cc: string, ccVersion: string, header: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...`${env.CPATH ?? ''}:${env.C_INCLUDE_PATH ?? ''}`.split(':'), '/usr/local/include', '/usr/include'];
  const usual = dirs.filter(Boolean).map((d) => join(d, header)).find((f) => existsSync(f));
  if (usual) return usual;
  const ccFile = resolveCommand(cc, env);
  return stamped({
    dir: cacheRoot('native', env),
    key: JSON.stringify({ header, cc, ccFile: ccFile ?? null, ccVersion, cpath: env.CPATH ?? null, cIncludePath: env.C_INCLUDE_PATH ?? null }),
    valid: (v): v is string | undefined => v === undefined || typeof v === 'string',
    env,
    compute: () => {
      const r = spawnSync(cc, ['-M', '-E', '-x', 'c', '-'], { input: `#include <${header}>\n`, encoding: 'utf8', env });
      const found = r.status === 0 ? r.stdout.split(/[\s\\]+/).find((f) => f.endsWith(`/${header}`)) : undefined;
      return { value: found, files: found && ccFile ? [found, ccFile, ...PACKAGE_DATABASES] : undefined };
    },
  });
}

/** Prerequisites are what the build found: the compiler, its version, the headers compiled in. */
export interface Prerequisites {
  cc: string;
  ccVersion: string;
  nodeInclude: string;
  headers: string[];
}

/**
 * checkPrerequisites finds what building the native layer needs, or throws a NotSupportedError listing everything
 * missing with the Debian packages that provide it.
 */
export function checkPrerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisites {
  const { cc } = toolCommands(env);
  const versions = toolVersions(env);
  const missing: { what: string; pkg: string }[] = [];
  if (!versions.make) missing.push({ what: 'make', pkg: 'make' });
  const ccVersion = versions.cc;
  if (!ccVersion) missing.push({ what: `a C compiler (${cc})`, pkg: 'gcc' });
  const headers: string[] = [];
  for (const [header, pkg] of [['capstone/capstone.h', 'libcapstone-dev'], ['wasm-rt.h', 'wabt']]) {
    const found = ccVersion ? headerPath(cc, ccVersion, header, env) : undefined;
    if (found) headers.push(found);
    else if (ccVersion) missing.push({ what: header, pkg });
  }
  if (!versions.wasm2c) missing.push({ what: 'wasm2c', pkg: 'wabt' });
  const include = nodeInclude(env);
  if (!include) missing.push({ what: `Node's headers (node_api.h, looked for in ${join(dirname(process.execPath), '..', 'include', 'node')} and /usr/include/node; NODE_INCLUDE names another directory)`, pkg: 'libnode-dev' });
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
    throw new NotSupportedError('native-prerequisites', `the native layer cannot be built here: missing ${missing.map((m) => m.what).join(', ')}: install them (Debian: apt-get install ${pkgs}; NodeSource's nodejs package ships Node's headers itself)`);
  }
  return { cc, ccVersion: ccVersion!, nodeInclude: include!, headers };
}
