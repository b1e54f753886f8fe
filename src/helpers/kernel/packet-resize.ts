/**
 * Packet helpers that grow, shrink or move a packet, with the kernel's (net/core/filter.c, 6.18) limits and errors:
 * xdp_adjust_head/tail/meta within the XDP frame, skb_change_head/tail and skb_adjust_room up to BPF_SKB_MAX_LEN,
 * skb_change_proto between IPv4 and IPv6. Each one rewrites the context's packet pointers afterwards, as the kernel's
 * bpf_compute_data_pointers does.
 */
import { ETH_HLEN, SKB_MAX_ALLOC, XDP_METADATA_MAX, type PacketBuffer } from '../packet/buffer.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { ERR, helper } from './common.js';
import { NET_ERR, packetOf } from './packet-access.js';
import type { HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
/** Ethertypes (host order). */
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;

/** BPF_F_ADJ_ROOM_* flags of skb_adjust_room. */
const ADJ = {
  FIXED_GSO: 1n << 0n,
  ENCAP_L3_IPV4: 1n << 1n,
  ENCAP_L3_IPV6: 1n << 2n,
  ENCAP_L4_GRE: 1n << 3n,
  ENCAP_L4_UDP: 1n << 4n,
  NO_CSUM_RESET: 1n << 5n,
  ENCAP_L2_ETH: 1n << 6n,
  DECAP_L3_IPV4: 1n << 7n,
  DECAP_L3_IPV6: 1n << 8n,
  ENCAP_L2_SHIFT: 56n,
} as const;
const ADJ_ENCAP_L3 = ADJ.ENCAP_L3_IPV4 | ADJ.ENCAP_L3_IPV6;
const ADJ_DECAP_L3 = ADJ.DECAP_L3_IPV4 | ADJ.DECAP_L3_IPV6;
const ADJ_MASK = ADJ.FIXED_GSO | ADJ_ENCAP_L3 | ADJ.ENCAP_L4_GRE | ADJ.ENCAP_L4_UDP | ADJ.ENCAP_L2_ETH | (0xffn << ADJ.ENCAP_L2_SHIFT) | ADJ_DECAP_L3;
const BPF_ADJ_ROOM_NET = 0;
const BPF_ADJ_ROOM_MAC = 1;

const s32 = (v: number): number => v | 0;

/** netBaseLen is bpf_skb_net_base_len: the fixed header length of the skb's network protocol (~0 for others). */
function netBaseLen(p: PacketBuffer): number {
  return p.skb.protocol === ETH_P_IP ? IPV4_HLEN : p.skb.protocol === ETH_P_IPV6 ? IPV6_HLEN : 0xffffffff;
}

/** adjustRoom is bpf_skb_adjust_room after its argument checks. */
function adjustRoom(p: PacketBuffer, lenDiff: number, mode: number, flags: bigint): number {
  const abs = Math.abs(lenDiff);
  const shrink = lenDiff < 0;
  if (flags & ~(ADJ_MASK | ADJ.NO_CSUM_RESET)) return ERR.EINVAL;
  if (abs > 0xfff) return ERR.EFAULT;
  if (p.skb.protocol !== ETH_P_IP && p.skb.protocol !== ETH_P_IPV6) return NET_ERR.ENOTSUPP;
  const macLen = p.skb.network - p.skb.mac;
  let off = macLen;
  if (mode === BPF_ADJ_ROOM_NET) off += netBaseLen(p);
  else if (mode !== BPF_ADJ_ROOM_MAC) return NET_ERR.ENOTSUPP;
  let lenMin = netBaseLen(p);
  if (flags & ADJ_DECAP_L3) {
    if (!shrink) return ERR.EINVAL;
    const decap = flags & ADJ_DECAP_L3;
    if (decap === ADJ.DECAP_L3_IPV4) lenMin = IPV4_HLEN;
    else if (decap === ADJ.DECAP_L3_IPV6) lenMin = IPV6_HLEN;
    else return ERR.EINVAL;
  }
  const lenCur = p.length - p.skb.network;
  if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && p.length + abs > SKB_MAX_ALLOC)) return NET_ERR.ENOTSUPP;
  const ret = shrink ? netShrink(p, off, abs, flags) : netGrow(p, off, abs, flags, macLen);
  if (ret === 0 && !(flags & ADJ.NO_CSUM_RESET)) p.csumLevel = undefined;
  p.sync();
  return ret;
}

