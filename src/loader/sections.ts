/**
 * libbpf's section-name conventions: `SEC("uprobe/./bin:func")` fixes a program's type and where it attaches. The
 * table mirrors libbpf's section definitions (prefix, program type, and whether more text may follow); the parsers
 * read attach targets the way libbpf does (`uprobe/BINARY:FUNC[+OFFSET]`, `usdt/BINARY:PROVIDER:NAME`,
 * `tracepoint/CATEGORY/NAME`...). Kernel-only attach points parse but are reported as not attachable in userspace.
 */
import type { AttachSpec } from './spec.js';

/** SectionDef is one row of the convention table. */
interface SectionDef {
  /** Section name, or prefix when `more` is set. */
  prefix: string;
  /** Program type as bpftool names it. */
  type: string;
  /** Whether the name may continue with `/...` (libbpf's `+` definitions). */
  more: boolean;
  sleepable?: boolean;
  /** How to read what follows the prefix. */
  target?: 'probe' | 'usdt' | 'tracepoint' | 'name' | 'kprobe';
}

const def = (prefix: string, type: string, more = false, extra: Partial<SectionDef> = {}): SectionDef => ({
  prefix,
  type,
  more,
  ...extra,
});

/** SECTION_DEFS is ordered as libbpf matches: longer, more specific prefixes first. */
const SECTION_DEFS: SectionDef[] = [
  def('uprobe.s', 'uprobe', true, { sleepable: true, target: 'probe' }),
  def('uretprobe.s', 'uretprobe', true, { sleepable: true, target: 'probe' }),
  def('uprobe.multi.s', 'uprobe', true, { sleepable: true, target: 'probe' }),
  def('uretprobe.multi.s', 'uretprobe', true, { sleepable: true, target: 'probe' }),
  def('uprobe.multi', 'uprobe', true, { target: 'probe' }),
  def('uretprobe.multi', 'uretprobe', true, { target: 'probe' }),
  def('uprobe', 'uprobe', true, { target: 'probe' }),
  def('uretprobe', 'uretprobe', true, { target: 'probe' }),
  def('usdt.s', 'usdt', true, { sleepable: true, target: 'usdt' }),
  def('usdt', 'usdt', true, { target: 'usdt' }),
  def('kprobe.multi', 'kprobe', true, { target: 'kprobe' }),
  def('kretprobe.multi', 'kretprobe', true, { target: 'kprobe' }),
  def('kprobe', 'kprobe', true, { target: 'kprobe' }),
  def('kretprobe', 'kretprobe', true, { target: 'kprobe' }),
  def('ksyscall', 'ksyscall', true, { target: 'kprobe' }),
  def('kretsyscall', 'kretsyscall', true, { target: 'kprobe' }),
  def('tracepoint', 'tracepoint', true, { target: 'tracepoint' }),
  def('tp', 'tracepoint', true, { target: 'tracepoint' }),
  def('raw_tracepoint.w', 'raw_tracepoint_writable', true, { target: 'name' }),
  def('raw_tp.w', 'raw_tracepoint_writable', true, { target: 'name' }),
  def('raw_tracepoint', 'raw_tracepoint', true, { target: 'name' }),
  def('raw_tp', 'raw_tracepoint', true, { target: 'name' }),
  def('tp_btf', 'tp_btf', true, { target: 'name' }),
  def('fentry.s', 'fentry', true, { sleepable: true, target: 'name' }),
  def('fexit.s', 'fexit', true, { sleepable: true, target: 'name' }),
  def('fmod_ret.s', 'fmod_ret', true, { sleepable: true, target: 'name' }),
  def('fentry', 'fentry', true, { target: 'name' }),
  def('fexit', 'fexit', true, { target: 'name' }),
  def('fmod_ret', 'fmod_ret', true, { target: 'name' }),
  def('freplace', 'freplace', true, { target: 'name' }),
  def('lsm.s', 'lsm', true, { sleepable: true, target: 'name' }),
  def('lsm', 'lsm', true, { target: 'name' }),
  def('iter.s', 'iter', true, { sleepable: true, target: 'name' }),
  def('iter', 'iter', true, { target: 'name' }),
  def('syscall', 'syscall'),
  def('socket', 'socket_filter', true),
  def('sk_reuseport/migrate', 'sk_reuseport'),
  def('sk_reuseport', 'sk_reuseport'),
  def('xdp.frags/devmap', 'xdp'),
  def('xdp/devmap', 'xdp'),
  def('xdp.frags/cpumap', 'xdp'),
  def('xdp/cpumap', 'xdp'),
  def('xdp.frags', 'xdp'),
  def('xdp', 'xdp', true),
  def('tc/ingress', 'sched_cls'),
  def('tc/egress', 'sched_cls'),
  def('tcx/ingress', 'sched_cls'),
  def('tcx/egress', 'sched_cls'),
  def('tc', 'sched_cls', true),
  def('classifier', 'sched_cls', true),
  def('action', 'sched_act', true),
  def('perf_event', 'perf_event', true),
  def('lwt_in', 'lwt_in'),
  def('lwt_out', 'lwt_out'),
  def('lwt_xmit', 'lwt_xmit'),
  def('lwt_seg6local', 'lwt_seg6local'),
  def('sockops', 'sock_ops'),
  def('sk_skb/stream_parser', 'sk_skb'),
  def('sk_skb/stream_verdict', 'sk_skb'),
  def('sk_skb/verdict', 'sk_skb'),
  def('sk_skb', 'sk_skb', true),
  def('sk_msg', 'sk_msg'),
  def('lirc_mode2', 'lirc_mode2'),
  def('flow_dissector', 'flow_dissector'),
  def('cgroup_skb', 'cgroup_skb', true),
  def('cgroup/skb', 'cgroup_skb'),
  ...['sock_create', 'sock_release', 'sock', 'post_bind4', 'post_bind6'].map((n) => def(`cgroup/${n}`, 'cgroup_sock')),
  ...['bind4', 'bind6', 'connect4', 'connect6', 'connect_unix', 'sendmsg4', 'sendmsg6', 'sendmsg_unix', 'recvmsg4', 'recvmsg6', 'recvmsg_unix', 'getpeername4', 'getpeername6', 'getpeername_unix', 'getsockname4', 'getsockname6', 'getsockname_unix'].map((n) => def(`cgroup/${n}`, 'cgroup_sock_addr')),
  def('cgroup/sysctl', 'cgroup_sysctl'),
  def('cgroup/getsockopt', 'cgroup_sockopt'),
  def('cgroup/setsockopt', 'cgroup_sockopt'),
  def('cgroup/dev', 'cgroup_device'),
  def('struct_ops.s', 'struct_ops', true, { sleepable: true }),
  def('struct_ops', 'struct_ops', true),
  def('sk_lookup', 'sk_lookup'),
  def('netfilter', 'netfilter'),
];

