/**
 * The context each program type receives in r1 (DESIGN.md section 5): x86-64 `struct pt_regs` for uprobes and
 * kprobes, the tracefs record layout for syscall tracepoints, an array of u64 arguments for BTF-typed tracing, and the
 * packet views `xdp_md` and `__sk_buff` whose data/data_end fields point into the packet. Layouts are data so the
 * runtime, the CLI (`--args`, `--ctx`) and the verifier share them.
 */

/** CtxField is a named field of a context. */
export interface CtxField {
  name: string;
  offset: number;
  /** Size of the field, or of one element for arrays. */
  size: 1 | 2 | 4 | 8;
  /** Arrays (`char comm[16]`): the element count; `__data_loc` fields of tracepoint records: a u32 (length << 16 | offset) locating bytes after the record. */
  kind?: 'array' | 'data_loc';
  length?: number;
  signed?: boolean;
}

/** ContextLayout describes a program type's context. */
export interface ContextLayout {
  /** C name of the context type. */
  name: string;
  /** Size in bytes (0: as large as the bytes the caller gives). */
  size: number;
  kind: 'pt_regs' | 'args' | 'packet' | 'raw';
  fields: CtxField[];
  /** For packet contexts: where the packet start and end pointers live, and their width. */
  packet?: { data: number; dataEnd: number; width: 4 | 8 };
  /** For pt_regs contexts: the registers holding arguments 1..6 and the return value, in call-ABI order. */
  args?: string[];
  ret?: string;
  /**
   * For records and socket contexts: the fields positional arguments (`--args`) fill, in order. Tracepoint records
   * list their own fields (the common_* header excluded).
   */
  inputs?: string[];
  /** Where this layout was read from, when not built in (`tracefs`, `btf`). */
  source?: string;
}

const f = (name: string, offset: number, size: CtxField['size'] = 8): CtxField => ({ name, offset, size });

const PT_REGS_NAMES = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

/** PT_REGS is the x86-64 kernel `struct pt_regs` (168 bytes); the System V ABI passes arguments in di, si, dx, cx, r8, r9. */
export const PT_REGS: ContextLayout = {
  name: 'struct pt_regs',
  size: PT_REGS_NAMES.length * 8,
  kind: 'pt_regs',
  fields: PT_REGS_NAMES.map((n, i) => f(n, i * 8)),
  args: ['di', 'si', 'dx', 'cx', 'r8', 'r9'],
  ret: 'ax',
};

const TRACE_ENTRY: CtxField[] = [f('common_type', 0, 2), f('common_flags', 2, 1), f('common_preempt_count', 3, 1), f('common_pid', 4, 4)];

/** SYS_ENTER is `struct trace_event_raw_sys_enter`: the syscall number then six arguments. */
export const SYS_ENTER: ContextLayout = {
  name: 'struct trace_event_raw_sys_enter',
  size: 64,
  kind: 'raw',
  fields: [...TRACE_ENTRY, f('id', 8), ...[0, 1, 2, 3, 4, 5].map((i) => f(`args[${i}]`, 16 + 8 * i))],
};

/** SYS_EXIT is `struct trace_event_raw_sys_exit`: the syscall number and its return value. */
export const SYS_EXIT: ContextLayout = {
  name: 'struct trace_event_raw_sys_exit',
  size: 24,
  kind: 'raw',
  fields: [...TRACE_ENTRY, f('id', 8), f('ret', 16)],
};

/** XDP_MD is `struct xdp_md`; data and data_end are 32-bit fields holding packet addresses. */
export const XDP_MD: ContextLayout = {
  name: 'struct xdp_md',
  size: 24,
  kind: 'packet',
  fields: [f('data', 0, 4), f('data_end', 4, 4), f('data_meta', 8, 4), f('ingress_ifindex', 12, 4), f('rx_queue_index', 16, 4), f('egress_ifindex', 20, 4)],
  packet: { data: 0, dataEnd: 4, width: 4 },
};

/**
 * SK_BUFF is the program view `struct __sk_buff` (192 bytes) of socket filters, tc, cgroup/skb and sk_skb programs;
 * family, the addresses and the ports are the packet's socket's (remote_port: the __be16 shifted left by 16, so
 * bpf_ntohl gives the port; local_port in host order, as the kernel's context rewrite loads them).
 */