function netGrow(p: PacketBuffer, off: number, len: number, flags: bigint, macLen: number): number {
  const innerMacLen = Number((flags >> ADJ.ENCAP_L2_SHIFT) & 0xffn);
  const encap = (flags & ADJ_ENCAP_L3) !== 0n;
  if (encap) {
    if ((flags & ADJ_ENCAP_L3) === ADJ_ENCAP_L3) return ERR.EINVAL;
    if (flags & ADJ.ENCAP_L4_GRE && flags & ADJ.ENCAP_L4_UDP) return ERR.EINVAL;
    if (flags & ADJ.ENCAP_L2_ETH && innerMacLen < ETH_HLEN) return ERR.EINVAL;
    if (p.encapsulation) return NET_ERR.EALREADY;
    if (innerMacLen > len) return ERR.EINVAL;
  }
  p.insert(off, len);
  if (encap) {
    p.encapsulation = true;
    p.skb.network = macLen;
    if (p.skb.protocol === ETH_P_IP && flags & ADJ.ENCAP_L3_IPV6) p.setProtocol(ETH_P_IPV6);
    else if (p.skb.protocol === ETH_P_IPV6 && flags & ADJ.ENCAP_L3_IPV4) p.setProtocol(ETH_P_IP);
  }
  return 0;
}

function netShrink(p: PacketBuffer, off: number, len: number, flags: bigint): number {
  if (flags & ~(ADJ.FIXED_GSO | ADJ_DECAP_L3 | ADJ.NO_CSUM_RESET)) return ERR.EINVAL;
  if (off + len > p.length) return NET_ERR.ENOMEM;
  p.remove(off, len);
  if (p.skb.protocol === ETH_P_IP && flags & ADJ.DECAP_L3_IPV6) p.setProtocol(ETH_P_IPV6);
  else if (p.skb.protocol === ETH_P_IPV6 && flags & ADJ.DECAP_L3_IPV4) p.setProtocol(ETH_P_IP);
  return 0;
}

/** minLen is __bpf_skb_min_len: a packet may not be cut inside its link-layer header. */
function minLen(p: PacketBuffer): number {
  return Math.max(0, p.skb.network);
}

