/**
 * Choosing the context layout of a program whose layout depends on the kernel (src/loader/trace-contexts.ts):
 * BTF-typed tracing programs get their argument array from the target BTF's prototype, tracepoints other than
 * syscalls get their record from tracefs (the running kernel's exact layout) or else from the target BTF. Fixed
 * layouts come from src/loader/contexts.ts.
 */
import type { Btf } from '../loader/btf/parse.js';
import { contextFor, U64_ARGS, type ContextLayout } from '../loader/contexts.js';
import type { ProgramSpec } from '../loader/spec.js';
import { btfArgsLayout, parseTracefsFormat, tracepointBtfLayout } from '../loader/trace-contexts.js';

/** TracefsReader returns the `format` text of a tracepoint, or undefined. */
export type TracefsReader = (category: string, name: string) => string | undefined;

const BTF_ARG_TYPES = new Set(['tp_btf', 'fentry', 'fexit', 'fmod_ret', 'raw_tracepoint', 'raw_tracepoint_writable', 'lsm']);

/** layoutFor returns the context layout of `spec` against the target kernel (its BTF, its tracefs). */
export function layoutFor(spec: ProgramSpec, btf: () => Btf | undefined, tracefs: TracefsReader | undefined): ContextLayout {
  const name = spec.attach.name ?? '';
  if (BTF_ARG_TYPES.has(spec.type)) {
    const target = name ? btf() : undefined;
    return (target && btfArgsLayout(target, spec.type, name)) || U64_ARGS;
  }
  // raw_syscalls/sys_enter and sys_exit have the records of the syscalls/ tracepoints (trace_event_raw_sys_enter/exit).
  if (spec.type === 'tracepoint' && spec.attach.category === 'raw_syscalls' && (name === 'sys_enter' || name === 'sys_exit')) {
    return contextFor(spec.type, `${name}_`);
  }
  if (spec.type === 'tracepoint' && spec.attach.category && !/^sys_(enter|exit)_/.test(name)) {
    const text = tracefs?.(spec.attach.category, name);
    const fromTracefs = text ? parseTracefsFormat(text, `${spec.attach.category}/${name}`) : undefined;
    if (fromTracefs) return fromTracefs;
    const target = btf();
    return (target && tracepointBtfLayout(target, name)) || contextFor(spec.type, name);
  }
  return contextFor(spec.type, name);
}