export const SK_BUFF: ContextLayout = {
  name: 'struct __sk_buff',
  size: 192,
  kind: 'packet',
  fields: [
    f('len', 0, 4), f('pkt_type', 4, 4), f('mark', 8, 4), f('queue_mapping', 12, 4), f('protocol', 16, 4),
    f('vlan_present', 20, 4), f('vlan_tci', 24, 4), f('vlan_proto', 28, 4), f('priority', 32, 4),
    f('ingress_ifindex', 36, 4), f('ifindex', 40, 4), f('tc_index', 44, 4), ...[0, 1, 2, 3, 4].map((i) => f(`cb[${i}]`, 48 + 4 * i, 4)),
    f('hash', 68, 4), f('tc_classid', 72, 4),
    f('data', 76, 4), f('data_end', 80, 4), f('napi_id', 84, 4), f('family', 88, 4), f('remote_ip4', 92, 4), f('local_ip4', 96, 4),
    ...[0, 1, 2, 3].map((i) => f(`remote_ip6[${i}]`, 100 + 4 * i, 4)), ...[0, 1, 2, 3].map((i) => f(`local_ip6[${i}]`, 116 + 4 * i, 4)),
    f('remote_port', 132, 4), f('local_port', 136, 4), f('data_meta', 140, 4),
    f('tstamp', 152, 8), f('wire_len', 160, 4), f('gso_segs', 164, 4), f('sk', 168, 8), f('gso_size', 176, 4),
  ],
  packet: { data: 76, dataEnd: 80, width: 4 },
};

/**
 * SK_MSG_MD is `struct sk_msg_md` of sk_msg programs: 64-bit data/data_end around the part of the message the program
 * sees, the socket's family, addresses and ports (as in __sk_buff), the message size and the socket.
 */
export const SK_MSG_MD: ContextLayout = {
  name: 'struct sk_msg_md',
  size: 80,
  kind: 'packet',
  fields: [
    f('data', 0, 8), f('data_end', 8, 8), f('family', 16, 4), f('remote_ip4', 20, 4), f('local_ip4', 24, 4),
    ...[0, 1, 2, 3].map((i) => f(`remote_ip6[${i}]`, 28 + 4 * i, 4)), ...[0, 1, 2, 3].map((i) => f(`local_ip6[${i}]`, 44 + 4 * i, 4)),
    f('remote_port', 60, 4), f('local_port', 64, 4), f('size', 68, 4), f('sk', 72, 8),
  ],
  packet: { data: 0, dataEnd: 8, width: 8 },
};

/** PERF_EVENT_DATA is `struct bpf_perf_event_data`: pt_regs then sample period and address. */
export const PERF_EVENT_DATA: ContextLayout = {
  ...PT_REGS,
  name: 'struct bpf_perf_event_data',
  size: PT_REGS.size + 16,
  fields: [...PT_REGS.fields, f('sample_period', PT_REGS.size), f('addr', PT_REGS.size + 8)],
};

/** U64_ARGS is the context of BTF-typed tracing (fentry, fexit, tp_btf, raw tracepoints): an array of u64. */
export const U64_ARGS: ContextLayout = {
  name: 'u64[]',
  size: 0,
  kind: 'args',
  fields: [0, 1, 2, 3, 4, 5].map((i) => f(`args[${i}]`, 8 * i)),
};

/** BTF_TRACING_TYPES are the program types whose context arguments are BTF-typed kernel pointers (loads through them are PROBE_MEM). */
export const BTF_TRACING_TYPES: ReadonlySet<string> = new Set(['tp_btf', 'fentry', 'fexit', 'fmod_ret', 'lsm', 'iter', 'struct_ops']);

const u32s = (names: string): CtxField[] => names.split(' ').map((n) => f(n, 0, 4));

/** sequential lays out fields one after the other at their natural alignment (the uapi context structs are such). */
function sequential(fields: CtxField[]): { fields: CtxField[]; size: number } {
  let at = 0;
  const out = fields.map((x) => {
    const align = x.size;
    at = Math.ceil(at / align) * align;
    const placed = { ...x, offset: at };
    at += x.size * (x.length ?? 1);
    return placed;
  });
  return { fields: out, size: Math.ceil(at / 8) * 8 };
}

const arr = (name: string, size: CtxField['size'], length: number): CtxField => ({ name, offset: 0, size, kind: 'array', length });