/** PACKET_RESIZE_HELPERS are the helpers that change a packet's size or position. */
export const PACKET_RESIZE_HELPERS: HelperDef[] = [
  helper(id('xdp_adjust_head'), N[id('xdp_adjust_head')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'moves the start of an XDP packet by offset bytes (negative: grows into the headroom, keeping any metadata before it); -EINVAL past the frame or below 14 bytes',
    (c) => {
      const p = packetOf(c, 'xdp');
      const offset = s32(c.argU32(2));
      const metalen = p.data - p.meta;
      const data = p.data + offset;
      if (data < p.frameStart + metalen || data > p.end - ETH_HLEN) return ERR.EINVAL;
      if (metalen) c.mem.u8.copyWithin(p.meta + offset, p.meta, p.data);
      p.meta += offset;
      p.data = data;
      p.sync();
      return 0;
    }),
  helper(id('xdp_adjust_tail'), N[id('xdp_adjust_tail')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'moves the end of an XDP packet by offset bytes (growth is zeroed); -EINVAL past the frame\'s tailroom or below 14 bytes',
    (c) => {
      const p = packetOf(c, 'xdp');
      const offset = s32(c.argU32(2));
      const end = p.end + offset;
      if (end > p.frameEnd || end < p.data + ETH_HLEN) return ERR.EINVAL;
      if (offset > 0) c.mem.u8.fill(0, p.end, end);
      p.end = end;
      p.sync();
      return 0;
    }),
  helper(id('xdp_adjust_meta'), N[id('xdp_adjust_meta')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'moves the start of the metadata before an XDP packet; -EINVAL outside the headroom, -EACCES for a length not a multiple of 4 or above 252',
    (c) => {
      const p = packetOf(c, 'xdp');
      const meta = p.meta + s32(c.argU32(2));
      const metalen = p.data - meta;
      if (meta < p.frameStart || meta > p.data) return ERR.EINVAL;
      if (metalen % 4 !== 0 || metalen > XDP_METADATA_MAX) return NET_ERR.EACCES;
      p.meta = meta;
      p.sync();
      return 0;
    }),
  helper(id('skb_change_head'), N[id('skb_change_head')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything'] },
    'adds head_room zero bytes before the packet, which become its MAC header; -EINVAL for flags or a packet beyond 16064 bytes',
    (c) => {
      const p = packetOf(c, 'skb');
      const room = c.argU32(2);
      const len = p.length + room;
      if (c.arg(3) !== 0n || room > 0x7fffffff || len > SKB_MAX_ALLOC) return p.sync(), ERR.EINVAL;
      p.push(room);
      c.mem.u8.fill(0, p.data, p.data + room);
      // The network header stays where it was; the MAC header is reset to the new start.
      p.skb.network += room;
      p.skb.mac = 0;
      p.sync();
      return 0;
    }),
  helper(id('skb_change_tail'), N[id('skb_change_tail')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything'] },
    'grows (zero-filled) or trims the packet to new_len bytes; -EINVAL for flags, beyond 16064 bytes or inside the MAC header',
    (c) => {
      const p = packetOf(c, 'skb');
      const len = c.argU32(2);
      let ret = 0;
      if (c.arg(3) !== 0n || len > SKB_MAX_ALLOC || len < minLen(p)) ret = ERR.EINVAL;
      else if (p.encapsulation) ret = NET_ERR.ENOTSUPP;
      else p.resize(len);
      p.sync();
      return ret;
    }),
  helper(id('skb_adjust_room'), N[id('skb_adjust_room')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything', 'anything'] },
    'inserts (len_diff > 0, zeroed) or removes room after the MAC header (BPF_ADJ_ROOM_MAC) or the fixed network header (BPF_ADJ_ROOM_NET), with the encap/decap flags',
    (c) => {
      const p = packetOf(c, 'skb');
      const ret = adjustRoom(p, s32(c.argU32(2)), c.argU32(3), c.arg(4));
      p.sync();
      return ret;
    }),
  helper(id('skb_change_proto'), N[id('skb_change_proto')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything'] },
    'changes an IPv4 packet into IPv6 or back: opens or removes 20 bytes after the MAC header; -ENOTSUPP for other protocols',
    (c) => {
      const p = packetOf(c, 'skb');
      const be = c.argU32(2) & 0xffff;
      const to = ((be & 0xff) << 8) | (be >> 8);
      let ret: number = NET_ERR.ENOTSUPP;
      const off = p.skb.network - p.skb.mac;
      if (c.arg(3) !== 0n) ret = ERR.EINVAL;
      else if (p.skb.protocol === ETH_P_IP && to === ETH_P_IPV6) {
        p.insert(off, IPV6_HLEN - IPV4_HLEN);
        p.setProtocol(ETH_P_IPV6);
        ret = 0;
      } else if (p.skb.protocol === ETH_P_IPV6 && to === ETH_P_IP) {
        if (off + IPV6_HLEN - IPV4_HLEN > p.length) ret = NET_ERR.ENOMEM;
        else {
          p.remove(off, IPV6_HLEN - IPV4_HLEN);
          p.setProtocol(ETH_P_IP);
          ret = 0;
        }
      }
      p.sync();
      return ret;
    }),
];
