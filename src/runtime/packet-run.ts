/**
 * Placing the packet of an XDP or socket-buffer program as BPF_PROG_TEST_RUN does (net/bpf/test_run.c): an XDP
 * frame with 256 bytes of headroom received on the loopback device; an skb whose Ethernet header tc programs see
 * (skb->data at the MAC header, the network header 14 bytes in, protocol and packet type from eth_type_trans against
 * the receiving device's MAC), or for cgroup/skb programs, whose packets start at the network header, an L3 packet.
 * Socket filters see the frame from its MAC header, as on an AF_PACKET socket (the kernel's test run instead starts
 * them at the network header). sk_skb programs see the data a socket received: an skb starting at the payload. sk_msg
 * programs see a message (src/helpers/packet/msg.ts), not a packet.
 */
import { PacketBuffer, ETH_HLEN, type PacketKind } from '../helpers/packet/buffer.js';
import { SkMsg } from '../helpers/packet/msg.js';
import { LOOPBACK, type NetEnv, type NetInterface } from '../helpers/packet/net.js';
import type { ContextLayout } from '../loader/contexts.js';
import type { GuestMemory, Region } from '../memory/guest-memory.js';

/** Ethertypes of eth_type_trans's special cases. */
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
const ETH_P_802_3_MIN = 0x0600;
/** Packet types (skb->pkt_type). */
export const PACKET_TYPE = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3 } as const;

/** L3_TYPES are the socket-buffer program types whose packets start at the network header. */
const L3_TYPES = new Set(['cgroup_skb']);

/** packetKindOf tells how a program type's packet is laid out (undefined: not a packet program). */
export function packetKindOf(type: string, layout: ContextLayout): PacketKind | undefined {
  if (layout.kind !== 'packet' || type === 'sk_msg') return undefined;
  return type === 'xdp' ? 'xdp' : 'skb';
}

/** startsAtNetwork tells whether a program type sees packets from their network header (no Ethernet header). */
export function startsAtNetwork(type: string): boolean {
  return L3_TYPES.has(type);
}

/** ethTypeTrans returns the protocol (host order) and packet type eth_type_trans gives an Ethernet frame received on `dev`. */
export function ethTypeTrans(frame: Uint8Array, dev: NetInterface): { protocol: number; pktType: number } {
  let pktType: number = PACKET_TYPE.HOST;
  if (frame.length >= 6) {
    const dst = frame.subarray(0, 6);
    const broadcast = dev.broadcast ?? new Uint8Array(6).fill(0xff);
    if (!dst.every((b, i) => b === dev.mac[i])) {
      if (!(dst[0] & 1)) pktType = PACKET_TYPE.OTHERHOST;
      else pktType = dst.every((b, i) => b === broadcast[i]) ? PACKET_TYPE.BROADCAST : PACKET_TYPE.MULTICAST;
    }
  }
  if (frame.length < ETH_HLEN) return { protocol: 0, pktType };
  const type = (frame[12] << 8) | frame[13];
  if (type >= ETH_P_802_3_MIN) return { protocol: type, pktType };
  // 802.3 frames: raw IPX ("Novell") starts with 0xffff, others are 802.2 LLC.
  return { protocol: frame[14] === 0xff && frame[15] === 0xff ? ETH_P_802_3 : ETH_P_802_2, pktType };
}

/** PacketRegions keeps the regions packets are placed in, one per frame size, reused across runs. */
export class PacketRegions {
  private readonly regions = new Map<string, Region>();
  /** Whether a packet was placed since the last `clear` (most runs place none, and iterating the map costs). */
  private used = false;

  constructor(private readonly mem: GuestMemory) {}

  /** regionFor returns a region for a packet of `length` bytes of `kind` (an XDP frame's size is its capacity). */
  regionFor(kind: PacketKind, length: number): Region {
    const size = PacketBuffer.regionSize(kind, length);
    const key = kind === 'xdp' ? `xdp:${Math.ceil(size / 4096)}` : 'skb';
    this.used = true;
    let r = this.regions.get(key);
    if (!r || r.capacity < size) {
      if (r) this.mem.setLength(r, 0);
      r = this.mem.addRegion(kind === 'xdp' ? 'packet' : 'packet', size, { resizable: true, length: 0 });
      this.regions.set(key, r);
    }
    return r;
  }

  /** msgRegion returns a region for a message of `length` bytes and what bpf_msg_push_data may add. */
  msgRegion(length: number): Region {
    const size = SkMsg.regionSize(length);
    let r = this.regions.get('msg');
    if (!r || r.capacity < size) {
      if (r) this.mem.setLength(r, 0);
      r = this.mem.addRegion('msg', size, { resizable: true, length: 0 });
      this.regions.set('msg', r);
    }
    return r;
  }

  /** clear empties every packet region (a run without a packet must not see the last one). */
  clear(): void {
    if (!this.used) return;
    this.used = false;
    for (const r of this.regions.values()) if (r.end !== r.start) this.mem.setLength(r, 0);
  }
}

/** ingressDevice returns the device packets arrive on: the declared interface `ifindex`, or loopback. */
export function ingressDevice(net: NetEnv, ifindex: number | undefined): NetInterface {
  const want = ifindex ?? LOOPBACK.ifindex;
  const all = net.interfaces;
  // A loop, not `find` with a closure: this runs on every Program.run.
  for (let k = 0; k < all.length; k++) if (all[k].ifindex === want) return all[k];
  return all[0] ?? LOOPBACK;
}

/** placePacket puts `data` in guest memory for a program of `type` whose context is at `ctxAddr` (sk_skb: the skb's protocol is `payloadProtocol`, its socket's family). */
export function placePacket(mem: GuestMemory, regions: PacketRegions, kind: PacketKind, type: string, layout: ContextLayout, data: Uint8Array, ctxAddr: number, dev: NetInterface, payloadProtocol = 0x0800): PacketBuffer {
  const region = regions.regionFor(kind, data.length);
  if (kind === 'xdp') return PacketBuffer.xdp(mem, region, data, ctxAddr, layout);
  if (type === 'sk_skb') {
    // The received data: no link or network header before it in the program's view.
    return PacketBuffer.skb(mem, region, data, ctxAddr, layout, { mac: 0, network: 0, protocol: payloadProtocol, pktType: PACKET_TYPE.HOST });
  }
  if (startsAtNetwork(type)) {
    const version = data.length ? data[0] >> 4 : 0;
    const protocol = version === 4 ? 0x0800 : version === 6 ? 0x86dd : 0;
    return PacketBuffer.skb(mem, region, data, ctxAddr, layout, { mac: 0, network: 0, protocol, pktType: PACKET_TYPE.HOST });
  }
  const { protocol, pktType } = ethTypeTrans(data, dev);
  return PacketBuffer.skb(mem, region, data, ctxAddr, layout, { mac: 0, network: ETH_HLEN, protocol, pktType });
}
