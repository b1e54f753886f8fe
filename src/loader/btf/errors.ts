/**
 * Error constructors of the BTF layer. Every failure is a `LoadError`; the message starts with the input it concerns
 * (`BTF: `, `BTF.ext: `, `CO-RE: `) and then names the type id, record or offset, so a report points at the bytes.
 */
import { LoadError, type ErrorLocation } from '../../errors.js';

/** btfError reports malformed or unusable `.BTF` data (code `btf`). */
export function btfError(message: string): LoadError {
  return new LoadError('btf', 'BTF: ' + message);
}

/** extError reports malformed `.BTF.ext` data (code `btf`). */
export function extError(message: string, location: ErrorLocation = {}): LoadError {
  return new LoadError('btf', 'BTF.ext: ' + message, location);
}

/** coreError reports a CO-RE relocation that cannot be computed or applied (code `core`). */
export function coreError(message: string, location: ErrorLocation = {}, cause?: unknown): LoadError {
  return new LoadError('core', 'CO-RE: ' + message, location, cause === undefined ? undefined : { cause });
}