/** SectionInfo is what a section name says about a program. */
export interface SectionInfo {
  type: string;
  /** The matched libbpf prefix (`uprobe`, `tp`, ...), or the whole name for custom sections. */
  attachType: string;
  sleepable: boolean;
  attach: AttachSpec;
}

const USERSPACE_TYPES = new Set(['uprobe', 'uretprobe', 'usdt']);

function probeTarget(rest: string): AttachSpec {
  // uprobe/BINARY:FUNC[+OFFSET] or uprobe/BINARY:OFFSET; the binary may itself contain '/'.
  const colon = rest.lastIndexOf(':');
  if (rest === '') return { attachable: true, binary: '', func: '' };
  if (colon < 0) return { attachable: false, binary: rest, reason: `expected BINARY:FUNCTION after the prefix, got "${rest}"` };
  const binary = rest.slice(0, colon);
  const target = rest.slice(colon + 1);
  const m = /^([A-Za-z_.@$][\w.@$]*)?(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(target);
  if (!m || (!m[1] && !m[2])) return { attachable: false, binary, reason: `cannot read function or offset "${target}"` };
  const spec: AttachSpec = { attachable: true, binary };
  if (m[1]) spec.func = m[1];
  if (m[2]) spec.offset = Number(m[2]);
  return spec;
}

function attachFor(d: SectionDef, rest: string): AttachSpec {
  switch (d.target) {
    case 'probe':
      return probeTarget(rest);
    case 'usdt': {
      const parts = rest.split(':');
      if (rest === '') return { attachable: true };
      if (parts.length !== 3) return { attachable: false, reason: `expected BINARY:PROVIDER:NAME, got "${rest}"` };
      return { attachable: true, binary: parts[0], provider: parts[1], probe: parts[2] };
    }
    case 'tracepoint': {
      const slash = rest.indexOf('/');
      if (slash < 0) return { attachable: false, reason: `expected CATEGORY/NAME, got "${rest}"` };
      const category = rest.slice(0, slash);
      const name = rest.slice(slash + 1);
      const syscall = category === 'syscalls' && /^sys_(enter|exit)_\w+$/.test(name);
      return syscall
        ? { attachable: true, category, name }
        : { attachable: false, category, name, reason: 'only syscall tracepoints (syscalls/sys_enter_*, sys_exit_*) attach in userspace' };
    }
    case 'name': {
      const syscallHook = d.type === 'raw_tracepoint' && (rest === 'sys_enter' || rest === 'sys_exit');
      return syscallHook
        ? { attachable: true, name: rest }
        : { attachable: false, name: rest, reason: `${d.type} programs attach to kernel functions or events` };
    }
    case 'kprobe': {
      const m = /^([^+]*)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(rest);
      const spec: AttachSpec = { attachable: false, reason: `${d.type} programs attach to kernel functions, not in userspace` };
      if (m?.[1]) spec.func = m[1];
      if (m?.[2]) spec.offset = Number(m[2]);
      return spec;
    }
    default:
      return USERSPACE_TYPES.has(d.type)
        ? { attachable: true }
        : { attachable: false, reason: `${d.type} programs are run with an explicit context (bpftime-vm run), not attached` };
  }
}

/** parseSection reads a program section name with libbpf's rules; unknown names give type "unspec". */
export function parseSection(section: string): SectionInfo {
  for (const d of SECTION_DEFS) {
    const exact = section === d.prefix;
    const prefixed = d.more && section.startsWith(d.prefix + '/');
    if (!exact && !prefixed) continue;
    const rest = exact ? '' : section.slice(d.prefix.length + 1);
    return { type: d.type, attachType: d.prefix, sleepable: d.sleepable === true, attach: attachFor(d, rest) };
  }
  return {
    type: 'unspec',
    attachType: section,
    sleepable: false,
    attach: { attachable: false, reason: `section "${section}" follows no libbpf convention; run it with an explicit context` },
  };
}

/**
 * KERNEL_PROGRAM_TYPES maps the kernel's program type names (`enum bpf_prog_type` without `BPF_PROG_TYPE_`) to the
 * types this loader gives programs. `tracing` is absent on purpose: its context depends on the attach type, so a
 * section name (`fentry/FUNC`, `fexit/FUNC`, `tp_btf/NAME`) must say which.
 */
export const KERNEL_PROGRAM_TYPES: Readonly<Record<string, string>> = {
  socket_filter: 'socket_filter', kprobe: 'kprobe', sched_cls: 'sched_cls', sched_act: 'sched_act', tracepoint: 'tracepoint',
  xdp: 'xdp', perf_event: 'perf_event', cgroup_skb: 'cgroup_skb', cgroup_sock: 'cgroup_sock', lwt_in: 'lwt_in',
  lwt_out: 'lwt_out', lwt_xmit: 'lwt_xmit', sock_ops: 'sock_ops', sk_skb: 'sk_skb', cgroup_device: 'cgroup_device',
  sk_msg: 'sk_msg', raw_tracepoint: 'raw_tracepoint', cgroup_sock_addr: 'cgroup_sock_addr', lwt_seg6local: 'lwt_seg6local',
  lirc_mode2: 'lirc_mode2', sk_reuseport: 'sk_reuseport', flow_dissector: 'flow_dissector', cgroup_sysctl: 'cgroup_sysctl',
  raw_tracepoint_writable: 'raw_tracepoint_writable', cgroup_sockopt: 'cgroup_sockopt', struct_ops: 'struct_ops',
  ext: 'freplace', lsm: 'lsm', sk_lookup: 'sk_lookup', syscall: 'syscall', netfilter: 'netfilter',
};

/**
 * sectionForType reads what `--type TYPE` says about a program: a kernel program type name (`xdp`, `sched_cls`,
 * `kprobe`...) or a libbpf section name (`xdp`, `tp/syscalls/sys_enter_openat`, `fentry/do_unlinkat`), which can also
 * name the attach target. Returns undefined for a name that is neither.
 */
export function sectionForType(name: string): SectionInfo | undefined {
  const bySection = parseSection(name);
  if (bySection.type !== 'unspec') return bySection;
  const type = KERNEL_PROGRAM_TYPES[name];
  if (type === undefined) return undefined;
  return { type, attachType: name, sleepable: false, attach: { attachable: false, reason: `the program type was forced to ${name}; run it with an explicit context` } };
}
