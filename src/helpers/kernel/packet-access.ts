/**
 * Packet helpers that read and write a packet in place, with the kernel's (net/core/filter.c, 6.18) bounds, flags and
 * errors: skb_load_bytes(_relative), skb_store_bytes, xdp_load_bytes/xdp_store_bytes, l3_csum_replace and
 * l4_csum_replace (a test run's skb is CHECKSUM_NONE, so every update is the plain incremental one), csum_update and
 * csum_level, xdp_get_buff_len, skb_pull_data and skb_change_type.
 */
import { ExecError } from '../../errors.js';
import { csumReplace2, csumReplace4, csumReplaceByDiff } from '../packet/checksum.js';
import type { PacketBuffer } from '../packet/buffer.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper } from './common.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
const INT_MAX = 0x7fffffff;
/** More errno values the packet helpers return. */
export const NET_ERR = { ENOMEM: -12, EACCES: -13, EALREADY: -114, ENOTSUPP: -524 } as const;

/** BPF_F_* flags of the checksum and store helpers. */
const F = { RECOMPUTE_CSUM: 1, INVALIDATE_HASH: 2, HDR_FIELD_MASK: 0xf, PSEUDO_HDR: 1 << 4, MARK_MANGLED_0: 1 << 5, MARK_ENFORCE: 1 << 6, IPV6: 1 << 7 } as const;
const CSUM_MANGLED_0 = 0xffff;
const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;
/** Packet types skb_change_type may move between: PACKET_HOST to PACKET_OTHERHOST. */
const PACKET_OTHERHOST = 3;
/** SKB_MAX_CSUM_LEVEL is the deepest CHECKSUM_UNNECESSARY level. */
const SKB_MAX_CSUM_LEVEL = 3;

/** packetOf returns the run's packet, of `kind` when given. */
export function packetOf(c: HelperCall, kind?: 'xdp' | 'skb'): PacketBuffer {
  const p = envOf(c).packet;
  if (!p) throw new ExecError('no-packet', 'this helper needs the packet of an xdp or socket-buffer program: run it with packet data');
  if (kind && p.kind !== kind) throw new ExecError('bad-program-type', `this helper works on ${kind === 'xdp' ? 'XDP buffers' : 'socket buffers'}, not on a program of type ${envOf(c).program.type}`);
  return p;
}

/** csumField applies the l3/l4 checksum update to the 16-bit field at `addr` (host order). */
function csumField(c: HelperCall, addr: number, size: number, from: bigint, to: bigint): number {
  const dv = c.mem.dv;
  const sum = dv.getUint16(addr, true);
  const f = Number(BigInt.asUintN(32, from));
  const t = Number(BigInt.asUintN(32, to));
  if (size === 0) {
    if (from !== 0n) return ERR.EINVAL;
    dv.setUint16(addr, csumReplaceByDiff(sum, t), true);
  } else if (size === 2) dv.setUint16(addr, csumReplace2(sum, f & 0xffff, t & 0xffff), true);
  else if (size === 4) dv.setUint16(addr, csumReplace4(sum, f, t), true);
  else return ERR.EINVAL;
  return 0;
}

/** csumOffset checks a checksum field's offset as both csum helpers do: -EFAULT when odd, too large or outside the packet. */
function csumOffset(p: PacketBuffer, offset: number): number {
  if (offset > 0xffff || offset & 1 || offset + 2 > p.length) return ERR.EFAULT;
  return 0;
}

