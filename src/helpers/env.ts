/**
 * What helpers may ask of the world around a program: the host (clocks, process identity, CPU, randomness, trace
 * output) and the program itself (context, attach cookie, function ip and arguments). The runtime fills it from the
 * real process unless the caller overrides values, so tests can pin time, pid or comm.
 */
import type { BpfMap } from './maps/types.js';
import type { PacketBuffer } from './packet/buffer.js';
import type { SkMsg } from './packet/msg.js';
import type { NetEnv, PacketActions } from './packet/net.js';

/** HostEnv is the machine and process a program believes it runs in. */
export interface HostEnv {
  /** CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns). */
  monotonicNs(): bigint;
  /** CLOCK_BOOTTIME in nanoseconds (bpf_ktime_get_boot_ns). */
  bootNs(): bigint;
  /** A coarse monotonic clock in nanoseconds (bpf_ktime_get_coarse_ns). */
  coarseNs(): bigint;
  /** CLOCK_TAI in nanoseconds (bpf_ktime_get_tai_ns). */
  taiNs(): bigint;
  /** Jiffies since boot (bpf_jiffies64). */
  jiffies(): bigint;
  /** Process id (the kernel's tgid) and thread id (the kernel's pid). */
  readonly tgid: number;
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** Task name, at most 15 bytes. */
  readonly comm: string;
  /** CPU the program runs on and the number of possible CPUs. */
  readonly cpu: number;
  readonly ncpus: number;
  readonly numaNode: number;
  /** A pseudo-random 32-bit value (bpf_get_prandom_u32). */
  random(): number;
  /** Receives one line of trace output (bpf_trace_printk, bpf_trace_vprintk). */
  printk(line: string): void;
  /**
   * Cgroup v2 ids of the current task's cgroup and its ancestors, the root (level 0, id 1) first and the task's own
   * cgroup last (bpf_get_current_cgroup_id, bpf_get_current_ancestor_cgroup_id, bpf_current_task_under_cgroup).
   */
  cgroupIds(): readonly bigint[];
  /** Device and inode of the current task's pid namespace, as stat(2) of /proc/self/ns/pid gives them (bpf_get_ns_current_pid_tgid). */
  pidNamespace(): { dev: bigint; ino: bigint };
  /** Cookie of the current network namespace (bpf_get_netns_cookie with a NULL context). */
  netnsCookie(): bigint;
  /** Identity of the task with thread id `pid` (bpf_task_from_pid), or undefined when there is none. */
  task(pid: number): { pid: number; tgid: number; comm: string } | undefined;
}

/** ProgramEnv describes the running program for helpers that inspect it. */
export interface ProgramEnv {
  readonly name: string;
  readonly type: string;
  /** Guest address of the context (r1 at entry). */
  readonly ctx: number;
  /** How the context holds function arguments: a pt_regs (uprobe, kprobe) or an array of u64 (fentry, tp_btf). */
  readonly ctxKind: 'pt_regs' | 'args' | 'other';
  /** Number of function arguments for `args` contexts (bpf_get_func_arg_cnt). */
  readonly argCount: number;
  /** Attach cookie (bpf_get_attach_cookie) and address of the probed function (bpf_get_func_ip). */
  readonly cookie: bigint;
  readonly funcIp: bigint;
}

/** MapLookup finds live maps: by the handle a program holds for one, or all of them. */
export interface MapLookup {
  byHandle(handle: number | bigint): BpfMap | undefined;
  /** byHalves is byHandle for a handle given as its low and high 32-bit halves (unsigned). */
  byHalves(lo: number, hi: number): BpfMap | undefined;
  all(): BpfMap[];
}

/** HelperEnv is everything the runtime offers helpers. */
export interface HelperEnv {
  readonly host: HostEnv;
  readonly maps: MapLookup;
  readonly program: ProgramEnv;
  /** Guest address of a stand-in `struct task_struct` for bpf_get_current_task, or 0 when there is none. */
  readonly task: number;
  /** Stand-in tasks by pid (bpf_task_from_pid): an address, or 0 when there is no such task. */
  taskFromPid?(pid: number): number;
  /**
   * The cookie of a socket (bpf_get_socket_cookie): of the context's socket when `address` is the context, else of
   * the `struct sock` at that address; 0 for a NULL socket. Cookies are unique and stable per socket, never 0.
   */
  socketCookie?(address: bigint): bigint;
  /** References the running program holds (acquired by a kfunc, not yet released): address -> the kfunc that acquired it. */
  readonly references?: { address: number; by: string }[];
  /** Signals requested by bpf_send_signal / bpf_send_signal_thread, for the host to deliver. */
  readonly signals: { signal: number; thread: boolean }[];
  /** Value set by bpf_override_return, for the host to apply. */
  overrideReturn?: bigint;
  /** The packet of XDP and socket-buffer programs, which the packet helpers read, write and resize. */
  packet?: PacketBuffer;
  /** The declared network (interfaces, routes, neighbours, sockets) bpf_fib_lookup and the socket lookups search. */
  net?: NetEnv;
  /** The device the packet is on (packet programs): socket lookups match sockets bound to it. */
  ifindex?: number;
  /** Guest address of the `struct bpf_sock` of declared socket `index` (what socket lookups return). */
  socketAddress?(index: number): number;
  /** What the run asked for besides its return code: redirect target, clones, tunnel key. */
  actions?: PacketActions;
  /** The message of sk_msg programs, which the msg helpers pull, push and pop. */
  msg?: SkMsg;
  /** The declared socket the context belongs to (sk_skb, sk_msg, sock_ops), if any: what bpf_sock_map_update adds. */
  contextSocket?: number;
}
