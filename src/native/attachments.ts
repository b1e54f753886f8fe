/**
 * Where a program attaches in a live process, read from its section name with libbpf's conventions (the loader's
 * AttachSpec), as the segment's attachment table records it (docs/native.md, "agent"):
 *   uprobe/BINARY:FUNC[+OFF], uprobe/BINARY:0xOFF      entry probe (BINARY a path, or a library's basename)
 *   uretprobe/BINARY:FUNC                                return probe
 *   tracepoint/syscalls/sys_enter_NAME, sys_exit_NAME    syscall tracepoints (tp/ too), tracefs record layout
 *   tracepoint/raw_syscalls/sys_enter, sys_exit          every syscall, tracefs record layout
 *   raw_tracepoint/sys_enter, sys_exit                   every syscall, struct bpf_raw_tracepoint_args (raw_tp/ too)
 * A relative BINARY path is made absolute against the control plane's working directory, as libbpf resolves it in
 * the loading process; a bare name (`libc.so.6`) stays a name the agent matches against the mapped files.
 */
import { isAbsolute, resolve } from 'node:path';
import { LoadError } from '../errors.js';
import type { ProgramSpec } from '../loader/spec.js';
import type { AttachKind, AttachmentInput } from './addon.js';

/** BPF_PROG_TYPE numbers of the program types the agent runs. */
const PROG_TYPES: Readonly<Record<string, number>> = { uprobe: 2, uretprobe: 2, tracepoint: 5, raw_tracepoint: 17 };

/** NativeAttachment is where one program runs, with the words a person reads (`uprobe libc.so.6:malloc`). */
export interface NativeAttachment {
  input: Omit<AttachmentInput, 'progId'>;
  /** e.g. `uprobe /usr/bin/app:main+0x10`, `tracepoint syscalls/sys_enter_openat`. */
  describe: string;
}

/** progTypeOf returns the BPF_PROG_TYPE the agent records for a program. */
export function progTypeOf(p: ProgramSpec): number {
  return PROG_TYPES[p.type] ?? 0;
}

/** absoluteBinary resolves a binary path the way the loading process would see it; names without '/' stay names. */
export function absoluteBinary(binary: string, cwd: string = process.cwd()): string {
  return binary.includes('/') && !isAbsolute(binary) ? resolve(cwd, binary) : binary;
}

function probe(p: ProgramSpec, kind: AttachKind, cwd: string): NativeAttachment {
  const a = p.attach;
  if (!a.attachable) throw notAttachable(p, a.reason ?? 'not attachable');
  if (!a.binary && !a.func && a.offset === undefined) {
    throw notAttachable(p, `SEC("${p.section}") names no BINARY:FUNCTION (write SEC("${kind}/BINARY:FUNCTION"))`);
  }
  const target = absoluteBinary(a.binary ?? '', cwd);
  const symbol = a.func ?? '';
  const offset = a.offset ?? 0;
  const where = `${target}:${symbol}${symbol && offset ? `+0x${offset.toString(16)}` : symbol ? '' : `0x${offset.toString(16)}`}`;
  return { input: { kind, target, symbol, offset }, describe: `${kind} ${where}` };
}

function notAttachable(p: ProgramSpec, why: string): LoadError {
  return new LoadError('not-attachable', `program ${p.name}: ${why}`, { program: p.name, section: p.section });
}

/**
 * attachmentOf returns where a program attaches in a live process, or throws LoadError('not-attachable') naming the
 * program and why (a kernel-only attach point, a section without a target).
 */
export function attachmentOf(p: ProgramSpec, cwd: string = process.cwd()): NativeAttachment {
  const a = p.attach;
  switch (p.type) {
    case 'uprobe':
      return probe(p, 'uprobe', cwd);
    case 'uretprobe':
      return probe(p, 'uretprobe', cwd);
    case 'tracepoint': {
      const raw = a.category === 'raw_syscalls' && (a.name === 'sys_enter' || a.name === 'sys_exit');
      const m = a.category === 'syscalls' ? /^sys_(enter|exit)_(\w+)$/.exec(a.name ?? '') : null;
      if (!raw && !m) throw notAttachable(p, a.reason ?? `tracepoint ${a.category}/${a.name} is not a syscall tracepoint`);
      const exit = raw ? a.name === 'sys_exit' : m![1] === 'exit';
      const kind: AttachKind = exit ? 'syscall-exit' : 'syscall-enter';
      return { input: { kind, target: a.category!, symbol: a.name!, syscallNr: -1 }, describe: `tracepoint ${a.category}/${a.name}` };
    }
    case 'raw_tracepoint': {
      if (a.name !== 'sys_enter' && a.name !== 'sys_exit') throw notAttachable(p, a.reason ?? `raw_tracepoint/${a.name} is not a syscall hook`);
      const kind: AttachKind = a.name === 'sys_exit' ? 'syscall-exit' : 'syscall-enter';
      return { input: { kind, target: 'raw_tracepoint', symbol: a.name, syscallNr: -1 }, describe: `raw_tracepoint ${a.name}` };
    }
    default:
      throw notAttachable(p, `${p.type} programs do not attach to processes (uprobe, uretprobe, syscall tracepoints and raw_tracepoint/sys_enter|sys_exit do)`);
  }
}

/** isSyscallAttachment tells whether an attachment needs the agent's syscall hooks. */
export function isSyscallAttachment(a: NativeAttachment): boolean {
  return a.input.kind === 'syscall-enter' || a.input.kind === 'syscall-exit';
}
