/**
 * The verifier (DESIGN.md section 1): static safety analysis between the loader and the backends. `verifyProgram`
 * takes instruction slots plus the program type, maps and helper table; `verifySpec` takes a loaded program with its
 * collection's maps and BTF line info. Both return a verdict with statistics, the facts the JIT uses (accesses in
 * bounds, termination) and, when asked, the per-instruction state log; a rejection is a located `VerifierError`.
 */
import { corePoisonMessages } from '../loader/core-poison.js';
import { kernelHelpers } from '../helpers/kernel/index.js';
import { ubpfTestHelpers } from '../helpers/ubpf-test.js';
import type { Insn } from '../isa/index.js';
import type { MapSpec, ProgramSpec } from '../loader/spec.js';
import { programType } from './program-types.js';
import { verifyWithHelpers, type VerifyResult } from './verify.js';
import type { MapInfo, VerifyOptions } from './env.js';

export type { VerifierFacts } from './facts.js';
export type { Facts, MapInfo, RegionKind, VerifyOptions, VerifyStats } from './env.js';
export { KNOWN_TYPES, normalizeType, programType } from './program-types.js';
export { MAX_INPUT } from './check-mem.js';
export { parseVerifierLog, type LogEntry } from './log.js';

export { VERIFY_MODES, parseVerifyMode, type VerifyMode } from './mode.js';

export { verifyWithHelpers, type VerifyResult } from './verify.js';

/**
 * verifyProgram verifies instruction slots; see VerifyOptions for the program type, maps and helpers (default: the
 * kernel's for typed programs, the uBPF test helpers for raw ones).
 */
export function verifyProgram(insns: readonly Insn[], options: VerifyOptions = {}): VerifyResult {
  const helpers = options.helpers ?? (programType(options.type, options.tracepoint).raw ? ubpfTestHelpers() : kernelHelpers());
  return verifyWithHelpers(insns, { ...options, helpers });
}

/** mapInfo turns a loader MapSpec into what the verifier needs. */
export function mapInfo(m: MapSpec): MapInfo {
  return {
    name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags,
    readOnly: m.readOnly, contents: m.contents, ...(m.innerMap ? { inner: mapInfo(m.innerMap) } : {}),
    ...(m.spinLockOffset !== undefined && m.spinLockOffset >= 0 ? { spinLock: true, spinLockOffset: m.spinLockOffset } : {}),
  };
}

/** verifySpec verifies a loaded program with its collection's maps, its type from its section and its BTF line info. */
export function verifySpec(spec: ProgramSpec, maps: readonly MapSpec[], options: Omit<VerifyOptions, 'maps' | 'lineInfo'> = {}): VerifyResult {
  return verifyProgram(spec.insns, {
    type: spec.type,
    tracepoint: spec.attach.name,
    section: spec.section,
    program: spec.name,
    lineInfo: spec.lineInfo,
    license: spec.license,
    poisoned: corePoisonMessages(spec),
    kfuncs: (spec.ksyms ?? []).filter((k) => k.kind === 'call'),
    maps: maps.map(mapInfo),
    ...options,
  });
}
