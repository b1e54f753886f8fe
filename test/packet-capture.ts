/**
 * The capture the packet corpus (examples/xdp-lb, tc-nat, tunnel) runs on: 65 varied packets built byte by byte, for
 * each program's paths and the edges around them: TCP/UDP/ICMP to the load balancer's VIP over IPv4 (with options,
 * fragments, TTL 1, a VLAN tag, no UDP checksum) and IPv6, NAT traffic both ways, telnet, tunnel encapsulation and
 * decapsulation, padded short frames, ARP, LLDP, broadcast and multicast destinations, truncated headers, a frame
 * shorter than an Ethernet header. Committed as examples/packets.pcap (regenerated with BPFTIME_UPDATE_GOLDEN=1).
 */
import { arpRequest, concat, eth, icmpEcho, ip4, ip6, ipv4, ipv6, mac, pattern, tcp, udp, type IpOptions } from './packet-builder.js';

const VIP = ip4('10.0.0.100');
const VIP6 = ip6('fd00::100');
const PRIVATE = ip4('10.0.2.1');
const client = (n: number) => ip4(`192.0.2.${n}`);
const client6 = (n: number) => ip6(`2001:db8::${n.toString(16)}`);

/** pad60 pads a frame to Ethernet's 60-byte minimum, as a NIC does. */
const pad60 = (f: Uint8Array): Uint8Array => (f.length >= 60 ? f : concat(f, new Uint8Array(60 - f.length)));

function tcp4(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, payload: number, o: Partial<IpOptions> & { flags?: number } = {}): Uint8Array {
  return pad60(eth(0x0800, ipv4({ src, dst, proto: 6, ...o }, tcp({ src, dst, sport, dport, flags: o.flags }, pattern(payload, sport)))));
}

function udp4(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, payload: number, o: Partial<IpOptions> & { noChecksum?: boolean } = {}): Uint8Array {
  return pad60(eth(0x0800, ipv4({ src, dst, proto: 17, ...o }, udp({ src, dst, sport, dport, noChecksum: o.noChecksum }, pattern(payload, dport)))));
}

function l4v6(proto: 6 | 17, src: Uint8Array, dst: Uint8Array, sport: number, dport: number, payload: number): Uint8Array {
  const l4 = proto === 6 ? tcp({ src, dst, sport, dport }, pattern(payload, 9)) : udp({ src, dst, sport, dport }, pattern(payload, 11));
  return eth(0x86dd, ipv6({ src, dst, proto }, l4));
}

