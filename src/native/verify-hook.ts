/**
 * Where the control plane verifies a program before compiling it for the agent. The static verifier (src/verifier)
 * is being built on its own branch and is not part of this tree yet: until it lands, nothing is verified here and
 * callers report programs as not verified. The native runtime still checks every memory access a program makes
 * and bounds its instructions (docs/native.md, "runtime"), so an unverified program can fault (and is disabled)
 * but cannot corrupt the target outside the segment's maps.
 */
import type { LoadedCollection } from '../loader/collection.js';
import type { ProgramSpec } from '../loader/spec.js';

/** VERIFIER_AVAILABLE says whether verifyForNative runs a verifier (false until src/verifier exists). */
export const VERIFIER_AVAILABLE = false;

/**
 * verifyForNative verifies one program of a loaded object for the agent and returns whether a verifier accepted it
 * (a rejection will throw the verifier's VerifierError); false means no verifier ran.
 */
export function verifyForNative(_spec: LoadedCollection, _program: ProgramSpec): boolean {
  return VERIFIER_AVAILABLE;
}
