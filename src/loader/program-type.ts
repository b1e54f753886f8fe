/**
 * Forcing a program's type, as `tc`, `ip` or a loader's user space does for objects whose section names follow no
 * libbpf convention (`xdp1`, `socket1`, iproute2's `classifier`...): `--type TYPE` on the command line.
 */
import { UsageError } from '../errors.js';
import { KERNEL_PROGRAM_TYPES, sectionForType } from './sections.js';
import type { ProgramSpec } from './spec.js';

/** withProgramType returns the program with the type (and attach information) that `type` names. */
export function withProgramType(spec: ProgramSpec, type: string): ProgramSpec {
  const info = sectionForType(type);
  if (!info) {
    const hint = type === 'tracing' ? ': tracing programs need their attach type, give a section name (fentry/FUNC, fexit/FUNC, tp_btf/NAME)' : '';
    throw new UsageError('bad-program-type', `unknown program type "${type}"${hint}; kernel names: ${Object.keys(KERNEL_PROGRAM_TYPES).join(', ')}, or a libbpf section name`);
  }
  return { ...spec, type: info.type, attachType: info.attachType, attach: info.attach, sleepable: info.sleepable };
}
