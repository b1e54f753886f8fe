/** Hex text to bytes for inputs given as JSON (events files): digit pairs, spaces allowed between bytes. */
import { UsageError } from '../errors.js';

/** parseHexBytes reads `"01 02 ff"` or `"0102ff"`; anything else is a UsageError naming `what`. */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new UsageError('bad-hex', `${what}: "${text}" is not hex bytes`);
  const out = new Uint8Array(digits.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(digits.slice(2 * k, 2 * k + 2), 16);
  return out;
}
