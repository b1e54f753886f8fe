/**
 * What a program type allows, as data: its context layout (src/loader/contexts.ts) and which context bytes it may
 * read or write (the kernel's `*_is_valid_access`), whether it reads packets directly or through LD_ABS/LD_IND, and
 * which helper families it may call. `raw` is the contract of conformance-style bytecode without a type: r1 points
 * to input memory of r2 bytes, like a packet and its length.
 */
import { UsageError } from '../errors.js';
import { contextFor, type ContextLayout, type CtxField } from '../loader/contexts.js';
import { parseSection } from '../loader/sections.js';

/** ProgramTypeInfo is what the verifier needs to know about a program type. */
export interface ProgramTypeInfo {
  /** Kernel program type name without the BPF_PROG_TYPE_ prefix, lowercase (`raw` for typeless bytecode). */
  name: string;
  ctx: ContextLayout;
  /** Bytes of context a program may address: [minOff, size). */
  ctxMin: number;
  ctxSize: number;
  /** Accesses must fall inside one declared field (packet contexts), rather than anywhere aligned. */
  fieldsOnly: boolean;
  /** Fields (by name) a program may write; empty for read-only contexts. */
  writable: ReadonlySet<string>;
  /** Fields (by name) a program may not access at all. */
  unreadable: ReadonlySet<string>;
  /** Range r0 must be in at exit, when the type restricts it (cgroup_skb: 0 or 1). */
  ret?: [bigint, bigint];
  /** May take a bpf_spin_lock (socket filters and kernel tracing programs may not; uprobes run in user space and may). */
  spinLock: boolean;
  /** Direct packet access through ctx data/data_end: none, read only, or read and write. */
  packet: 'none' | 'read' | 'write';
  /** LD_ABS / LD_IND are allowed (socket filters and tc). */
  ldAbs: boolean;
  /** May call the tracing helpers (probe_read, current task, stacks, signals). */
  tracing: boolean;
  /** Typeless bytecode: r1 = input memory, r2 = its length. */
  raw: boolean;
}

const TRACING = new Set(['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'ksyscall', 'kretsyscall', 'tracepoint', 'raw_tracepoint',
  'raw_tracepoint_writable', 'perf_event', 'tp_btf', 'fentry', 'fexit', 'fmod_ret', 'lsm', 'iter', 'syscall']);

/**
 * USER_SPACE_PROBES are the tracing types bpftime-vm runs in user space, inside the traced process, where
 * bpf_spin_lock is a plain user-space lock that may be taken (the kernel refuses locks in every tracing program, whose
 * context may be an NMI); test/verifier-cases/KNOWN-DIFFERENCES.md lists the difference.
 */
const USER_SPACE_PROBES = new Set(['uprobe', 'uretprobe', 'usdt']);

const TYPE_ALIASES: Record<string, string> = {
  socket: 'socket_filter', tc: 'sched_cls', classifier: 'sched_cls', action: 'sched_act', tp: 'tracepoint', raw_tp: 'raw_tracepoint',
};

/** KNOWN_TYPES lists the program type names `--type` accepts besides libbpf section names. */
export const KNOWN_TYPES = ['raw', 'socket_filter', 'kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'usdt', 'tracepoint', 'raw_tracepoint',
  'xdp', 'sched_cls', 'sched_act', 'perf_event', 'cgroup_skb', 'tp_btf', 'fentry', 'fexit', 'sk_skb', 'sk_msg', 'sock_ops',
  'cgroup_sock', 'cgroup_sock_addr', 'cgroup_device', 'cgroup_sysctl'] as const;

/** normalizeType turns a kernel type name (any case, with or without BPF_PROG_TYPE_) or a libbpf section name into a type. */
export function normalizeType(name: string): string {
  const n = name.replace(/^BPF_PROG_TYPE_/i, '').toLowerCase();
  if ((KNOWN_TYPES as readonly string[]).includes(n)) return n;
  if (TYPE_ALIASES[n]) return TYPE_ALIASES[n];
  const sec = parseSection(name);
  if (sec.type !== 'unspec') return sec.type;
  throw new UsageError('bad-type', `unknown program type "${name}"; expected one of ${KNOWN_TYPES.join(', ')} or a libbpf section name`);
}

const names = (fields: readonly CtxField[], pred: (f: CtxField) => boolean): Set<string> => new Set(fields.filter(pred).map((f) => f.name));

