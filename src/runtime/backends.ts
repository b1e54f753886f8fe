/**
 * Backends that run raw programs (slots plus an input buffer), chosen by name everywhere a backend is chosen
 * (`--backend`, the conformance runner, the plugin). Each backend reports its own name in results, so nothing falls
 * back silently.
 */
import { UsageError } from '../errors.js';
import type { HelperSet } from '../helpers/registry.js';
import type { Insn } from '../isa/index.js';
import { Interpreter, type RunOptions, type RunResult } from '../vm/index.js';

/** BACKENDS lists the backend names this build provides. */
export const BACKENDS = ['interp'] as const;

/** BackendName is one of BACKENDS. */
export type BackendName = (typeof BACKENDS)[number];

/** LoadedProgram is a program bound to a backend, ready to run any number of times. */
export interface LoadedProgram {
  readonly backend: BackendName;
  run(opts?: RunOptions): RunResult;
}

/** LoadOptions configures loading of a raw program. */
export interface LoadOptions {
  backend?: string;
  helpers?: HelperSet;
  maxCallDepth?: number;
  section?: string;
}

/** parseBackend checks a backend name given by a user. */
export function parseBackend(name: string | undefined): BackendName {
  const n = name ?? 'interp';
  if ((BACKENDS as readonly string[]).includes(n)) return n as BackendName;
  throw new UsageError('bad-backend', `unknown backend "${n}", expected one of: ${BACKENDS.join(', ')}`);
}

/** loadRaw validates and prepares raw slots on the chosen backend. */
export function loadRaw(insns: readonly Insn[], opts: LoadOptions = {}): LoadedProgram {
  const backend = parseBackend(opts.backend);
  const vm = new Interpreter({ helpers: opts.helpers, maxCallDepth: opts.maxCallDepth });
  const prepared = vm.load(insns, opts.section);
  return {
    backend,
    run: (o = {}) => vm.run(prepared, o),
  };
}