/** BPF_SOCK_OPS is `struct bpf_sock_ops` of sock_ops programs (the `args[4]` union read as args). */
export const BPF_SOCK_OPS: ContextLayout = (() => {
  const { fields, size } = sequential([
    f('op', 0, 4), arr('args', 4, 4), ...u32s('family remote_ip4 local_ip4'), arr('remote_ip6', 4, 4), arr('local_ip6', 4, 4),
    ...u32s('remote_port local_port is_fullsock snd_cwnd srtt_us bpf_sock_ops_cb_flags state rtt_min snd_ssthresh rcv_nxt snd_nxt snd_una mss_cache ecn_flags rate_delivered rate_interval_us packets_out retrans_out total_retrans segs_in data_segs_in segs_out data_segs_out lost_out sacked_out sk_txhash'),
    f('bytes_received', 0, 8), f('bytes_acked', 0, 8), f('sk', 0, 8), f('skb_data', 0, 8), f('skb_data_end', 0, 8),
    ...u32s('skb_len skb_tcp_flags'), f('skb_hwtstamp', 0, 8),
  ]);
  return { name: 'struct bpf_sock_ops', size, kind: 'raw', fields, inputs: ['op', 'family', 'remote_ip4', 'local_ip4', 'remote_port', 'local_port', 'state'] };
})();

/** BPF_SOCK is `struct bpf_sock` of cgroup/sock programs (sock_create, post_bind4...). */
export const BPF_SOCK: ContextLayout = (() => {
  const { fields, size } = sequential([
    ...u32s('bound_dev_if family type protocol mark priority src_ip4'), arr('src_ip6', 4, 4), f('src_port', 0, 4),
    f('dst_port', 0, 2), f('dst_ip4', 0, 4), arr('dst_ip6', 4, 4), ...u32s('state rx_queue_mapping'),
  ]);
  return { name: 'struct bpf_sock', size, kind: 'raw', fields, inputs: ['family', 'type', 'protocol', 'src_ip4', 'src_port', 'dst_ip4', 'dst_port'] };
})();

/** BPF_SOCK_ADDR is `struct bpf_sock_addr` of cgroup/connect4, bind4, sendmsg4... programs. */
export const BPF_SOCK_ADDR: ContextLayout = (() => {
  const { fields, size } = sequential([
    ...u32s('user_family user_ip4'), arr('user_ip6', 4, 4), ...u32s('user_port family type protocol msg_src_ip4'),
    arr('msg_src_ip6', 4, 4), f('sk', 0, 8),
  ]);
  return { name: 'struct bpf_sock_addr', size, kind: 'raw', fields, inputs: ['user_family', 'user_ip4', 'user_port', 'family', 'type', 'protocol'] };
})();

/** BPF_CGROUP_DEV_CTX is `struct bpf_cgroup_dev_ctx` of cgroup/dev programs (access_type = type | access << 16). */
export const BPF_CGROUP_DEV_CTX: ContextLayout = { name: 'struct bpf_cgroup_dev_ctx', size: 12, kind: 'raw', fields: u32s('access_type major minor').map((x, i) => ({ ...x, offset: 4 * i })), inputs: ['access_type', 'major', 'minor'] };

/** BPF_SYSCTL is `struct bpf_sysctl` of cgroup/sysctl programs. */
export const BPF_SYSCTL: ContextLayout = { name: 'struct bpf_sysctl', size: 8, kind: 'raw', fields: [f('write', 0, 4), f('file_pos', 4, 4)], inputs: ['write', 'file_pos'] };

/** RAW is an opaque context: whatever bytes the caller gives. */
export const RAW: ContextLayout = { name: 'void', size: 0, kind: 'raw', fields: [] };

/** contextFor returns the context layout of a program type (and, for tracepoints, its name). */
export function contextFor(type: string, tracepoint?: string): ContextLayout {
  switch (type) {
    case 'uprobe':
    case 'uretprobe':
    case 'usdt':
    case 'kprobe':
    case 'kretprobe':
    case 'ksyscall':
    case 'kretsyscall':
      return PT_REGS;
    case 'tracepoint':
      if (tracepoint?.startsWith('sys_enter_')) return SYS_ENTER;
      if (tracepoint?.startsWith('sys_exit_')) return SYS_EXIT;
      return RAW;
    case 'raw_tracepoint':
    case 'raw_tracepoint_writable':
    case 'tp_btf':
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
      return U64_ARGS;
    case 'xdp':
      return XDP_MD;
    case 'socket_filter':
    case 'sched_cls':
    case 'sched_act':
    case 'cgroup_skb':
    case 'sk_skb':
      return SK_BUFF;
    case 'sk_msg':
      return SK_MSG_MD;
    case 'perf_event':
      return PERF_EVENT_DATA;
    case 'sock_ops':
      return BPF_SOCK_OPS;
    case 'cgroup_sock':
      return BPF_SOCK;
    case 'cgroup_sock_addr':
      return BPF_SOCK_ADDR;
    case 'cgroup_device':
      return BPF_CGROUP_DEV_CTX;
    case 'cgroup_sysctl':
      return BPF_SYSCTL;
    default:
      return RAW;
  }
}