/** programType describes a program type; `tracepoint` names a tracepoint for its record layout. */
export function programType(type: string | undefined, tracepoint?: string): ProgramTypeInfo {
  const name = type === undefined || type === 'raw' ? 'raw' : type === 'unspec' ? 'unspec' : normalizeType(type);
  const ctx = contextFor(name, tracepoint);
  const base = {
    name, ctx, ctxMin: 0, ctxSize: ctx.size, fieldsOnly: false, writable: new Set<string>(), unreadable: new Set<string>(), packet: 'none' as const,
    ldAbs: false, tracing: TRACING.has(name), raw: false, spinLock: (!TRACING.has(name) && name !== 'socket_filter') || USER_SPACE_PROBES.has(name),
  };
  switch (name) {
    case 'raw':
      return { ...base, raw: true, ldAbs: true, tracing: true };
    case 'tracepoint':
      // The kernel checks records against PERF_MAX_TRACE_SIZE at load; known syscall records have their own size.
      return { ...base, ctxMin: 8, ctxSize: ctx.size || 2048 };
    case 'raw_tracepoint':
    case 'raw_tracepoint_writable':
    case 'tp_btf':
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
      return { ...base, ctxSize: 12 * 8 };
    case 'xdp':
      return { ...base, fieldsOnly: true, packet: 'write' };
    case 'syscall':
      // The context is the caller's buffer (BPF_PROG_RUN ctx_in), up to 64 KiB, read and written freely.
      return { ...base, ctxSize: 0xffff, writable: new Set(['*']) };
    case 'socket_filter':
      return {
        ...base, fieldsOnly: true, ldAbs: true, writable: names(ctx.fields, (f) => f.name.startsWith('cb[')),
        unreadable: new Set(['tc_classid', 'data', 'data_end', 'data_meta', 'tstamp', 'wire_len']),
      };
    case 'cgroup_skb':
      return { ...base, fieldsOnly: true, packet: 'read', ret: [0n, 1n], writable: names(ctx.fields, (f) => f.name.startsWith('cb[') || f.name === 'mark' || f.name === 'priority') };
    case 'sched_cls':
    case 'sched_act':
      return {
        ...base, fieldsOnly: true, packet: 'write', ldAbs: true,
        writable: names(ctx.fields, (f) => f.name.startsWith('cb[') || ['mark', 'tc_index', 'priority', 'tc_classid', 'queue_mapping', 'tstamp'].includes(f.name)),
      };
    case 'sk_skb':
      // The kernel's sk_skb_is_valid_access: direct packet access (read and write), tc_index and priority writable,
      // no mark, tc_classid, data_meta, tstamp, wire_len or hwtstamp.
      return {
        ...base, fieldsOnly: true, packet: 'write', writable: new Set(['tc_index', 'priority']),
        unreadable: new Set(['mark', 'tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp']),
      };
    case 'sock_ops':
      // sock_ops_is_valid_access: whole fields only; the program writes reply/replylong and sk_txhash. `sk` is the
      // socket or NULL (socketField); skb_data and skb_data_end read as numbers here, so dereferencing them is
      // refused (stricter than the kernel, never looser).
      return { ...base, fieldsOnly: true, writable: new Set(['args', 'sk_txhash']) };
    case 'sk_msg':
      // sk_msg_is_valid_access: read-only fields, data/data_end as packet pointers (the packet itself writable).
      return { ...base, fieldsOnly: true, packet: 'write' };
    default:
      return base;
  }
}

/** PacketField tells what a context field holds when it is a packet pointer. */
export function packetField(info: ProgramTypeInfo, off: number): 'packet' | 'packet_end' | 'packet_meta' | undefined {
  const p = info.ctx.packet;
  if (!p || info.packet === 'none') return undefined;
  if (off === p.data) return 'packet';
  if (off === p.dataEnd) return 'packet_end';
  const meta = info.ctx.fields.find((f) => f.name === 'data_meta');
  return meta && off === meta.offset ? 'packet_meta' : undefined;
}

/**
 * SOCKET_FIELDS are the context fields that hold a socket pointer, per program type, as the kernel types them:
 * `__sk_buff->sk` a socket of any state or NULL (PTR_TO_SOCK_COMMON_OR_NULL, bpf_skb_is_valid_access),
 * `bpf_sock_ops->sk` a full socket or NULL (PTR_TO_SOCKET_OR_NULL), `sk_msg_md->sk` and `bpf_sock_addr->sk` a full
 * socket (PTR_TO_SOCKET).
 */
const SOCKET_FIELDS: Readonly<Record<string, { kind: 'sock' | 'sock_common'; nullable: boolean }>> = {
  'struct __sk_buff': { kind: 'sock_common', nullable: true },
  'struct bpf_sock_ops': { kind: 'sock', nullable: true },
  'struct sk_msg_md': { kind: 'sock', nullable: false },
  'struct bpf_sock_addr': { kind: 'sock', nullable: false },
};

/** socketField tells what a context field holds when it is a socket pointer (`sk`), for the program type's context. */
export function socketField(info: ProgramTypeInfo, field: string): { kind: 'sock' | 'sock_common'; nullable: boolean } | undefined {
  return field === 'sk' ? SOCKET_FIELDS[info.ctx.name] : undefined;
}
