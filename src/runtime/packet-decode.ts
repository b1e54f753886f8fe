/**
 * Decoding packet headers for people reading a run: Ethernet with 802.1Q/802.1ad tags, ARP, IPv4 (header checksum
 * checked) and IPv6 (extension headers walked), the inner packet of IP-in-IP and IPv6-in-IP tunnels, TCP, UDP, ICMP
 * and ICMPv6 (checksums over the pseudo-header checked), as a list of layers with a tcpdump-like one-line summary. A
 * truncated or malformed header ends the list with a layer saying so; decoding never throws.
 */

/** Layer is one decoded header. */
export interface Layer {
  /** eth, vlan, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, payload, truncated. */
  proto: string;
  /** The header's fields, for JSON. */
  fields: Record<string, string | number | boolean>;
  /** Its part of the summary line. */
  text: string;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_ARP = 0x0806;
const VLAN_TYPES = new Set([0x8100, 0x88a8]);
const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;
/** IPv6 extension headers walked to reach the transport header (hop-by-hop, routing, fragment, destination options). */
const IPV6_EXT = new Set([0, 43, 44, 60]);
const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

const be16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const be32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** formatMac prints six bytes as aa:bb:cc:dd:ee:ff. */
export const formatMac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** formatIp prints a 4-byte address dotted and a 16-byte one in RFC 5952 form. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  const words = Array.from({ length: 8 }, (_, i) => be16(b, 2 * i));
  // The longest run of two or more zero words becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  return best < 0 ? hex(words) : `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** sum16 adds big-endian 16-bit words (one's complement, unfolded). */
function sum16(b: Uint8Array, from: number, to: number, sum = 0): number {
  for (let i = from; i < to; i += 2) sum += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** l4ChecksumOk checks a transport checksum over the pseudo-header of `src`/`dst`. */
function l4ChecksumOk(b: Uint8Array, at: number, end: number, src: Uint8Array, dst: Uint8Array, proto: number): boolean {
  let sum = sum16(src, 0, src.length) + sum16(dst, 0, dst.length) + proto + (end - at);
  sum = sum16(b, at, end, sum);
  return fold(sum) === 0xffff;
}

function truncated(what: string, need: number, have: number): Layer {
  return { proto: 'truncated', fields: { header: what, need, have }, text: `[${what} truncated: ${have} of ${need} bytes]` };
}

/** decodePacket decodes `b`, an Ethernet frame or (l3) an IP packet. */
export function decodePacket(b: Uint8Array, l3 = false): Layer[] {
  const layers: Layer[] = [];
  let at = 0;
  let type: number;
  if (l3) type = b.length && b[0] >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP;
  else {
    if (b.length < 14) return [truncated('ethernet', 14, b.length)];
    type = be16(b, 12);
    layers.push({ proto: 'eth', fields: { src: formatMac(b.subarray(6, 12)), dst: formatMac(b.subarray(0, 6)), type: `0x${type.toString(16).padStart(4, '0')}` }, text: `${formatMac(b.subarray(6, 12))} > ${formatMac(b.subarray(0, 6))}` });
    at = 14;
    while (VLAN_TYPES.has(type)) {
      if (b.length < at + 4) return [...layers, truncated('vlan', at + 4, b.length)];
      const tci = be16(b, at);
      layers.push({ proto: 'vlan', fields: { id: tci & 0xfff, pcp: tci >> 13, tpid: `0x${type.toString(16)}` }, text: `vlan ${tci & 0xfff}${tci >> 13 ? ` p ${tci >> 13}` : ''}` });
      type = be16(b, at + 2);
      at += 4;
    }
  }
  if (type === ETH_P_IP) return [...layers, ...decodeIpv4(b, at)];
  if (type === ETH_P_IPV6) return [...layers, ...decodeIpv6(b, at)];
  if (type === ETH_P_ARP) return [...layers, decodeArp(b, at)];
  layers.push({ proto: 'payload', fields: { ethertype: `0x${type.toString(16).padStart(4, '0')}`, length: b.length - at }, text: `ethertype 0x${type.toString(16).padStart(4, '0')}, ${b.length - at} bytes` });
  return layers;
}

function decodeArp(b: Uint8Array, at: number): Layer {
  if (b.length < at + 28) return truncated('arp', at + 28, b.length);
  const op = be16(b, at + 6);
  const spa = formatIp(b.subarray(at + 14, at + 18));
  const tpa = formatIp(b.subarray(at + 24, at + 28));
  const text = op === 1 ? `ARP who-has ${tpa} tell ${spa}` : op === 2 ? `ARP reply ${spa} is-at ${formatMac(b.subarray(at + 8, at + 14))}` : `ARP op ${op}`;
  return { proto: 'arp', fields: { op, sender: spa, target: tpa, sender_mac: formatMac(b.subarray(at + 8, at + 14)) }, text };
}

function decodeIpv4(b: Uint8Array, at: number): Layer[] {
  if (b.length < at + 20) return [truncated('ipv4', at + 20, b.length)];
  const ihl = (b[at] & 0xf) * 4;
  if (b[at] >> 4 !== 4 || ihl < 20) return [{ proto: 'ipv4', fields: { version: b[at] >> 4, ihl }, text: `IPv4 bad version/ihl byte 0x${b[at].toString(16)}` }];
  if (b.length < at + ihl) return [truncated('ipv4 options', at + ihl, b.length)];
  const total = be16(b, at + 2);
  const src = b.subarray(at + 12, at + 16);
  const dst = b.subarray(at + 16, at + 20);
  const proto = b[at + 9];
  const fragOff = be16(b, at + 6) & 0x1fff;
  const csumOk = fold(sum16(b, at, at + ihl)) === 0xffff;
  const end = Math.min(b.length, at + Math.max(total, ihl));
  const fields = { src: formatIp(src), dst: formatIp(dst), proto, ttl: b[at + 8], tos: b[at + 1], id: be16(b, at + 4), len: total, csum_ok: csumOk, ...(fragOff ? { frag_offset: fragOff * 8 } : {}) };
  const layer: Layer = { proto: 'ipv4', fields, text: `IPv4 ${formatIp(src)} > ${formatIp(dst)} ttl ${b[at + 8]} id ${fields.id} len ${total}${csumOk ? '' : ' bad-csum'}${total > b.length - at ? ` (${b.length - at} present)` : ''}` };
  if (fragOff) return [layer, { proto: 'payload', fields: { fragment: true, length: end - at - ihl }, text: `fragment, ${end - at - ihl} bytes` }];
  return [layer, ...decodeL4(b, at + ihl, end, proto, src, dst)];
}

function decodeIpv6(b: Uint8Array, at: number): Layer[] {
  if (b.length < at + 40) return [truncated('ipv6', at + 40, b.length)];
  const plen = be16(b, at + 4);
  const src = b.subarray(at + 8, at + 24);
  const dst = b.subarray(at + 24, at + 40);
  let next = b[at + 6];
  const fields = { src: formatIp(src), dst: formatIp(dst), next_header: next, hop_limit: b[at + 7], payload_len: plen };
  const layer: Layer = { proto: 'ipv6', fields, text: `IPv6 ${formatIp(src)} > ${formatIp(dst)} hlim ${b[at + 7]} plen ${plen}` };
  const end = Math.min(b.length, at + 40 + plen);
  let off = at + 40;
  while (IPV6_EXT.has(next)) {
    if (off + 8 > end) return [layer, truncated(`ipv6 extension ${next}`, off + 8, end)];
    const size = next === 44 ? 8 : (b[off + 1] + 1) * 8;
    if (next === 44 && (be16(b, off + 2) & 0xfff8) !== 0) return [layer, { proto: 'payload', fields: { fragment: true, length: end - off - 8 }, text: `fragment, ${end - off - 8} bytes` }];
    next = b[off];
    off += size;
  }
  return [layer, ...decodeL4(b, off, end, next, src, dst)];
}

function decodeL4(b: Uint8Array, at: number, end: number, proto: number, src: Uint8Array, dst: Uint8Array): Layer[] {
  if (proto === IPPROTO.TCP) {
    if (end < at + 20) return [truncated('tcp', at + 20, end)];
    const flags = TCP_FLAGS.filter((_, i) => b[at + 13] & (1 << i));
    const csumOk = l4ChecksumOk(b, at, end, src, dst, proto);
    const hlen = (b[at + 12] >> 4) * 4;
    const fields = { sport: be16(b, at), dport: be16(b, at + 2), seq: be32(b, at + 4), ack: be32(b, at + 8), flags: flags.join(','), window: be16(b, at + 14), csum_ok: csumOk, payload: Math.max(0, end - at - hlen) };
    return [{ proto: 'tcp', fields, text: `TCP ${fields.sport} > ${fields.dport} [${flags.join(',') || 'none'}] seq ${fields.seq} len ${fields.payload}${csumOk ? '' : ' bad-csum'}` }];
  }
  if (proto === IPPROTO.UDP) {
    if (end < at + 8) return [truncated('udp', at + 8, end)];
    const stored = be16(b, at + 6);
    // A zero UDP checksum over IPv4 means "none".
    const csumOk = stored === 0 && src.length === 4 ? true : l4ChecksumOk(b, at, end, src, dst, proto);
    const fields = { sport: be16(b, at), dport: be16(b, at + 2), len: be16(b, at + 4), csum_ok: csumOk, ...(stored === 0 ? { no_csum: true } : {}) };
    return [{ proto: 'udp', fields, text: `UDP ${fields.sport} > ${fields.dport} len ${fields.len}${stored === 0 ? ' no-csum' : csumOk ? '' : ' bad-csum'}` }];
  }
  if (proto === IPPROTO.ICMP || proto === IPPROTO.ICMPV6) {
    if (end < at + 4) return [truncated('icmp', at + 4, end)];
    const v6 = proto === IPPROTO.ICMPV6;
    const csumOk = v6 ? l4ChecksumOk(b, at, end, src, dst, proto) : fold(sum16(b, at, end)) === 0xffff;
    const fields = { type: b[at], code: b[at + 1], csum_ok: csumOk };
    return [{ proto: v6 ? 'icmpv6' : 'icmp', fields, text: `${v6 ? 'ICMPv6' : 'ICMP'} type ${b[at]} code ${b[at + 1]}${csumOk ? '' : ' bad-csum'}` }];
  }
  // IP in IP (4) and IPv6 in IP (41): the inner packet, as tunnels carry it.
  if (proto === 4) return decodeIpv4(b.subarray(0, end), at);
  if (proto === 41) return decodeIpv6(b.subarray(0, end), at);
  return [{ proto: 'payload', fields: { ip_proto: proto, length: end - at }, text: `proto ${proto}, ${end - at} bytes` }];
}

/** summarize joins the layers' texts into one line. */
export const summarize = (layers: Layer[]): string => layers.map((l) => l.text).join(', ');
