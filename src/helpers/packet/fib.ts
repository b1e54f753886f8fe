/**
 * bpf_fib_lookup against the declared network (net.ts) instead of the kernel's FIB, following net/core/filter.c's
 * bpf_ipv4_fib_lookup and bpf_ipv6_fib_lookup step for step: the input device must exist (-ENODEV) and forward
 * (FWD_DISABLED); the longest matching prefix wins, then the lowest metric; local addresses of the devices are local
 * routes (NOT_FWDED), as are non-unicast routes, except blackhole, unreachable and prohibit which have their own
 * codes; a packet longer than the route's or device's MTU gets FRAG_NEEDED with the MTU; then the output device, the
 * gateway as the new destination, the preferred source (BPF_FIB_LOOKUP_SRC; NO_SRC_ADDR only when no device
 * has an address of the family) and the neighbour's MAC (NO_NEIGH when
 * none is declared, skipped with BPF_FIB_LOOKUP_SKIP_NEIGH). No declared route means "no route": NOT_FWDED.
 */
import type { NetEnv, NetInterface, Route } from './net.js';

/** FIB_RESULT names the BPF_FIB_LKUP_RET_* codes. */
export const FIB_RESULT = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;

/** FIB_FLAGS are the BPF_FIB_LOOKUP_* flags. */
export const FIB_FLAGS = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;
const FIB_FLAGS_MASK = 63;
const AF_INET = 2;
const AF_INET6 = 10;
const RT_TABLE_MAIN = 254;
const ETH_HLEN = 14;
const VLAN_HLEN = 4;
/** SIZEOF_FIB_LOOKUP is sizeof(struct bpf_fib_lookup). */
export const SIZEOF_FIB_LOOKUP = 64;

/** Offsets in struct bpf_fib_lookup. */
const OFF = { family: 0, totLen: 6, ifindex: 8, metric: 12, src: 16, dst: 32, vlanProto: 48, vlanTci: 50, tbid: 48, smac: 52, dmac: 58 } as const;

/** FibInput is what the lookup needs besides the params: the context's packet length when tot_len is 0 (tc). */
export interface FibInput {
  /** XDP always checks the MTU against tot_len; tc only when tot_len is set, else the skb against the device's MTU. */
  xdp: boolean;
  /** The packet's length (tc, without tot_len). */
  packetLength: number;
}

const ENODEV = -19;
const EINVAL = -22;
const EAFNOSUPPORT = -97;

function matches(addr: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  if (addr.length !== prefix.length) return false;
  for (let i = 0; i < bits; i++) {
    const m = 0x80 >> (i & 7);
    if ((addr[i >> 3] & m) !== (prefix[i >> 3] & m)) return false;
  }
  return true;
}

/**
 * routeFor finds the route the kernel would: the devices' local addresses first when `local` (the local table, which
 * policy routing reads first and which IPv4 merges into main while no rules exist), then the longest prefix, then the lowest metric. With an output
 * device (BPF_FIB_LOOKUP_OUTPUT), routes through other devices are passed over, as fib_lookup_good_nhc does; routes
 * without a device (blackhole, unreachable, prohibit) still match.
 */
