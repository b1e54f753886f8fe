/** The `--verify` option shared by the commands that load programs (run, compile). */
import type { OptionSpec, Parsed } from './args.js';
import { parseVerifyMode, VERIFY_MODES, type VerifyMode } from '../verifier/index.js';

/** VERIFY_OPTION declares `--verify strict|warn|off`. */
export const VERIFY_OPTION: OptionSpec = {
  name: 'verify',
  kind: 'string',
  value: 'MODE',
  choices: VERIFY_MODES,
  description: 'verifier before loading: strict refuses a rejected program (default), warn loads it with a warning and every runtime check, off skips it',
};

/** verifyModeOf reads `--verify` (default strict). */
export const verifyModeOf = (flags: Parsed['flags']): VerifyMode => parseVerifyMode(flags.verify as string | undefined, 'strict');
