/**
 * What compiling programs for the native agent needs from the machine: wasm2c (Debian package wabt), a C compiler,
 * and the runtime's headers in native-hooks/include (found from this module's location, in the sources or in the
 * bundle). A missing tool is a NotSupportedError that says what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadError, NotSupportedError } from '../errors.js';
import { findNativeHooks, nativeSourcesMissing } from './build.js';

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

function version(cmd: string, what: string): string {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new NotSupportedError('native-toolchain', `${what} not found (${cmd}): ${INSTALL[what]}`);
  return r.stdout.split('\n')[0].trim();
}

let cached: NativeToolchain | undefined;

/** findToolchain checks for wasm2c, cc and the headers (BPFTIME_WASM2C and CC override the commands). */
export function findToolchain(env: NodeJS.ProcessEnv = process.env): NativeToolchain {
  const wasm2c = env.BPFTIME_WASM2C || 'wasm2c';
  const cc = env.CC || 'cc';
  if (cached && cached.wasm2c === wasm2c && cached.cc === cc) return cached;
  const nativeRoot = findNativeRoot();
  const includeDir = join(nativeRoot, 'include');
  const abiText = ABI_HEADERS.map((h) => readFileSync(join(includeDir, h), 'utf8')).join('\n');
  cached = { wasm2c, cc, nativeRoot, includeDir, abiText, wasm2cVersion: version(wasm2c, 'wasm2c'), ccVersion: version(cc, 'cc') };
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
