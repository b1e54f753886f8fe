/**
 * Redirect helpers, recorded instead of performed (the run's `actions`), with the kernel's return values: the
 * verdict a program returns is what the helper returned (XDP_REDIRECT or TC_ACT_REDIRECT, XDP_ABORTED or TC_ACT_SHOT
 * for bad flags, the fallback action of a failed bpf_redirect_map lookup). bpf_redirect is one helper id with an XDP
 * and a tc implementation, as in the kernel. bpf_clone_redirect copies the packet to the declared device.
 */
import { ExecError } from '../../errors.js';
import { RedirectMap } from '../maps/redirect-maps.js';
import type { PacketActions } from '../packet/net.js';
import { typeName } from '../maps/base-map.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import { packetOf } from './packet-access.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;

/** XDP_ACTION and TC_ACT name the return codes of XDP and tc programs. */
export const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
export const TC_ACT = { OK: 0, SHOT: 2, REDIRECT: 7 } as const;
const BPF_F_INGRESS = 1;
/** sizeof(struct bpf_redir_neigh): nh_family then a 16-byte address union. */
const REDIR_NEIGH_SIZE = 20;

function actionsOf(c: HelperCall): PacketActions {
  const a = envOf(c).actions;
  if (!a) throw new ExecError('no-packet', 'redirect helpers need the run of a packet program');
  return a;
}

const isXdp = (c: HelperCall): boolean => envOf(c).program.type === 'xdp';
const isTc = (c: HelperCall): boolean => ['sched_cls', 'sched_act'].includes(envOf(c).program.type);

function tcOnly(c: HelperCall, name: string): void {
  if (!isTc(c)) throw new ExecError('bad-program-type', `bpf_${name} is a tc helper, not available to programs of type ${envOf(c).program.type}`);
}

/** REDIRECT_HELPERS are bpf_redirect, bpf_redirect_map, bpf_redirect_neigh, bpf_redirect_peer and bpf_clone_redirect. */
export const REDIRECT_HELPERS: HelperDef[] = [
  helper(id('redirect'), N[id('redirect')], { ret: 'integer', args: ['anything', 'anything'] },
    'redirects to device ifindex: XDP_REDIRECT (any flag: XDP_ABORTED), or for tc TC_ACT_REDIRECT with BPF_F_INGRESS allowed (other flags: TC_ACT_SHOT)',
    (c) => {
      const flags = c.arg(2);
      if (isXdp(c)) {
        if (flags !== 0n) return XDP_ACTION.ABORTED;
        actionsOf(c).redirect = { helper: 'redirect', ifindex: c.argU32(1), flags: 0 };
        return XDP_ACTION.REDIRECT;
      }
      tcOnly(c, 'redirect');
      if (flags & ~BigInt(BPF_F_INGRESS)) return TC_ACT.SHOT;
      actionsOf(c).redirect = { helper: 'redirect', ifindex: c.argU32(1), flags: Number(flags) };
      return TC_ACT.REDIRECT;
    }),
  helper(id('redirect_map'), N[id('redirect_map')], { ret: 'integer', args: ['const_map_ptr', 'anything', 'anything'] },
    'XDP redirect through a devmap, devmap_hash, cpumap or xskmap entry; a missing entry returns the action in the low flag bits',
    (c) => {
      const map = mapArg(c);
      if (!isXdp(c)) throw new ExecError('bad-program-type', `bpf_redirect_map is an XDP helper, not available to programs of type ${envOf(c).program.type}`);
      if (!(map instanceof RedirectMap)) throw new ExecError('bad-map', `bpf_redirect_map: map "${map.spec.name}" is ${typeName(map.spec.type)}, not a devmap, devmap_hash, cpumap or xskmap`);
      const flags = c.arg(3);
      const actionMask = 3n;
      const broadcast = 1n << 3n;
      if (flags & ~(actionMask | BigInt(map.flagMask))) return XDP_ACTION.ABORTED;
      const key = c.argU32(2);
      const target = map.target(key);
      const a = actionsOf(c);
      if (!target && !(flags & broadcast)) {
        a.redirect = undefined;
        return Number(flags & actionMask);
      }
      a.redirect = {
        helper: 'redirect_map', map: map.spec.name, mapType: typeName(map.spec.type), key,
        ...(target?.ifindex !== undefined && !(flags & broadcast) ? { ifindex: target.ifindex } : {}),
        flags: Number(flags & broadcast ? flags : 0n),
      };
      return XDP_ACTION.REDIRECT;
    }),
  helper(id('redirect_neigh'), N[id('redirect_neigh')], { ret: 'integer', args: ['anything', 'ptr_to_mem_or_null', 'const_size_or_zero', 'anything'] },
    'tc: redirects to device ifindex, filling the L2 header from the neighbour of the route or of the next hop given (struct bpf_redir_neigh); TC_ACT_SHOT for flags or a short next hop',
    (c) => {
      tcOnly(c, 'redirect_neigh');
      const plen = c.argNum(3);
      if ((plen && plen < REDIR_NEIGH_SIZE) || c.arg(4) !== 0n) return TC_ACT.SHOT;
      let nexthop: { family: number; address: Uint8Array } | undefined;
      if (plen) {
        const b = c.mem.bytes(c.argNum(2), REDIR_NEIGH_SIZE);
        const family = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
        nexthop = { family, address: b.slice(4, family === 10 ? 20 : 8) };
      }
      actionsOf(c).redirect = { helper: 'redirect_neigh', ifindex: c.argU32(1), flags: 0, ...(nexthop ? { nexthop } : {}) };
      return TC_ACT.REDIRECT;
    }),
  helper(id('redirect_peer'), N[id('redirect_peer')], { ret: 'integer', args: ['anything', 'anything'] },
    'tc ingress: redirects to the peer of a veth/netkit device ifindex; TC_ACT_SHOT for any flag',
    (c) => {
      tcOnly(c, 'redirect_peer');
      if (c.arg(2) !== 0n) return TC_ACT.SHOT;
      actionsOf(c).redirect = { helper: 'redirect_peer', ifindex: c.argU32(1), flags: 0 };
      return TC_ACT.REDIRECT;
    }),
  helper(id('clone_redirect'), N[id('clone_redirect')], { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything'] },
    'sends a copy of the packet to device ifindex (egress, or ingress with BPF_F_INGRESS): recorded; -EINVAL for other flags or an undeclared device',
    (c) => {
      tcOnly(c, 'clone_redirect');
      const p = packetOf(c, 'skb');
      const flags = c.arg(3);
      const ifindex = c.argU32(2);
      if (flags & ~BigInt(BPF_F_INGRESS)) return ERR.EINVAL;
      const net = envOf(c).net;
      if (net && !net.interfaces.some((i) => i.ifindex === ifindex)) return ERR.EINVAL;
      if (p.skb.mac >= p.skb.network || p.length === 0) return -34;
      actionsOf(c).clones.push({ ifindex, flags: Number(flags), packet: p.bytes() });
      return 0;
    }),
];
