/** `--verify strict|warn|off` of the commands that load programs (declared in commands-list.ts as VERIFY_OPTION). */
import type { Parsed } from './args.js';
import { parseVerifyMode, type VerifyMode } from '../verifier/mode.js';

/** verifyModeOf reads `--verify` (default strict). */
export const verifyModeOf = (flags: Parsed['flags']): VerifyMode => parseVerifyMode(flags.verify as string | undefined, 'strict');