export function routeFor(net: NetEnv, dst: Uint8Array, table: number, local: boolean, oif?: number): Route | undefined {
  const viaOif = (ifindex: number | undefined) => oif === undefined || ifindex === undefined || ifindex === oif;
  if (local) {
    for (const i of net.interfaces) {
      if (viaOif(i.ifindex) && i.addresses?.some((a) => a.length === dst.length && a.every((b, k) => b === dst[k]))) return { dst, prefix: dst.length * 8, type: 'local', ifindex: i.ifindex };
    }
  }
  let best: Route | undefined;
  for (const r of net.routes) {
    if ((r.table ?? RT_TABLE_MAIN) !== table || !matches(dst, r.dst, r.prefix) || !viaOif(r.ifindex)) continue;
    if (!best || r.prefix > best.prefix || (r.prefix === best.prefix && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
  }
  return best;
}

/** hostScoped tells the addresses a source is never chosen from on another device (loopback, IPv6 link-local). */
const hostScoped = (a: Uint8Array): boolean => (a.length === 4 ? a[0] === 127 : a.every((b, k) => b === (k === 15 ? 1 : 0)) || (a[0] === 0xfe && (a[1] & 0xc0) === 0x80));

/** sourceAddress picks a source as inet_select_addr does: the output device's first address, else another device's. */
function sourceAddress(net: NetEnv, dev: NetInterface, n: number): Uint8Array | undefined {
  return dev.addresses?.find((a) => a.length === n) ?? net.interfaces.flatMap((i) => i.addresses ?? []).find((a) => a.length === n && !hostScoped(a));
}

/** strictV6 tells the addresses IPv6 forwarding does not look up (multicast, link-local: rt6_need_strict). */
const strictV6 = (a: Uint8Array): boolean => a[0] === 0xff || (a[0] === 0xfe && (a[1] & 0xc0) === 0x80);

/** fibLookup runs bpf_fib_lookup on the 64 bytes of `p` (changed in place) and returns the helper's result. */
export function fibLookup(net: NetEnv, p: Uint8Array, flags: number, input: FibInput): number {
  if (p.length < SIZEOF_FIB_LOOKUP || flags & ~FIB_FLAGS_MASK) return EINVAL;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const family = p[OFF.family];
  if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
  const v6 = family === AF_INET6;
  const n = v6 ? 16 : 4;
  const src = p.subarray(OFF.src, OFF.src + n);
  const dst = p.subarray(OFF.dst, OFF.dst + n);
  const totLen = dv.getUint16(OFF.totLen, true);
  const checkMtu = input.xdp || totLen !== 0;
  if (v6 && (strictV6(dst) || strictV6(src))) return FIB_RESULT.NOT_FWDED;
  const inDev = net.interfaces.find((i) => i.ifindex === dv.getUint32(OFF.ifindex, true));
  if (!inDev) return ENODEV;
  if (inDev.forwarding === false) return FIB_RESULT.FWD_DISABLED;
  let table = RT_TABLE_MAIN;
  if (flags & FIB_FLAGS.DIRECT && flags & FIB_FLAGS.TBID) {
    table = dv.getUint32(OFF.tbid, true);
    // The kernel zeroes the field for the VLAN output it shares the union with.
    dv.setUint32(OFF.tbid, 0, true);
    if (!net.routes.some((r) => (r.table ?? RT_TABLE_MAIN) === table) && table !== RT_TABLE_MAIN) return FIB_RESULT.NOT_FWDED;
  }
  // IPv6 keeps its local table apart: a direct lookup of the main table does not see local addresses.
  const local = table === RT_TABLE_MAIN && (!v6 || !(flags & FIB_FLAGS.DIRECT));
  const route = routeFor(net, dst, table, local, flags & FIB_FLAGS.OUTPUT ? inDev.ifindex : undefined);
  const type = route?.type ?? 'unicast';
  if (!route) return FIB_RESULT.NOT_FWDED;
  if (type === 'blackhole') return FIB_RESULT.BLACKHOLE;
  if (type === 'unreachable') return FIB_RESULT.UNREACHABLE;
  if (type === 'prohibit') return FIB_RESULT.PROHIBIT;
  if (type !== 'unicast') return FIB_RESULT.NOT_FWDED;
  const outDev = net.interfaces.find((i) => i.ifindex === route.ifindex);
  if (!outDev) return FIB_RESULT.NOT_FWDED;
  let mtu = 0;
  if (checkMtu) {
    mtu = (v6 || route.mtuLocked ? route.mtu : 0) || outDev.mtu;
    if (totLen > mtu) {
      dv.setUint16(OFF.totLen, mtu, true);
      return FIB_RESULT.FRAG_NEEDED;
    }
  }
  dv.setUint32(OFF.metric, route.metric ?? 0, true);
  dv.setUint32(OFF.ifindex, outDev.ifindex, true);
  if (flags & FIB_FLAGS.SRC) {
    const pref = route.src ?? sourceAddress(net, outDev, n);
    if (!pref) return FIB_RESULT.NO_SRC_ADDR;
    src.set(pref);
  }
  if (route.gateway) dst.set(route.gateway);
  if (!(flags & FIB_FLAGS.SKIP_NEIGH)) {
    const neigh = net.neighbours.find((x) => x.ifindex === outDev.ifindex && x.ip.length === n && x.ip.every((b, k) => b === dst[k]));
    if (!neigh) return FIB_RESULT.NO_NEIGH;
    p.set(neigh.mac, OFF.dmac);
    p.set(outDev.mac, OFF.smac);
  }
  dv.setUint16(OFF.vlanProto, 0, true);
  dv.setUint16(OFF.vlanTci, 0, true);
  if (mtu) dv.setUint16(OFF.totLen, mtu, true);
  return tcMtuCheck(outDev, input, checkMtu, dv);
}

/** tcMtuCheck is bpf_skb_fib_lookup's check of a tc packet (no tot_len given) against the output device's MTU. */
function tcMtuCheck(dev: NetInterface, input: FibInput, checked: boolean, dv: DataView): number {
  if (checked) return FIB_RESULT.SUCCESS;
  dv.setUint16(OFF.totLen, dev.mtu & 0xffff, true);
  // is_skb_forwardable: the frame fits the MTU plus the device's hard header and one VLAN tag.
  return input.packetLength > dev.mtu + ETH_HLEN + VLAN_HLEN ? FIB_RESULT.FRAG_NEEDED : FIB_RESULT.SUCCESS;
}
