/**
 * Socket lookups against the declared sockets, as the kernel's __inet_lookup and __udp4_lib_lookup choose: a socket
 * whose four-tuple matches exactly (established TCP, connected UDP) wins; then a listening TCP or unconnected UDP
 * socket on the port, bound to the destination address before one bound to the wildcard; a socket bound to a device
 * only takes packets of that device. And `struct bpf_sock`, the view programs read of what they found.
 */
import type { DeclaredSocket } from './net.js';

/** SIZEOF_BPF_SOCK is sizeof(struct bpf_sock). */
export const SIZEOF_BPF_SOCK = 80;
/** TCP states a struct bpf_sock reports (include/net/tcp_states.h). */
const TCP_ESTABLISHED = 1;
const TCP_CLOSE = 7;
const TCP_LISTEN = 10;

/** SocketTuple is what a lookup asks for, from the packet's point of view: its source is the socket's peer. */
export interface SocketTuple {
  protocol: 'tcp' | 'udp';
  saddr: Uint8Array;
  sport: number;
  daddr: Uint8Array;
  dport: number;
  /** The device the packet is on (a socket bound to another device does not match). */
  ifindex: number;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const wildcard = (a: Uint8Array): boolean => a.every((x) => x === 0);

/** scoreOf ranks a socket for a tuple (-1: no match); higher wins, as the kernel's compute_score does. */
function scoreOf(s: DeclaredSocket, t: SocketTuple): number {
  if (s.protocol !== t.protocol || s.localPort !== t.dport || s.localIp.length !== t.daddr.length) return -1;
  if (s.boundIfindex && s.boundIfindex !== t.ifindex) return -1;
  let score = 0;
  if (s.remoteIp) {
    if (!same(s.remoteIp, t.saddr) || s.remotePort !== t.sport) return -1;
    score += 8;
  }
  if (!wildcard(s.localIp)) {
    if (!same(s.localIp, t.daddr)) return -1;
    score += 4;
  }
  if (s.boundIfindex) score += 2;
  return score;
}

/** lookupSocket returns the index of the socket a packet with `t` belongs to, or -1. */
export function lookupSocket(sockets: readonly DeclaredSocket[], t: SocketTuple): number {
  // A socket with a peer (established, connected) outscores any listener, as the established table is searched first.
  let best = -1;
  let bestScore = -1;
  sockets.forEach((s, i) => {
    const score = scoreOf(s, t);
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/** writeBpfSock lays `s` out as struct bpf_sock at `at`. */
export function writeBpfSock(dv: DataView, at: number, s: DeclaredSocket): void {
  const v6 = s.localIp.length === 16;
  const u8 = new Uint8Array(dv.buffer, dv.byteOffset + at, SIZEOF_BPF_SOCK);
  u8.fill(0);
  dv.setUint32(at, s.boundIfindex ?? 0, true);
  dv.setUint32(at + 4, v6 ? 10 : 2, true);
  dv.setUint32(at + 8, s.protocol === 'tcp' ? 1 : 2, true);
  dv.setUint32(at + 12, s.protocol === 'tcp' ? 6 : 17, true);
  u8.set(s.localIp, v6 ? 28 : 24);
  dv.setUint32(at + 44, s.localPort, true);
  if (s.remoteIp) {
    dv.setUint16(at + 48, s.remotePort ?? 0, false);
    u8.set(s.remoteIp, v6 ? 56 : 52);
  }
  // An IPv6 socket bound to an address keeps 127.0.0.6 (LOOPBACK4_IPV6) as its IPv4 address, so IPv4 never finds it.
  if (v6 && !wildcard(s.localIp)) u8.set([127, 0, 0, 6], 24);
  // A connected IPv4 TCP socket's addresses were set with sk_rcv_saddr_set/sk_daddr_set, which also store them
  // v4-mapped in the IPv6 fields.
  if (!v6 && s.protocol === 'tcp' && s.remoteIp) {
    u8.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...s.localIp], 28);
    u8.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...s.remoteIp], 56);
  }
  const state = s.protocol === 'tcp' ? (s.remoteIp ? TCP_ESTABLISHED : TCP_LISTEN) : s.remoteIp ? TCP_ESTABLISHED : TCP_CLOSE;
  dv.setUint32(at + 72, state, true);
  dv.setInt32(at + 76, -1, true);
}
