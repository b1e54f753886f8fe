/**
 * Running socket programs: sk_skb programs see the data a socket received (an skb whose data starts at the TCP or UDP
 * payload), sk_msg programs the message a socket sends; both read the socket's family, addresses and ports from their
 * context. From a capture, each TCP/UDP packet's payload is the data and its addresses name the socket: the receiver
 * (local = destination) for sk_skb, the sender (local = source) for sk_msg. sock_ops contexts name their socket by
 * their fields, which bpf_sock_map_update needs to find the declared socket.
 */
import type { ContextLayout } from '../loader/contexts.js';
import type { DeclaredSocket } from '../helpers/packet/net.js';

/** StreamSegment is a TCP or UDP packet's payload and addresses. */
export interface StreamSegment {
  protocol: 'tcp' | 'udp';
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  payload: Uint8Array;
}

const be16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];

/** streamSegment reads the TCP or UDP payload of an Ethernet frame (or, `l3`, an IP packet); undefined for anything else. */
export function streamSegment(b: Uint8Array, l3 = false): StreamSegment | undefined {
  let at = 0;
  let type: number;
  if (l3) type = b.length && b[0] >> 4 === 6 ? 0x86dd : 0x0800;
  else {
    if (b.length < 14) return undefined;
    type = be16(b, 12);
    at = 14;
    while ((type === 0x8100 || type === 0x88a8) && b.length >= at + 4) {
      type = be16(b, at + 2);
      at += 4;
    }
  }
  let proto: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  let end: number;
  if (type === 0x0800 && b.length >= at + 20 && b[at] >> 4 === 4) {
    const ihl = (b[at] & 0xf) * 4;
    if ((be16(b, at + 6) & 0x1fff) !== 0) return undefined;
    [proto, src, dst, end] = [b[at + 9], b.slice(at + 12, at + 16), b.slice(at + 16, at + 20), Math.min(b.length, at + be16(b, at + 2))];
    at += ihl;
  } else if (type === 0x86dd && b.length >= at + 40) {
    [proto, src, dst, end] = [b[at + 6], b.slice(at + 8, at + 24), b.slice(at + 24, at + 40), Math.min(b.length, at + 40 + be16(b, at + 4))];
    at += 40;
  } else return undefined;
  if (proto === 6 && end >= at + 20) {
    const hlen = (b[at + 12] >> 4) * 4;
    return { protocol: 'tcp', src, dst, sport: be16(b, at), dport: be16(b, at + 2), payload: b.slice(Math.min(end, at + hlen), end) };
  }
  if (proto === 17 && end >= at + 8) return { protocol: 'udp', src, dst, sport: be16(b, at), dport: be16(b, at + 2), payload: b.slice(at + 8, end) };
  return undefined;
}

/** segmentSocket is the socket a segment belongs to: its receiver (sk_skb) or its sender (sk_msg). */
export function segmentSocket(s: StreamSegment, sender: boolean): DeclaredSocket {
  return sender
    ? { protocol: s.protocol, localIp: s.src, localPort: s.sport, remoteIp: s.dst, remotePort: s.dport }
    : { protocol: s.protocol, localIp: s.dst, localPort: s.dport, remoteIp: s.src, remotePort: s.sport };
}

/** writeSocketFields writes a socket's family, addresses and ports into a context that has them (__sk_buff, sk_msg_md). */
export function writeSocketFields(u8: Uint8Array, ctx: number, layout: ContextLayout, s: DeclaredSocket): void {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  // An array is one field or one per element (`local_ip6[0]`...), as layouts for the verifier list them.
  const at = (name: string) => layout.fields.find((f) => f.name === name || f.name === `${name}[0]`)?.offset;
  const v6 = s.localIp.length === 16;
  const put = (name: string, write: (o: number) => void) => {
    const o = at(name);
    if (o !== undefined) write(ctx + o);
  };
  put('family', (o) => dv.setUint32(o, v6 ? 10 : 2, true));
  put(v6 ? 'local_ip6' : 'local_ip4', (o) => u8.set(s.localIp, o));
  if (s.remoteIp) put(v6 ? 'remote_ip6' : 'remote_ip4', (o) => u8.set(s.remoteIp!, o));
  // remote_port is the __be16 loaded as a u16 and shifted left by 16 (its bytes: 0, 0, then the port in network
  // order); local_port the port in host order.
  put('remote_port', (o) => dv.setUint32(o, ((((s.remotePort ?? 0) & 0xff) << 8) | ((s.remotePort ?? 0) >> 8)) << 16 >>> 0, true));
  put('local_port', (o) => dv.setUint32(o, s.localPort, true));
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * sockOpsSocket finds the declared TCP socket a `struct bpf_sock_ops` context describes (family, local and remote
 * address and port; a listener's remote side is empty), or undefined.
 */
export function sockOpsSocket(u8: Uint8Array, ctx: number, layout: ContextLayout, sockets: readonly DeclaredSocket[]): number | undefined {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const off = (name: string) => ctx + layout.fields.find((f) => f.name === name || f.name === `${name}[0]`)!.offset;
  const v6 = dv.getUint32(off('family'), true) === 10;
  const ip = (name: string) => (v6 ? u8.slice(off(`${name}_ip6`), off(`${name}_ip6`) + 16) : u8.slice(off(`${name}_ip4`), off(`${name}_ip4`) + 4));
  const local = ip('local');
  const remote = ip('remote');
  const localPort = dv.getUint32(off('local_port'), true);
  const remotePort = dv.getUint16(off('remote_port') + 2, false);
  const k = sockets.findIndex((s) => s.protocol === 'tcp' && s.localPort === localPort && same(s.localIp, local) &&
    (s.remoteIp ? same(s.remoteIp, remote) && s.remotePort === remotePort : remotePort === 0 && remote.every((b) => b === 0)));
  return k < 0 ? undefined : k;
}
