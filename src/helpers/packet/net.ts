/**
 * The network a packet program believes it runs in, declared by the user instead of read from the kernel: interfaces
 * (ifindex, name, MAC, MTU, addresses, forwarding), routes (what bpf_fib_lookup finds; none declared means "no route"
 * for every destination), neighbours (the MACs bpf_fib_lookup returns) and sockets (what the socket lookups find).
 * The default is the kernel test run's world: only the loopback device, ifindex 1, with an all-zero MAC.
 *
 * And what a run of a packet program asked for besides its return code, recorded instead of performed: the redirect
 * target of its last redirect helper, the clones bpf_clone_redirect sent, the tunnel key it set.
 */

/** NetInterface is a network device. */
export interface NetInterface {
  ifindex: number;
  name: string;
  /** Six bytes. */
  mac: Uint8Array;
  /** The link's broadcast address (default ff:ff:ff:ff:ff:ff; the loopback device's is all zero). */
  broadcast?: Uint8Array;
  mtu: number;
  /** Addresses (4 or 16 bytes each): the preferred source of routes out of it (BPF_FIB_LOOKUP_SRC). */
  addresses?: Uint8Array[];
  /** IPv4/IPv6 forwarding enabled on it (bpf_fib_lookup without BPF_FIB_LOOKUP_OUTPUT needs it); default true. */
  forwarding?: boolean;
}

/** RouteType is the kind of a route, as `ip route` names it. */
export type RouteType = 'unicast' | 'local' | 'blackhole' | 'unreachable' | 'prohibit';

/** Route is one entry of a routing table. */
export interface Route {
  /** Destination prefix: 4 or 16 bytes and a prefix length. */
  dst: Uint8Array;
  prefix: number;
  type?: RouteType;
  /** Output interface (unicast routes). */
  ifindex?: number;
  /** Next hop (4 or 16 bytes); none for directly connected destinations. */
  gateway?: Uint8Array;
  /** Preferred source address. */
  src?: Uint8Array;
  /** Route MTU (0 or absent: the device's). IPv4 forwarding honours it only when locked (`mtu lock N`), as the kernel does. */
  mtu?: number;
  mtuLocked?: boolean;
  /** Routing table id (254, main, by default). */
  table?: number;
  /** Route metric (priority); a lower one wins among equal prefixes. */
  metric?: number;
}

/** Neighbour is an entry of the neighbour (ARP/NDP) table. */
export interface Neighbour {
  ifindex: number;
  /** 4 or 16 bytes. */
  ip: Uint8Array;
  mac: Uint8Array;
}

/** DeclaredSocket is a socket the socket lookup helpers can find. */
export interface DeclaredSocket {
  protocol: 'tcp' | 'udp';
  /** Local address and port (4 or 16 bytes; all zero for a wildcard bind). */
  localIp: Uint8Array;
  localPort: number;
  /** Peer of a connected socket; absent for a listening (TCP) or unconnected (UDP) one. */
  remoteIp?: Uint8Array;
  remotePort?: number;
  /** Bound device (SO_BINDTODEVICE), 0 for none. */
  boundIfindex?: number;
}

/** NetEnv is the declared network. */
export interface NetEnv {
  interfaces: NetInterface[];
  routes: Route[];
  neighbours: Neighbour[];
  sockets: DeclaredSocket[];
}

/** LOOPBACK is the kernel test run's device: `lo`, ifindex 1, MTU 65536, MAC 00:00:00:00:00:00. */
export const LOOPBACK: NetInterface = { ifindex: 1, name: 'lo', mac: new Uint8Array(6), broadcast: new Uint8Array(6), mtu: 65536, addresses: [new Uint8Array([127, 0, 0, 1])] };

/** defaultNetEnv is the network of a kernel test run: the loopback device, no routes, neighbours or sockets. */
export function defaultNetEnv(): NetEnv {
  return { interfaces: [LOOPBACK], routes: [], neighbours: [], sockets: [] };
}

/** RedirectAction is where the last redirect helper of a run sent the packet. */
export interface RedirectAction {
  helper: 'redirect' | 'redirect_map' | 'redirect_neigh' | 'redirect_peer' | 'sk_redirect_map' | 'sk_redirect_hash' | 'msg_redirect_map' | 'msg_redirect_hash';
  /** Target device (redirect, redirect_neigh, redirect_peer; devmap entries' devices). */
  ifindex?: number;
  /** redirect_map and the socket redirects: the map, its type and the key (sockhash keys other than 4 bytes: hex). */
  map?: string;
  mapType?: string;
  key?: number | string;
  /** Socket redirects: the socket the data goes to, in `--socket` words. */
  socket?: string;
  /** The helper's flags (BPF_F_INGRESS, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS). */
  flags: number;
  /** redirect_neigh: the next hop given (family 2 or 10 and its address), if any. */
  nexthop?: { family: number; address: Uint8Array };
}

/** CloneAction is a copy of the packet bpf_clone_redirect sent. */
export interface CloneAction {
  ifindex: number;
  flags: number;
  packet: Uint8Array;
}

/**
 * TunnelInfo is the tunnel metadata bpf_skb_set_tunnel_key attached to the packet (the kernel's ip_tunnel_info for
 * transmission): the key, its endpoints, and the options bpf_skb_set_tunnel_opt added.
 */
export interface TunnelInfo {
  /** The tunnel id (VNI, GRE key...), as the program gave it. */
  id: number;
  /** IPv6 endpoints (BPF_F_TUNINFO_IPV6) or IPv4. */
  ipv6: boolean;
  /** Where the encapsulated packet goes, and its source (4 or 16 bytes). */
  remote: Uint8Array;
  local: Uint8Array;
  tos: number;
  ttl: number;
  /** IPv6 flow label. */
  label: number;
  /** The tunnel flags as the kernel's legacy __be16 TUNNEL_* bits (host order): csum, key, seq, dont_fragment, nocache, options. */
  tunFlags: number;
  /** Tunnel options (Geneve/VXLAN-GBP/ERSPAN), empty without. */
  options: Uint8Array;
}

/** MsgActions is what an sk_msg program asked of its message besides a redirect. */
export interface MsgActions {
  /** bpf_msg_apply_bytes: the verdict applies to this many bytes (0: the whole message). */
  applyBytes?: number;
  /** bpf_msg_cork_bytes: hold the message until this many bytes are queued. */
  corkBytes?: number;
}

/** PacketActions collects what one run asked for. */
export interface PacketActions {
  redirect?: RedirectAction;
  clones: CloneAction[];
  tunnel?: TunnelInfo;
  /** True when this run's bpf_skb_set_tunnel_key made `tunnel` (only then may bpf_skb_set_tunnel_opt add options). */
  tunnelSet?: boolean;
  msg?: MsgActions;
}
