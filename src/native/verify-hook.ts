/**
 * Where the control plane verifies a program before compiling it for the agent: the same verification as
 * `Collection`'s (src/runtime/verification.ts), in the same modes. `strict` (the default) refuses a rejected program,
 * so it never reaches a process; `warn` loads it with the rejection reported; `off` does not verify. A program the
 * verifier accepted is compiled with its facts (src/jit-wasm/facts.ts): its proved accesses lose their bounds checks
 * and, when it provably terminates, its blocks their budget charges. An unverified program keeps every runtime check
 * of the native runtime (docs/native.md, "runtime"): it can fault, and is then disabled, but cannot touch memory
 * outside its own regions.
 */
import type { VerifierError } from '../errors.js';
import type { LoadedCollection } from '../loader/collection.js';
import type { ProgramSpec } from '../loader/spec.js';
import { locatedIn, verifyForLoad } from '../runtime/verification.js';
import { contextFor } from '../loader/contexts.js';
import type { VerifierFacts, VerifyMode } from '../verifier/index.js';

/** NativeVerdict is what the verification of one program decided for the native load. */
export interface NativeVerdict {
  /** Whether the verifier accepted the program. */
  verified: boolean;
  /** What it proved, for the compile (accepted programs only). */
  facts?: VerifierFacts;
  /** Why the program loads unverified (`--verify off`, a warned rejection, or what the verifier does not model). */
  unverified?: string;
  /** The rejection `warn` mode let through, located in the program. */
  warning?: VerifierError;
}

/**
 * withContext adds the proved context accesses to the facts of a program whose context is a pt_regs: the agent runs
 * uprobes and uretprobes on exactly that 168-byte layout (the probe's registers), so an access the verifier proved
 * inside it needs no check. Other contexts (tracepoint records sized by tracefs) keep their checks.
 */
function withContext(program: ProgramSpec, facts: VerifierFacts): VerifierFacts {
  if (contextFor(program.type, program.attach.name).kind !== 'pt_regs' || facts.ctxInBounds.size === 0) return facts;
  return { ...facts, inBounds: new Set([...facts.inBounds, ...facts.ctxInBounds]) };
}

/**
 * verifyForNative verifies one program of a loaded object for the agent in `mode`. A strict rejection throws the
 * verifier's VerifierError, located in the program (pc, instruction, source line, registers, path).
 */
export function verifyForNative(spec: LoadedCollection, program: ProgramSpec, mode: VerifyMode = 'strict'): NativeVerdict {
  if (mode === 'off') return { verified: false, unverified: 'verification is off (--verify off)' };
  const v = verifyForLoad(program, spec.maps);
  if (v.unverified !== undefined) return { verified: false, unverified: v.unverified };
  const r = v.result;
  if (r.ok) return { verified: true, facts: withContext(program, r.facts) };
  const error = locatedIn(program, r.error!) as VerifierError;
  if (mode === 'strict') throw error;
  return { verified: false, unverified: 'the verifier rejected it (--verify warn)', warning: error };
}
