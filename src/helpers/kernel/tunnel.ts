/**
 * Tunnel metadata of tc programs (net/core/filter.c): bpf_skb_set_tunnel_key attaches the transmit metadata a
 * collect_md tunnel device (VXLAN, Geneve, GRE, IPIP in external mode) encapsulates with, bpf_skb_set_tunnel_opt its
 * options; bpf_skb_get_tunnel_key/opt read the packet's metadata back. The run records it (`actions.tunnel`) instead of
 * encapsulating; a run may give a received packet's metadata (`RunInput.tunnel`) for get to read.
 *
 * The kernel's rules kept: `struct bpf_tunnel_key` is 44 bytes, or one of its older sizes (8, 22, 24, 28); set accepts
 * BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER and BPF_F_NO_TUNNEL_KEY, refuses a flow
 * label on IPv4 and a non-zero tunnel_ext; get accepts BPF_F_TUNINFO_IPV6 and BPF_F_TUNINFO_FLAGS, answers -EINVAL
 * without metadata and -EPROTO for the other address family, and zeroes the buffer on every error. The metadata is
 * stored as the kernel stores it, destination and source: get reads it from the receiver's side, so the remote
 * address it returns is the source (set's local address) and the local one the destination.
 */
import { ExecError } from '../../errors.js';
import type { TunnelInfo } from '../packet/net.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper } from './common.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
const EPROTO = -71;
const ENOMEM = -12;
/** sizeof(struct bpf_tunnel_key) and the sizes of its older layouts (offsets of local_ipv6, tunnel_label, tunnel_ext, remote_ipv6[1]). */
const KEY_SIZE = 44;
const OLD_SIZES = new Set([28, 24, 22, 8]);
/** BPF_F_* flags of the tunnel key helpers. */
const F = { TUNINFO_IPV6: 1n, ZERO_CSUM_TX: 2n, DONT_FRAGMENT: 4n, SEQ_NUMBER: 8n, NO_TUNNEL_KEY: 16n, TUNINFO_FLAGS: 16n } as const;
const SET_FLAGS = F.TUNINFO_IPV6 | F.ZERO_CSUM_TX | F.DONT_FRAGMENT | F.SEQ_NUMBER | F.NO_TUNNEL_KEY;
/** The kernel's legacy TUNNEL_* flag bits, as ip_tunnel_flags_to_be16 reports them (host order here). */
export const TUNNEL_FLAG = { CSUM: 0x01, KEY: 0x04, SEQ: 0x08, DONT_FRAGMENT: 0x0100, NOCACHE: 0x2000, OPTIONS_PRESENT: 0x0800 | 0x1000 | 0x4000 | 0x8000 } as const;
/** IP_TUNNEL_OPTS_MAX: options_len is a u8. */
const OPTS_MAX = 255;
/** The program types with the tunnel helpers. */
const TUNNEL_TYPES = new Set(['sched_cls', 'sched_act', 'lwt_xmit']);

/** TunnelState is the packet's tunnel metadata and whether this run's set_tunnel_key made it (only then may set_tunnel_opt add options). */
function tunnelOf(c: HelperCall, name: string): { info?: TunnelInfo; setHere: boolean; put(i: TunnelInfo): void } {
  const env = envOf(c);
  if (!TUNNEL_TYPES.has(env.program.type)) throw new ExecError('bad-program-type', `bpf_${name} is a tc helper, not available to programs of type ${env.program.type}`);
  const a = env.actions;
  if (!a) throw new ExecError('no-packet', `bpf_${name} needs the run of a packet program`);
  return { info: a.tunnel, setHere: a.tunnelSet === true, put: (i) => ((a.tunnel = i), (a.tunnelSet = true)) };
}

const be32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
const u32be = (b: Uint8Array): number => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