/** corpusPackets returns the capture's packets in order. */
export function corpusPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Load balancer: clients of the VIP over TCP (SYN and data) and UDP, spread over the backends.
  for (let i = 1; i <= 8; i++) out.push(tcp4(client(i), VIP, 40000 + i * 7, 80, i % 2 ? 0 : 100 * i, { flags: i % 2 ? 0x02 : 0x18, id: i }));
  for (let i = 1; i <= 4; i++) out.push(udp4(client(10 + i), VIP, 5000 + i, 80, 30 * i, { id: 100 + i }));
  out.push(udp4(client(20), VIP, 5300, 80, 40, { noChecksum: true }));
  out.push(tcp4(client(21), VIP, 41000, 80, 20, { options: Uint8Array.from([1, 1, 1, 0]) }));
  out.push(tcp4(client(22), VIP, 41001, 80, 20, { ttl: 1 }));
  out.push(eth(0x0800, ipv4({ src: client(23), dst: VIP, proto: 17 }, pattern(64)), {}).map((b, k) => (k === 20 ? 0x20 : b)));
  out.push(tcp4(client(24), VIP, 41002, 22, 10));
  out.push(pad60(eth(0x0800, ipv4({ src: client(25), dst: VIP, proto: 1 }, icmpEcho(undefined, 7, 1, pattern(32))))));
  out.push(pad60(eth(0x0800, ipv4({ src: client(26), dst: VIP, proto: 1 }, icmpEcho(undefined, 7, 2, pattern(8)).map((b, k) => (k === 0 ? 0 : b))))));
  out.push(eth(0x0800, ipv4({ src: client(27), dst: VIP, proto: 6 }, tcp({ src: client(27), dst: VIP, sport: 41003, dport: 80 }, pattern(40))), { vlans: [10] }));
  out.push(pad60(eth(0x0800, ipv4({ src: client(28), dst: VIP, proto: 47 }, pattern(24)))));
  for (let i = 1; i <= 3; i++) out.push(l4v6(6, client6(i), VIP6, 42000 + i, 80, 50 * i));
  for (let i = 4; i <= 5; i++) out.push(l4v6(17, client6(i), VIP6, 42000 + i, 80, 20 * i));
  out.push(l4v6(6, client6(6), VIP6, 42006, 443, 10));
  out.push(l4v6(17, client6(7), ip6('fd00::200'), 42007, 80, 10));
  out.push(eth(0x86dd, ipv6({ src: client6(8), dst: VIP6, proto: 58 }, icmpEcho({ src: client6(8), dst: VIP6 }, 1, 1, pattern(16)))));
  // NAT: to port 8080 (forwarded), replies from 10.0.2.1:80, telnet, other ports.
  for (let i = 1; i <= 4; i++) out.push(tcp4(client(30 + i), ip4('10.0.0.100'), 43000 + i, 8080, i * 25, { flags: 0x18 }));
  for (let i = 1; i <= 2; i++) out.push(udp4(client(35 + i), ip4('10.0.0.100'), 6000 + i, 8080, 33 * i));
  out.push(udp4(client(38), ip4('10.0.0.100'), 6003, 8080, 20, { noChecksum: true }));
  out.push(tcp4(client(39), ip4('10.0.0.100'), 43009, 8080, 12, { options: Uint8Array.from([0x94, 4, 0, 0]) }));
  for (let i = 1; i <= 3; i++) out.push(tcp4(PRIVATE, client(30 + i), 80, 43000 + i, 60 * i, { flags: 0x18 }));
  out.push(udp4(PRIVATE, client(36), 80, 6001, 44));
  out.push(tcp4(client(40), ip4('10.0.0.100'), 43100, 23, 5));
  out.push(udp4(client(41), ip4('10.0.0.7'), 6100, 53, 28));
  // Tunnel: traffic for 10.1.0.0/16 (encapsulated), IP-in-IP (decapsulated), discard port 9 (trailer), padding.
  for (let i = 1; i <= 3; i++) out.push(tcp4(client(50 + i), ip4(`10.1.${i}.1`), 44000 + i, 443, 80 * i, { tos: 4 * i }));
  out.push(udp4(client(54), ip4('10.1.9.9'), 7000, 53, 10));
  for (let i = 1; i <= 3; i++) {
    const inner = ipv4({ src: client(55 + i), dst: ip4('10.3.0.1'), proto: 17 }, udp({ src: client(55 + i), dst: ip4('10.3.0.1'), sport: 7100 + i, dport: 53 }, pattern(20 * i)));
    out.push(eth(0x0800, ipv4({ src: ip4('192.168.0.2'), dst: ip4('192.168.0.1'), proto: 4 }, inner)));
  }
  for (let i = 1; i <= 3; i++) out.push(udp4(client(60 + i), ip4('10.0.0.9'), 7200 + i, 9, 40 * i));
  out.push(tcp4(client(64), ip4('10.0.0.9'), 7300, 25, 0));
  out.push(udp4(client(65), ip4('10.0.0.9'), 7301, 9, 0));
  // Other traffic: ARP, LLDP, broadcast and multicast destinations, a large frame, broken headers.
  out.push(pad60(eth(0x0806, arpRequest(mac('02:00:00:00:00:07'), client(70), VIP), { dst: mac('ff:ff:ff:ff:ff:ff') })));
  out.push(pad60(eth(0x88cc, pattern(30), { dst: mac('01:80:c2:00:00:0e') })));
  out.push(udp4(client(71), ip4('255.255.255.255'), 68, 67, 100).map((b, k) => (k < 6 ? 0xff : b)));
  out.push(udp4(client(72), ip4('224.0.0.251'), 5353, 5353, 60).map((b, k) => [0x01, 0x00, 0x5e, 0, 0, 0xfb][k] ?? b));
  out.push(tcp4(client(73), VIP, 41500, 80, 1400, { flags: 0x10 }));
  out.push(eth(0x0800, ipv4({ src: client(74), dst: VIP, proto: 6 }, pattern(20)).slice(0, 16)));
  out.push(eth(0x0800, ipv4({ src: client(75), dst: VIP, proto: 6 }, tcp({ src: client(75), dst: VIP, sport: 41600, dport: 80 }, new Uint8Array(0))).slice(0, 30)));
  out.push(eth(0x86dd, pattern(20)));
  out.push(eth(0x0800, ipv4({ src: client(76), dst: ip4('10.0.0.9'), proto: 17 }, pattern(40))).map((b, k) => (k === 16 ? 0x09 : k === 17 ? 0 : b)));
  out.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]));
  return out;
}

/** CAPTURE_START_NS is the first packet's timestamp; packets follow each millisecond. */
export const CAPTURE_START_NS = 1_764_900_000_000_000_000n;
