/** Shared test utilities: paths, running the CLI, assembling and running snippets. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { Interpreter, type RunOptions } from '../src/vm/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'bin', 'bpftime-vm');
export const PLUGIN = join(ROOT, 'bin', 'bpf-conformance-plugin');

/**
 * uncheckedCounter is examples/counter.bpf.o with the null check after its map lookup (pc 12, `jeq %r0, 0, +2`)
 * testing r6 (an argument) instead: the verifier rejects the atomic add through the map value at pc 13.
 */
export function uncheckedCounter(): Buffer {
  const bytes = readFileSync(join(ROOT, 'examples', 'counter.bpf.o'));
  const check = Buffer.from('1500020000000000', 'hex');
  const at = bytes.indexOf(check);
  if (at < 0 || bytes.indexOf(check, at + 1) >= 0) throw new Error('counter.bpf.o: expected exactly one `jeq %r0, 0, +2`');
  bytes[at + 1] = 0x06;
  return bytes;
}

/** CONFORMANCE_DIR is where the official .data files are (BPF_CONFORMANCE_DIR or ../shared/...). */
export const CONFORMANCE_DIR = resolve(
  ROOT,
  process.env.BPF_CONFORMANCE_DIR ?? join('..', 'shared', 'conformance', 'bpf_conformance'),
);

/** conformanceAvailable reports whether the suite is present; when it must be (CI), absence is an error. */
export function conformanceAvailable(): boolean {
  const present = existsSync(CONFORMANCE_DIR);
  if (!present && process.env.BPF_CONFORMANCE_REQUIRED === '1') {
    throw new Error(`BPF_CONFORMANCE_REQUIRED=1 but ${CONFORMANCE_DIR} does not exist`);
  }
  return present;
}

/** cli runs bin/bpftime-vm and returns its exit code and output. */
export function cli(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, cwd: ROOT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** runAsm assembles and runs text on a fresh interpreter, returning r0. */
export function runAsm(text: string, opts: RunOptions = {}, vm = new Interpreter()): bigint {
  return vm.run(vm.load(assemble(text)), opts).r0;
}

/** thrownAs runs `f`, expects it to throw an instance of `cls`, and returns that error. */
export function thrownAs<E extends Error>(cls: abstract new (...args: never[]) => E, f: () => unknown): E {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error(`expected a ${cls.name}, nothing was thrown`);
}
