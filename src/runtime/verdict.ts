/**
 * What a packet program's return value means for its type, in the kernel's names (XDP_TX, TC_ACT_SHOT, SK_PASS...),
 * with the redirect target the run recorded when the verdict is a redirect: `XDP_REDIRECT -> ifindex 3`,
 * `XDP_REDIRECT -> cpumap cpus[1]`, `TC_ACT_REDIRECT -> ifindex 3 (ingress)`.
 */
import type { PacketActions, RedirectAction } from '../helpers/packet/net.js';
import { formatIp } from './packet-decode.js';

const XDP = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
const TC: Record<number, string> = { [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN', 5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT', 8: 'TC_ACT_TRAP' };
const LWT: Record<number, string> = { 0: 'BPF_OK', 2: 'BPF_DROP', 7: 'BPF_REDIRECT', 128: 'BPF_LWT_REROUTE' };
const SK = ['SK_DROP', 'SK_PASS'];
const TC_TYPES = new Set(['sched_cls', 'sched_act']);
const LWT_TYPES = new Set(['lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local']);

/** Verdict is a run's return value named for its program type. */
export interface Verdict {
  /** The kernel's name (`XDP_TX`), or the number when the type gives it no name. */
  name: string;
  /** Set when the verdict redirects and the run recorded where to. */
  redirect?: RedirectAction;
  /** `XDP_REDIRECT -> ifindex 3`. */
  text: string;
}

/** verdictName names `r0` (read as the program type's 32-bit return) for a program of `type` (and `section`: a stream parser returns a length). */
export function verdictName(type: string, r0: bigint, section = ''): string {
  const v = Number(BigInt.asIntN(32, r0));
  const u = Number(BigInt.asUintN(32, r0));
  if (section.startsWith('sk_skb/stream_parser')) return v > 0 ? `message of ${v} bytes` : v === 0 ? 'need more data' : `parser error ${v}`;
  if (type === 'xdp') return XDP[u] ?? `XDP unknown action ${u}`;
  if (TC_TYPES.has(type)) return TC[v] ?? `TC action ${v}`;
  if (LWT_TYPES.has(type)) return LWT[v] ?? `LWT action ${v}`;
  if (type === 'sk_skb' || type === 'sk_msg' || type === 'sk_reuseport' || type === 'sk_lookup') return SK[u] ?? `SK action ${u}`;
  if (type === 'cgroup_skb') return u & 1 ? 'allow' : 'drop';
  if (type === 'socket_filter') return u === 0 ? 'drop' : `keep ${u} bytes`;
  return String(v);
}

/** redirectTarget prints where a redirect action sends the packet. */
export function redirectTarget(r: RedirectAction): string {
  const dir = r.flags & 1 && r.helper !== 'redirect_map' ? ' (ingress)' : '';
  if (r.helper === 'redirect_map') {
    const entry = `${r.mapType} ${r.map}[${r.key}]`;
    if (r.flags & 8) return `${entry} broadcast${r.flags & 16 ? ' excluding ingress' : ''}`;
    return r.ifindex !== undefined ? `${entry} (ifindex ${r.ifindex})` : entry;
  }
  if (r.socket !== undefined) return `${r.mapType} ${r.map}[${typeof r.key === 'string' ? `0x${r.key}` : r.key}] (${r.socket})${r.flags & 1 ? ' ingress' : ''}`;
  if (r.helper === 'redirect_peer') return `peer of ifindex ${r.ifindex}`;
  if (r.helper === 'redirect_neigh') return `ifindex ${r.ifindex} via neighbour${r.nexthop ? ` ${formatIp(r.nexthop.address)}` : ''}`;
  return `ifindex ${r.ifindex}${dir}`;
}

/**
 * verdictOf names a run's verdict and attaches the redirect it recorded when the verdict is a redirect (for sk_skb and
 * sk_msg, SK_PASS after a socket redirect helper succeeded).
 */
export function verdictOf(type: string, r0: bigint, actions: PacketActions | undefined, section = ''): Verdict {
  const name = verdictName(type, r0, section);
  const redirect = /REDIRECT$/.test(name) || (name === 'SK_PASS' && actions?.redirect?.socket !== undefined) ? actions?.redirect : undefined;
  return { name, ...(redirect ? { redirect } : {}), text: redirect ? `${name} -> ${redirectTarget(redirect)}` : name };
}