function setKey(c: HelperCall): number {
  const t = tunnelOf(c, 'skb_set_tunnel_key');
  const flags = c.arg(4);
  const size = c.argNum(3);
  if (flags & ~SET_FLAGS) return ERR.EINVAL;
  if (size !== KEY_SIZE && !OLD_SIZES.has(size)) return ERR.EINVAL;
  // Older layouts are read as the full key with the missing tail zero.
  const from = new Uint8Array(KEY_SIZE);
  from.set(c.mem.bytes(c.argNum(2), size));
  const dv = new DataView(from.buffer);
  const v6 = (flags & F.TUNINFO_IPV6) !== 0n;
  const label = dv.getUint32(24, true);
  if ((!v6 && label !== 0) || dv.getUint16(22, true) !== 0) return ERR.EINVAL;
  let tunFlags = TUNNEL_FLAG.NOCACHE;
  if (flags & F.DONT_FRAGMENT) tunFlags |= TUNNEL_FLAG.DONT_FRAGMENT;
  if (!(flags & F.ZERO_CSUM_TX)) tunFlags |= TUNNEL_FLAG.CSUM;
  if (flags & F.SEQ_NUMBER) tunFlags |= TUNNEL_FLAG.SEQ;
  if (!(flags & F.NO_TUNNEL_KEY)) tunFlags |= TUNNEL_FLAG.KEY;
  t.put({
    id: dv.getUint32(0, true), ipv6: v6,
    remote: v6 ? from.slice(4, 20) : be32(dv.getUint32(4, true)),
    local: v6 ? from.slice(28, 44) : be32(dv.getUint32(28, true)),
    tos: from[20], ttl: from[21], label: v6 ? label & 0xfffff : 0, tunFlags, options: new Uint8Array(0),
  });
  return 0;
}

function getKey(c: HelperCall): number {
  const { info } = tunnelOf(c, 'skb_get_tunnel_key');
  const addr = c.argNum(2);
  const size = c.argNum(3);
  const flags = c.arg(4);
  const out = c.mem.bytes(addr, size, true);
  const fail = (err: number) => (out.fill(0), err);
  if (!info || flags & ~(F.TUNINFO_IPV6 | F.TUNINFO_FLAGS)) return fail(ERR.EINVAL);
  if (info.ipv6 !== ((flags & F.TUNINFO_IPV6) !== 0n)) return fail(EPROTO);
  if (size !== KEY_SIZE && !OLD_SIZES.has(size)) return fail(ERR.EINVAL);
  if (size === 8 && info.ipv6) return fail(ERR.EINVAL);
  const to = new Uint8Array(KEY_SIZE);
  const dv = new DataView(to.buffer);
  dv.setUint32(0, info.id, true);
  to[20] = info.tos;
  to[21] = info.ttl;
  if (flags & F.TUNINFO_FLAGS) dv.setUint16(22, info.tunFlags, false);
  // The receiver's view: remote is the metadata's source, local its destination.
  if (info.ipv6) {
    to.set(info.local, 4);
    to.set(info.remote, 28);
    dv.setUint32(24, info.label, true);
  } else {
    dv.setUint32(4, u32be(info.local), true);
    dv.setUint32(28, u32be(info.remote), true);
  }
  out.set(to.subarray(0, size));
  return 0;
}

function setOpt(c: HelperCall): number {
  const t = tunnelOf(c, 'skb_set_tunnel_opt');
  const size = c.argNum(3);
  if (!t.info || !t.setHere || size & 3) return ERR.EINVAL;
  if (size > OPTS_MAX) return ENOMEM;
  t.info.options = c.mem.bytes(c.argNum(2), size).slice();
  if (size > 0) t.info.tunFlags |= TUNNEL_FLAG.OPTIONS_PRESENT;
  return 0;
}

function getOpt(c: HelperCall): number {
  const { info } = tunnelOf(c, 'skb_get_tunnel_opt');
  const size = c.argNum(3);
  const out = c.mem.bytes(c.argNum(2), size, true);
  out.fill(0);
  if (!info || !(info.tunFlags & TUNNEL_FLAG.OPTIONS_PRESENT)) return -2;
  if (size < info.options.length) return ENOMEM;
  out.set(info.options);
  return info.options.length;
}

/** TUNNEL_HELPERS are bpf_skb_set/get_tunnel_key and bpf_skb_set/get_tunnel_opt. */
export const TUNNEL_HELPERS: HelperDef[] = [
  helper(id('skb_set_tunnel_key'), N[id('skb_set_tunnel_key')], { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything'] },
    'tc: attaches transmit tunnel metadata (struct bpf_tunnel_key: id, remote and local address, tos, ttl, IPv6 flow label) for a collect_md tunnel device; recorded',
    setKey),
  helper(id('skb_get_tunnel_key'), N[id('skb_get_tunnel_key')], { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size', 'anything'] },
    "tc: reads the packet's tunnel metadata (remote = its source); -EINVAL without, -EPROTO for the other family; the buffer is zeroed on errors",
    getKey),
  helper(id('skb_set_tunnel_opt'), N[id('skb_set_tunnel_opt')], { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size'] },
    'tc: adds tunnel options (a multiple of 4 bytes, at most 252) to the metadata this program set; recorded',
    setOpt),
  helper(id('skb_get_tunnel_opt'), N[id('skb_get_tunnel_opt')], { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size'] },
    "tc: copies the packet's tunnel options and returns their length; -ENOENT without, -ENOMEM when the buffer is shorter",
    getOpt),
];
