/** Verify modes (strict, warn, off): what loading does with the verifier; light, so option parsing can use it. */
import { UsageError } from '../errors.js';

/**
 * VerifyMode says what loading does with the verifier: `strict` refuses a rejected program, `warn` loads it anyway
 * and reports the rejection (the program then keeps every runtime check), `off` does not verify.
 */
export type VerifyMode = 'strict' | 'warn' | 'off';

/** VERIFY_MODES lists the modes for option parsing. */
export const VERIFY_MODES: readonly VerifyMode[] = ['strict', 'warn', 'off'];

/** parseVerifyMode checks a mode given by a user or caller (undefined gives `fallback`). */
export function parseVerifyMode(mode: string | undefined, fallback: VerifyMode): VerifyMode {
  if (mode === undefined) return fallback;
  if ((VERIFY_MODES as readonly string[]).includes(mode)) return mode as VerifyMode;
  throw new UsageError('bad-verify', `unknown verify mode "${mode}", expected one of: ${VERIFY_MODES.join(', ')}`);
}
