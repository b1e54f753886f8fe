/**
 * The verification a load does (issue 10, DESIGN.md section 1), shared by the in-process `Collection` and the native
 * control plane (src/native/verify-hook.ts), so that a program is verified, or left unverified, for the same reasons
 * whichever way it is loaded. The caller applies its mode (`strict` refuses a rejection, `warn` reports it).
 */
import { BpfError, VerifierError } from '../errors.js';
import type { MapSpec, ProgramSpec } from '../loader/spec.js';
import type { Btf } from '../loader/btf/parse.js';
import { BTF_TRACING_TYPES } from '../loader/contexts.js';
import { btfArgTypes } from '../loader/trace-contexts.js';
import { verifySpec, type VerifyResult } from '../verifier/index.js';
import { readsKernelPointers } from './program-facts.js';

/** UNMODELLED is why a program using BTF-typed kernel pointers loads unverified when the target kernel's BTF is missing. */
export const UNMODELLED = "it uses BTF-typed kernel pointers or kernel functions, whose types come from the target kernel's BTF, which was not given (--btf FILE, or /sys/kernel/btf/vmlinux)";

/** LoadVerification is a verdict, or the reason the program was not verified. */
export type LoadVerification = { result: VerifyResult; unverified?: undefined } | { result?: undefined; unverified: string };

/** VerifyLoadOptions are what a load gives the verifier besides the program and its maps. */
export interface VerifyLoadOptions {
  privileged?: boolean;
  /** Collect the per-instruction state log. */
  log?: boolean;
  /** The target kernel's BTF, which types BTF-typed tracing arguments, bpf_get_current_task_btf and kfuncs. */
  targetBtf?: Btf | (() => Btf | undefined);
}

/**
 * verifyForLoad verifies a loaded program with its collection's maps. BTF-typed kernel pointers (tp_btf and fentry
 * arguments, the current task, kfunc results: the kernel's PTR_TO_BTF_ID) are typed from the target kernel's BTF;
 * without it such a program is not verified (every load of theirs is a PROBE_MEM one), and the reason says so.
 */
export function verifyForLoad(p: ProgramSpec, maps: readonly MapSpec[], options: VerifyLoadOptions = {}): LoadVerification {
  const needsBtf = readsKernelPointers(p) || (p.ksyms ?? []).some((k) => k.btfId !== 0);
  const targetBtf = needsBtf ? (typeof options.targetBtf === 'function' ? options.targetBtf() : options.targetBtf) : undefined;
  if (needsBtf && !targetBtf) return { unverified: UNMODELLED };
  const beyond = targetBtf && notModelled(p, targetBtf);
  if (beyond) return { unverified: beyond };
  return { result: verifySpec(p, maps, { privileged: options.privileged === true, log: options.log === true, ...(targetBtf ? { targetBtf } : {}) }) };
}

/**
 * notModelled names what of a BTF-typed program the verifier still does not model, or returns undefined: kernel
 * variables (typed `__ksym` data), the contexts of iterators and struct_ops, and an attach point the target's BTF
 * does not describe (its arguments cannot be typed).
 */
function notModelled(p: ProgramSpec, btf: Btf): string | undefined {
  const variable = (p.ksyms ?? []).find((k) => k.kind === 'address' && k.btfId !== 0 && k.symbol === 'var');
  if (variable) return `it reads the kernel variable ${variable.name} (a typed __ksym), which the verifier does not model`;
  if (p.type === 'iter' || p.type === 'struct_ops') return `the context of ${p.type} programs (BTF-typed kernel objects) is not modelled by the verifier`;
  if (BTF_TRACING_TYPES.has(p.type) && !btfArgTypes(btf, p.type, p.attach.name ?? '')) {
    return `the target kernel's BTF does not describe its attach point "${p.attach.name ?? ''}", so its arguments cannot be typed`;
  }
  return undefined;
}

/** locatedIn adds the program's name (message prefix) and its name and section (location) to an error about it. */
export function locatedIn(spec: ProgramSpec, e: BpfError): BpfError {
  const Cls = e.constructor as new (code: string, message: string, location: object, options: object) => BpfError;
  const out = new Cls(e.code, `program "${spec.name}": ${e.message}`, { ...e.location, program: spec.name, section: spec.section }, { cause: e });
  if (e instanceof VerifierError && out instanceof VerifierError) Object.assign(out, { regs: e.regs, path: e.path, log: e.log });
  return out;
}
