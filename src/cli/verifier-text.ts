/** How the CLI prints a verifier rejection after its message (`verify`, and `load`/`trace` refusing a program). */
import type { VerifierError } from '../errors.js';

/** rejectionDetails lists what explains a rejection beyond its message: the C source line, the registers, the path. */
export function rejectionDetails(e: VerifierError): string[] {
  const out: string[] = [];
  if (e.location.source) out.push(`source: ${e.location.source}`);
  for (const [r, v] of Object.entries(e.regs)) out.push(`${r} = ${v}`);
  if (e.path.length) out.push(`path: ${e.path.join(', ')}`);
  return out;
}
