/**
 * Building test packets byte by byte (no network, no capture files from elsewhere): Ethernet with optional 802.1Q
 * tags, IPv4 (header checksum computed) and IPv6, TCP and UDP (checksums over the pseudo-header computed), ICMP, ARP.
 */

/** ip4 parses dotted IPv4 text into 4 bytes. */
export const ip4 = (s: string): Uint8Array => new Uint8Array(s.split('.').map(Number));

/** ip6 parses IPv6 text (with ::) into 16 bytes. */
export function ip6(s: string): Uint8Array {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const words = (t: string) => (t ? t.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** mac parses aa:bb:cc:dd:ee:ff into 6 bytes. */
export const mac = (s: string): Uint8Array => new Uint8Array(s.split(':').map((x) => parseInt(x, 16)));

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const cat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** inetChecksum is the Internet checksum (RFC 1071) of `bytes`, as stored big-endian in a header. */
export function inetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** EthOptions describes an Ethernet header. */
export interface EthOptions {
  dst?: Uint8Array;
  src?: Uint8Array;
  /** 802.1Q tags (outermost first): VLAN ids. */
  vlans?: number[];
}

/** eth wraps a payload of `type` in an Ethernet header. */
export function eth(type: number, payload: Uint8Array, o: EthOptions = {}): Uint8Array {
  const tags = (o.vlans ?? []).flatMap((id) => [0x81, 0x00, ...be16(id & 0xfff)]);
  return cat(o.dst ?? mac('02:00:00:00:00:02'), o.src ?? mac('02:00:00:00:00:01'), tags, be16(type), payload);
}

/** IpOptions describes an IP header. */
export interface IpOptions {
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** IPv4 options bytes (a multiple of 4). */
  options?: Uint8Array;
}

/** ipv4 builds an IPv4 packet with a correct header checksum. */
export function ipv4(o: IpOptions, payload: Uint8Array): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const h = cat([0x40 | ((20 + opts.length) / 4), o.tos ?? 0, ...be16(20 + opts.length + payload.length), ...be16(o.id ?? 1), 0x40, 0, o.ttl ?? 64, o.proto, 0, 0], o.src, o.dst, opts);
  const c = inetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return cat(h, payload);
}

/** ipv6 builds an IPv6 packet. */
export function ipv6(o: IpOptions, payload: Uint8Array): Uint8Array {
  return cat([0x60, 0, 0, 0, ...be16(payload.length), o.proto, o.ttl ?? 64], o.src, o.dst, payload);
}

function pseudo(src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array {
  return src.length === 4 ? cat(src, dst, [0, proto, ...be16(len)]) : cat(src, dst, [0, 0, ...be16(len), 0, 0, 0, proto]);
}

/** L4Options describes TCP or UDP ports and the addresses of the pseudo-header. */
export interface L4Options {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  /** TCP flags byte (SYN 0x02, ACK 0x10...). */
  flags?: number;
  /** UDP: leave the checksum 0 (IPv4 allows it). */
  noChecksum?: boolean;
}

/** udp builds a UDP datagram with its checksum. */
export function udp(o: L4Options, payload: Uint8Array): Uint8Array {
  const d = cat([...be16(o.sport), ...be16(o.dport), ...be16(8 + payload.length), 0, 0], payload);
  if (!o.noChecksum) {
    const c = inetChecksum(cat(pseudo(o.src, o.dst, 17, d.length), d)) || 0xffff;
    d[6] = c >> 8;
    d[7] = c & 0xff;
  }
  return d;
}

/** tcp builds a TCP segment (no options) with its checksum. */
export function tcp(o: L4Options, payload: Uint8Array, seq = 1000): Uint8Array {
  const s = cat([...be16(o.sport), ...be16(o.dport), (seq >>> 24) & 0xff, (seq >> 16) & 0xff, (seq >> 8) & 0xff, seq & 0xff, 0, 0, 0, 0, 0x50, o.flags ?? 0x18, ...be16(65535), 0, 0, 0, 0], payload);
  const c = inetChecksum(cat(pseudo(o.src, o.dst, 6, s.length), s));
  s[16] = c >> 8;
  s[17] = c & 0xff;
  return s;
}

/** icmpEcho builds an ICMP (type 8) or ICMPv6 (type 128) echo request. */
export function icmpEcho(v6: { src: Uint8Array; dst: Uint8Array } | undefined, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const m = cat([v6 ? 128 : 8, 0, 0, 0, ...be16(id), ...be16(seq)], payload);
  const c = inetChecksum(v6 ? cat(pseudo(v6.src, v6.dst, 58, m.length), m) : m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

/** arpRequest builds an ARP who-has request. */
export function arpRequest(senderMac: Uint8Array, senderIp: Uint8Array, targetIp: Uint8Array): Uint8Array {
  return cat([0, 1, 8, 0, 6, 4, 0, 1], senderMac, senderIp, new Uint8Array(6), targetIp);
}

/** bytes returns `n` bytes of a simple pattern starting at `seed`. */
export const pattern = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);

/** concat joins byte arrays. */
export const concat = cat;
