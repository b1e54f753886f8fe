/**
 * The verification a load does (issue 10, DESIGN.md section 1), shared by the in-process `Collection` and the native
 * control plane (src/native/verify-hook.ts), so that a program is verified, or left unverified, for the same reasons
 * whichever way it is loaded. The caller applies its mode (`strict` refuses a rejection, `warn` reports it).
 */
import { BpfError, VerifierError } from '../errors.js';
import type { MapSpec, ProgramSpec } from '../loader/spec.js';
import { verifySpec, type VerifyResult } from '../verifier/index.js';
import { readsKernelPointers } from './program-facts.js';

/** UNMODELLED is why a program using what the verifier does not model loads unverified. */
export const UNMODELLED = 'it uses BTF-typed kernel pointers or kernel symbols, which the verifier does not model';

/** LoadVerification is a verdict, or the reason the program was not verified. */
export type LoadVerification = { result: VerifyResult; unverified?: undefined } | { result?: undefined; unverified: string };

/**
 * verifyForLoad verifies a loaded program with its collection's maps (`log`: with the per-instruction state log). BTF-typed kernel pointers (tp_btf and fentry
 * arguments, kfunc results) and kernel symbols are the kernel's PTR_TO_BTF_ID, which src/verifier does not model:
 * such programs are not verified (every load of theirs is a PROBE_MEM one), and the reason says so.
 */
export function verifyForLoad(p: ProgramSpec, maps: readonly MapSpec[], options: { privileged?: boolean; log?: boolean } = {}): LoadVerification {
  if (readsKernelPointers(p) || (p.ksyms ?? []).length > 0) return { unverified: UNMODELLED };
  return { result: verifySpec(p, maps, { privileged: options.privileged === true, log: options.log === true }) };
}

/** locatedIn adds the program's name (message prefix) and its name and section (location) to an error about it. */
export function locatedIn(spec: ProgramSpec, e: BpfError): BpfError {
  const Cls = e.constructor as new (code: string, message: string, location: object, options: object) => BpfError;
  const out = new Cls(e.code, `program "${spec.name}": ${e.message}`, { ...e.location, program: spec.name, section: spec.section }, { cause: e });
  if (e instanceof VerifierError && out instanceof VerifierError) Object.assign(out, { regs: e.regs, path: e.path, log: e.log });
  return out;
}
