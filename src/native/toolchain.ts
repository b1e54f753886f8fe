/**
 * What compiling programs for the native agent needs from the machine: wasm2c (Debian package wabt), a C compiler,
 * and the runtime's headers in native-hooks/include (found from this module's location, in the sources or in the
 * bundle). A missing tool is a NotSupportedError that says what to install.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadError, NotSupportedError } from '../errors.js';
import { findNativeHooks, nativeSourcesMissing } from './build.js';
import { toolCommands, toolVersions } from './prerequisites.js';

/** NativeToolchain is the tools and headers a compile uses. */
export interface NativeToolchain {
  wasm2c: string;
  cc: string;
  /** native-hooks/ of this checkout or package. */
  nativeRoot: string;
  includeDir: string;
  /** The ABI headers' text (bpftime_prog_abi.h, bpftime_helpers.gen.h): part of the cache key. */
  abiText: string;
  wasm2cVersion: string;
  ccVersion: string;
}

const ABI_HEADERS = ['bpftime_prog_abi.h', 'bpftime_helpers.gen.h'];
const INSTALL: Record<string, string> = { wasm2c: 'install wabt (Debian: apt-get install wabt)', cc: 'install a C compiler (Debian: apt-get install gcc)' };

/** findNativeRoot returns the native-hooks directory next to the sources or the bundle. */
export function findNativeRoot(): string {
  const root = findNativeHooks();
  if (!root) throw nativeSourcesMissing();
  return root;
}

let cached: NativeToolchain | undefined;

/**
 * findToolchain checks for wasm2c, cc and the headers (BPFTIME_WASM2C and CC in `env` override the commands, over
 * the process's environment). The tools' versions come from the toolchain stamp when their files did not change
 * (prerequisites.ts), so a compile whose object is cached spawns nothing.
 */
export function findToolchain(env: NodeJS.ProcessEnv = process.env): NativeToolchain {
  const { wasm2c, cc } = toolCommands(env);
  if (cached && cached.wasm2c === wasm2c && cached.cc === cc) return cached;
  const nativeRoot = findNativeRoot();
  const includeDir = join(nativeRoot, 'include');
  const abiText = ABI_HEADERS.map((h) => readFileSync(join(includeDir, h), 'utf8')).join('\n');
  const versions = toolVersions(env === process.env ? env : { ...process.env, ...env });
  const missing = !versions.wasm2c ? 'wasm2c' : !versions.cc ? 'cc' : undefined;
  if (missing) throw new NotSupportedError('native-toolchain', `${missing} not found (${missing === 'cc' ? cc : wasm2c}): ${INSTALL[missing]}`);
  cached = { wasm2c, cc, nativeRoot, includeDir, abiText, wasm2cVersion: versions.wasm2c!, ccVersion: versions.cc! };
  return cached;
}

/** runTool runs one step of a compile in `cwd`; a failure is a LoadError with the tool's first lines of output. */
export function runTool(cmd: string, args: string[], cwd: string, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => reject(new NotSupportedError('native-toolchain', `${where}: cannot run ${cmd}: ${e.message}`)));
    child.on('close', (status) => {
      if (status === 0) return resolve();
      const lines = output.trim().split('\n').slice(0, 12).join('\n');
      reject(new LoadError('native-compile', `${where}: ${cmd} failed (exit ${status}): ${lines}`));
    });
  });
}
