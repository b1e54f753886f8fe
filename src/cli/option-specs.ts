/**
 * Option declarations shared by several commands, kept free of imports so that `commands-list.ts` (what `--help` and
 * usage errors load) stays small.
 */
import type { OptionSpec } from './args.js';

/** CONFIGURE_OPTIONS are the options that configure an object before load, like a libbpf skeleton's user space. */
export const CONFIGURE_OPTIONS: OptionSpec[] = [
  { name: 'set', kind: 'string', value: 'NAME=VALUE', repeatable: true, description: 'object: set a .rodata/.data/.bss/.kconfig global before load, typed by its BTF (integers, bools, enums, strings, lists)' },
  { name: 'map-size', kind: 'string', value: 'MAP=N', repeatable: true, description: 'object: set a map\'s max_entries before load (maps declared with max_entries 0 need it)' },
  { name: 'map-value-size', kind: 'string', value: 'MAP=BYTES', repeatable: true, description: 'object: set a map\'s value size before load (stack trace maps sized by stack depth)' },
  { name: 'type', kind: 'string', value: 'TYPE', description: 'object: force the program type of every program: a kernel name (socket_filter, kprobe, tracepoint, xdp, sched_cls, ...) or a libbpf section name (tp/syscalls/sys_enter_openat, fentry/FUNC)' },
];

/** CGROUP_OPTION declares `--cgroup`. */
export const CGROUP_OPTION: OptionSpec = {
  name: 'cgroup',
  kind: 'string',
  value: 'MAP[I]=CGROUP',
  repeatable: true,
  description: 'object: put a cgroup (a cgroup v2 path, or its id) at index I (default 0) of a cgroup array map, as a tool\'s cgroup filter option does',
};

/** PACKET_OPTIONS declare the options of packet runs: captures, the receiving device, the declared network, map writes. */
export const PACKET_OPTIONS: OptionSpec[] = [
  { name: 'pcap', kind: 'string', value: 'FILE', description: 'object: run a packet program (XDP, tc, socket filter, cgroup/skb; sk_skb and sk_msg on each TCP/UDP payload) on every packet of a pcap or pcapng capture and print each verdict' },
  { name: 'out-pcap', kind: 'string', value: 'FILE', description: 'object, with --pcap: write the packets as the program left them (one per input packet, in order) to a pcap file' },
  { name: 'verbose', short: 'v', kind: 'boolean', description: 'with --pcap: print the decoded headers of each packet before and after the run' },
  { name: 'ifindex', kind: 'number', value: 'N', description: 'object: the device packets arrive on (ingress_ifindex; default 1, lo, as in a kernel test run)' },
  { name: 'link', kind: 'string', value: 'SPEC', repeatable: true, description: "object: declare a device: 'NAME ifindex N [address MAC] [mtu N] [addr IP]... [noforward]'" },
  { name: 'route', kind: 'string', value: 'SPEC', repeatable: true, description: "object: declare a route as ip route writes it: '[TYPE] PREFIX|default [via GW] [dev NAME] [src IP] [metric N] [mtu [lock] N] [table N]' (what bpf_fib_lookup finds)" },
  { name: 'neigh', kind: 'string', value: 'SPEC', repeatable: true, description: "object: declare a neighbour: 'IP lladdr MAC dev NAME' (the MAC bpf_fib_lookup returns)" },
  { name: 'socket', kind: 'string', value: 'SPEC', repeatable: true, description: "object: declare a socket for the socket lookups and sockmaps (the Nth is fd 3+N in sockmap updates): 'tcp|udp LOCAL [REMOTE] [dev NAME]' (ADDRESS:PORT, [IPv6]:PORT; no REMOTE: listening or unconnected)" },
  { name: 'on-socket', kind: 'number', value: 'N', description: 'object: sk_skb, sk_msg: the declared socket (the Nth --socket, from 0) the data is received on or sent from; its addresses and ports fill the context' },
  { name: 'net', kind: 'string', value: 'FILE', description: 'object: declare links, routes and neighbours from a JSON file in ip -j\'s format ({"links": [...], "routes": [...], "neighbours": [...]})' },
  { name: 'map-update', kind: 'string', value: 'MAP[KEY]=VALUE', repeatable: true, description: 'object: write an element before the run, as user space does with bpf_map_update_elem (integers stored little-endian in the key/value size, or hex:BYTES)' },
];