/** PACKET_ACCESS_HELPERS are the in-place packet helpers. */
export const PACKET_ACCESS_HELPERS: HelperDef[] = [
  helper(id('skb_load_bytes'), N[id('skb_load_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size'] },
    'copies len bytes at offset of the packet; -EFAULT (and a zeroed buffer) when they are not all inside it',
    (c) => {
      const p = packetOf(c, 'skb');
      const offset = c.argU32(2);
      const out = c.mem.bytes(c.argNum(3), c.argNum(4), true);
      if (offset > INT_MAX || offset + out.length > p.length) return out.fill(0), ERR.EFAULT;
      out.set(c.mem.u8.subarray(p.data + offset, p.data + offset + out.length));
      return 0;
    }),
  helper(id('skb_load_bytes_relative'), N[id('skb_load_bytes_relative')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size', 'anything'] },
    'skb_load_bytes from the MAC (0) or network (1) header instead of the data start',
    (c) => {
      const p = packetOf(c, 'skb');
      const offset = c.argU32(2);
      const out = c.mem.bytes(c.argNum(3), c.argNum(4), true);
      const start = c.argU32(5);
      const base = start === BPF_HDR_START_MAC ? p.skb.mac : start === BPF_HDR_START_NET ? p.skb.network : undefined;
      if (offset > 0xffff || base === undefined || base + offset + out.length > p.length || p.data + base + offset < p.region.start) {
        return out.fill(0), ERR.EFAULT;
      }
      const at = p.data + base + offset;
      out.set(c.mem.u8.subarray(at, at + out.length));
      return 0;
    }),
  helper(id('skb_store_bytes'), N[id('skb_store_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size', 'anything'] },
    'writes len bytes at offset of the packet (flags BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH); -EFAULT outside it',
    (c) => {
      const p = packetOf(c, 'skb');
      const offset = c.argU32(2);
      const from = c.mem.bytes(c.argNum(3), c.argNum(4));
      if (c.arg(5) & ~BigInt(F.RECOMPUTE_CSUM | F.INVALIDATE_HASH)) return ERR.EINVAL;
      if (offset > INT_MAX || offset + from.length > p.length) return ERR.EFAULT;
      c.mem.u8.copyWithin(p.data + offset, from.byteOffset, from.byteOffset + from.length);
      p.sync();
      return 0;
    }),
  helper(id('xdp_load_bytes'), N[id('xdp_load_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size'] },
    'copies len bytes at offset of an XDP buffer; -EFAULT for an offset or length above 0xffff, -EINVAL past its end',
    (c) => {
      const p = packetOf(c, 'xdp');
      const offset = c.argU32(2);
      const out = c.mem.bytes(c.argNum(3), c.argNum(4), true);
      if (offset > 0xffff || out.length > 0xffff) return ERR.EFAULT;
      if (offset + out.length > p.length) return ERR.EINVAL;
      out.set(c.mem.u8.subarray(p.data + offset, p.data + offset + out.length));
      return 0;
    }),
  helper(id('xdp_store_bytes'), N[id('xdp_store_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size'] },
    'writes len bytes at offset of an XDP buffer; -EFAULT for an offset or length above 0xffff, -EINVAL past its end',
    (c) => {
      const p = packetOf(c, 'xdp');
      const offset = c.argU32(2);
      const from = c.mem.bytes(c.argNum(3), c.argNum(4));
      if (offset > 0xffff || from.length > 0xffff) return ERR.EFAULT;
      if (offset + from.length > p.length) return ERR.EINVAL;
      c.mem.u8.copyWithin(p.data + offset, from.byteOffset, from.byteOffset + from.length);
      return 0;
    }),
  helper(id('xdp_get_buff_len'), N[id('xdp_get_buff_len')], { ret: 'integer', args: ['ptr_to_ctx'] },
    'the length of an XDP buffer (linear buffers only: no fragments here)', (c) => packetOf(c, 'xdp').length),
  helper(id('l3_csum_replace'), N[id('l3_csum_replace')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'] },
    'updates the checksum at offset for a 2- or 4-byte field changed from `from` to `to` (size in flags), or by a csum_diff result (size 0)',
    (c) => {
      const p = packetOf(c, 'skb');
      const flags = c.arg(5);
      if (flags & ~BigInt(F.HDR_FIELD_MASK)) return ERR.EINVAL;
      const offset = c.argU32(2);
      const bad = csumOffset(p, offset);
      if (bad) return bad;
      return csumField(c, p.data + offset, Number(flags) & F.HDR_FIELD_MASK, c.arg(3), c.arg(4));
    }),
  helper(id('l4_csum_replace'), N[id('l4_csum_replace')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'] },
    'l3_csum_replace for a TCP/UDP checksum: BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0 (UDP: a zero checksum stays zero, a result of zero becomes 0xffff), BPF_F_MARK_ENFORCE, BPF_F_IPV6',
    (c) => {
      const p = packetOf(c, 'skb');
      const flags = c.arg(5);
      if (flags & ~BigInt(F.MARK_MANGLED_0 | F.MARK_ENFORCE | F.PSEUDO_HDR | F.HDR_FIELD_MASK | F.IPV6)) return ERR.EINVAL;
      const offset = c.argU32(2);
      const bad = csumOffset(p, offset);
      if (bad) return bad;
      const f = Number(flags);
      const addr = p.data + offset;
      const mmzero = (f & F.MARK_MANGLED_0) !== 0;
      if (mmzero && !(f & F.MARK_ENFORCE) && c.mem.dv.getUint16(addr, true) === 0) return 0;
      const r = csumField(c, addr, f & F.HDR_FIELD_MASK, c.arg(3), c.arg(4));
      if (r) return r;
      if (mmzero && c.mem.dv.getUint16(addr, true) === 0) c.mem.dv.setUint16(addr, CSUM_MANGLED_0, true);
      return 0;
    }),
  helper(id('csum_update'), N[id('csum_update')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'adds to skb->csum of a CHECKSUM_COMPLETE packet; a test run\'s packets carry no checksum state: -ENOTSUPP',
    (c) => (packetOf(c, 'skb'), NET_ERR.ENOTSUPP)),
  helper(id('csum_level'), N[id('csum_level')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'BPF_CSUM_LEVEL_QUERY (the CHECKSUM_UNNECESSARY level, or -EACCES when the packet has none), _INC, _DEC, _RESET; -EINVAL for others',
    (c) => {
      const p = packetOf(c, 'skb');
      const level = c.arg(2);
      const current = p.csumLevel;
      if (level === 0n) return current ?? NET_ERR.EACCES;
      if (level === 1n) p.csumLevel = current === undefined ? 0 : Math.min(current + 1, SKB_MAX_CSUM_LEVEL);
      else if (level === 2n) p.csumLevel = current === undefined || current === 0 ? undefined : current - 1;
      else if (level === 3n) p.csumLevel = undefined;
      else return ERR.EINVAL;
      return 0;
    }),
  helper(id('skb_pull_data'), N[id('skb_pull_data')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'makes len bytes (0: the whole head) directly readable and writable: they always are here; -ENOMEM beyond the packet',
    (c) => {
      const p = packetOf(c, 'skb');
      const len = c.argU32(2);
      p.sync();
      return len > p.length ? NET_ERR.ENOMEM : 0;
    }),
  helper(id('skb_change_type'), N[id('skb_change_type')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'sets the packet type (PACKET_HOST, BROADCAST, MULTICAST, OTHERHOST); -EINVAL for others',
    (c) => {
      const p = packetOf(c, 'skb');
      const type = c.argU32(2);
      if (p.skb.pktType > PACKET_OTHERHOST || type > PACKET_OTHERHOST) return ERR.EINVAL;
      p.skb.pktType = type;
      p.sync();
      return 0;
    }),
];
