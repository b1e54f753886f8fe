/**
 * Which program types may call which helper: the kernel's per-type `get_func_proto` (net/core/filter.c,
 * kernel/trace/bpf_trace.c) as Linux 6.18 answers it when loaded as root (CAP_PERFMON included, which opens
 * trace_printk, probe_read_kernel and the current task to every type), probed with BPF_PROG_LOAD: a program that
 * only calls the helper, refused with "program of this type cannot use helper". test/verifier-helper-types.test.ts
 * checks this table against the running kernel. Only helpers the kernel restricts are listed; the others (maps,
 * time, current task, ring buffers, loops, printing...) every type may call. bpf_get_func_arg, _ret and _arg_cnt
 * stay open to every type: the kernel gives them to fentry/fexit only, bpftime-vm to uprobes and tracepoints too (it
 * knows the probed function's arguments). Types the probe cannot load without an attach target (fentry, fexit,
 * tp_btf, lsm, iter, struct_ops, sk_lookup, cgroup/sock_addr...) and typeless bytecode are not restricted by this table.
 */

/** HELPER_TYPES lists, for each restricted helper, the kernel program types that may call it. */
export const HELPER_TYPES: Readonly<Record<string, readonly string[]>> = {
  probe_read: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  skb_get_tunnel_key: ['sched_cls', 'sched_act', 'lwt_xmit'],
  skb_set_tunnel_key: ['sched_cls', 'sched_act', 'lwt_xmit'],
  skb_get_tunnel_opt: ['sched_cls', 'sched_act', 'lwt_xmit'],
  skb_set_tunnel_opt: ['sched_cls', 'sched_act', 'lwt_xmit'],
  sk_redirect_map: ['sk_skb'],
  sk_redirect_hash: ['sk_skb'],
  msg_redirect_map: ['sk_msg'],
  msg_redirect_hash: ['sk_msg'],
  msg_apply_bytes: ['sk_msg'],
  msg_cork_bytes: ['sk_msg'],
  msg_pull_data: ['sk_msg'],
  msg_push_data: ['sk_msg'],
  msg_pop_data: ['sk_msg'],
  sock_map_update: ['sock_ops'],
  sock_hash_update: ['sock_ops'],
  skb_store_bytes: ['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb'],
  l3_csum_replace: ['sched_cls', 'sched_act', 'lwt_xmit'],
  l4_csum_replace: ['sched_cls', 'sched_act', 'lwt_xmit'],
  clone_redirect: ['sched_cls', 'sched_act', 'lwt_xmit'],
  redirect: ['sched_cls', 'sched_act', 'xdp', 'lwt_xmit'],
  perf_event_output: ['socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint', 'cgroup_sysctl'],
  skb_load_bytes: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb', 'flow_dissector'],
  get_stackid: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  csum_diff: ['sched_cls', 'sched_act', 'xdp', 'lwt_in', 'lwt_out', 'lwt_xmit'],
  skb_change_proto: ['sched_cls', 'sched_act'],
  skb_change_type: ['sched_cls', 'sched_act'],
  skb_change_tail: ['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb'],
  skb_pull_data: ['sched_cls', 'sched_act', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb'],
  csum_update: ['sched_cls', 'sched_act', 'lwt_xmit'],
  skb_change_head: ['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb'],
  xdp_adjust_head: ['xdp'],
  probe_read_str: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  get_socket_cookie: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'sk_skb'],
  skb_adjust_room: ['sched_cls', 'sched_act', 'sk_skb'],
  redirect_map: ['xdp'],
  xdp_adjust_meta: ['xdp'],
  xdp_adjust_tail: ['xdp'],
  get_stack: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  skb_load_bytes_relative: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb'],
  fib_lookup: ['sched_cls', 'sched_act', 'xdp'],
  sk_lookup_tcp: ['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb'],
  sk_lookup_udp: ['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb'],
  sk_release: ['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb'],
  skc_lookup_tcp: ['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'sk_skb'],
  get_netns_cookie: ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock', 'sock_ops', 'sk_msg'],
  csum_level: ['sched_cls', 'sched_act', 'lwt_xmit'],
  redirect_neigh: ['sched_cls', 'sched_act'],
  redirect_peer: ['sched_cls', 'sched_act'],
  ktime_get_coarse_ns: ['socket_filter', 'sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'sk_msg', 'flow_dissector', 'cgroup_sysctl'],
  get_func_ip: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  get_attach_cookie: ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint'],
  xdp_get_buff_len: ['xdp'],
  xdp_load_bytes: ['xdp'],
  xdp_store_bytes: ['xdp'],
};

/** PROBED_TYPES are the kernel program types HELPER_TYPES was probed on. */
export const PROBED_TYPES = [
  'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out',
  'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint', 'flow_dissector', 'cgroup_sysctl',
] as const;

/** Our type names that are one kernel program type (uprobes are BPF_PROG_TYPE_KPROBE programs). */
const KERNEL_TYPE: Record<string, string> = {
  kretprobe: 'kprobe', uprobe: 'kprobe', uretprobe: 'kprobe', usdt: 'kprobe', ksyscall: 'kprobe', kretsyscall: 'kprobe',
  raw_tracepoint_writable: 'raw_tracepoint',
};

/** helperAllowed reports whether programs of type `type` (our name) may call helper `helper` (name without bpf_). */
export function helperAllowed(type: string, helper: string): boolean {
  const allowed = HELPER_TYPES[helper];
  const kernelType = KERNEL_TYPE[type] ?? type;
  if (!allowed || !(PROBED_TYPES as readonly string[]).includes(kernelType)) return true;
  return allowed.includes(kernelType);
}
