/**
 * bpf_sk_lookup_tcp, bpf_sk_lookup_udp, bpf_skc_lookup_tcp and bpf_sk_release against the sockets the user declares
 * (src/helpers/packet/sockets.ts), with net/core/filter.c's argument rules: a tuple of sizeof(tuple.ipv4) or
 * sizeof(tuple.ipv6) bytes, flags 0, a netns negative as a 32-bit value (BPF_F_CURRENT_NETNS: the caller's; an id
 * names another namespace, which a declared network does not have: NULL). A socket found is a reference the program
 * must release, as the verifier demands.
 */
import { ExecError } from '../../errors.js';
import { lookupSocket, type SocketTuple } from '../packet/sockets.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { acquire, envOf, helper, release } from './common.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
/** sizeof(struct bpf_sock_tuple.ipv4) and .ipv6. */
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
/** The program types whose contexts carry a device to look sockets up from. */
const PACKET_TYPES = new Set(['xdp', 'sched_cls', 'sched_act', 'cgroup_skb', 'sk_skb', 'socket_filter', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_lookup']);

function lookup(c: HelperCall, protocol: 'tcp' | 'udp', name: string): number {
  const env = envOf(c);
  if (!PACKET_TYPES.has(env.program.type)) throw new ExecError('bad-program-type', `bpf_${name} is not available to programs of type ${env.program.type}`);
  const size = c.argNum(3);
  const netns = c.arg(4);
  // A negative 32-bit netns (BPF_F_CURRENT_NETNS and the like) is the caller's; an id names another namespace.
  if (c.arg(5) !== 0n || (size !== TUPLE_V4 && size !== TUPLE_V6) || BigInt.asIntN(32, netns) >= 0n) return 0;
  const b = c.mem.bytes(c.argNum(2), size);
  const n = size === TUPLE_V4 ? 4 : 16;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t: SocketTuple = {
    protocol, saddr: b.slice(0, n), daddr: b.slice(n, 2 * n), sport: dv.getUint16(2 * n, false), dport: dv.getUint16(2 * n + 2, false),
    ifindex: env.ifindex ?? 1,
  };
  const index = lookupSocket(env.net?.sockets ?? [], t);
  if (index < 0) return 0;
  if (!env.socketAddress) throw new ExecError('no-runtime', `bpf_${name} needs the runtime of a loaded collection`);
  return acquire(env, env.socketAddress(index), `bpf_${name}`);
}

const LOOKUP_ARGS = ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything', 'anything'] as const;

/** SOCKET_LOOKUP_HELPERS are the socket lookups and bpf_sk_release. */
export const SOCKET_LOOKUP_HELPERS: HelperDef[] = [
  helper(id('sk_lookup_tcp'), N[id('sk_lookup_tcp')], { ret: 'ptr_to_socket_or_null', acquire: true, args: [...LOOKUP_ARGS] },
    'the declared TCP socket a packet with this tuple would reach (established first, then a listener), or NULL; release it with bpf_sk_release',
    (c) => lookup(c, 'tcp', 'sk_lookup_tcp')),
  helper(id('sk_lookup_udp'), N[id('sk_lookup_udp')], { ret: 'ptr_to_socket_or_null', acquire: true, args: [...LOOKUP_ARGS] },
    'the declared UDP socket a datagram with this tuple would reach (connected first, then bound), or NULL; release it with bpf_sk_release',
    (c) => lookup(c, 'udp', 'sk_lookup_udp')),
  helper(id('skc_lookup_tcp'), N[id('skc_lookup_tcp')], { ret: 'ptr_to_sock_common_or_null', acquire: true, args: [...LOOKUP_ARGS] },
    'bpf_sk_lookup_tcp that may also return request and time-wait sockets (declared sockets are all full sockets)',
    (c) => lookup(c, 'tcp', 'skc_lookup_tcp')),
  helper(id('sk_release'), N[id('sk_release')], { ret: 'integer', release: 0, args: ['ptr_to_sock_common'] },
    'releases a socket a lookup returned',
    (c) => (release(c, 'bpf_sk_release'), 0)),
];
