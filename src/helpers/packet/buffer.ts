/**
 * A packet in guest memory as the kernel's BPF_PROG_TEST_RUN lays it out, with the room around it that the packet
 * helpers grow into: an XDP frame is one 4 KiB page with XDP_PACKET_HEADROOM (256) bytes before the data and the
 * skb_shared_info's 320 bytes reserved at its end, so xdp_adjust_head/tail/meta have exactly the kernel's limits; an
 * skb starts with NET_SKB_PAD (64) bytes of headroom and, like the kernel's skb_cow/pskb_expand_head, is moved to a
 * larger headroom or tailroom when a helper needs one (programs must re-check packet pointers after such helpers
 * anyway: the verifier invalidates them).
 *
 * The packet lives in one resizable region whose valid end is the packet's end (reads past data_end fault); the bytes
 * before `data` (headroom, XDP metadata) stay readable, which the kernel's verifier would refuse. After every change
 * the context's data, data_end, data_meta (and for skbs len, protocol, pkt_type) fields are rewritten, so the program
 * reads them as the kernel's rewritten context accesses would.
 */
import { ExecError } from '../../errors.js';
import type { ContextLayout } from '../../loader/contexts.js';
import type { GuestMemory, Region } from '../../memory/guest-memory.js';

/** XDP_PACKET_HEADROOM is the headroom of an XDP frame. */
export const XDP_PACKET_HEADROOM = 256;
/** XDP_FRAME_SIZE is the frame an XDP test run gives a packet (one page). */
export const XDP_FRAME_SIZE = 4096;
/** SKB_SHARED_INFO_SIZE is SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom a frame reserves. */
export const SKB_SHARED_INFO_SIZE = 320;
/** XDP_FRAME_STRUCT_SIZE is sizeof(struct xdp_frame), kept free at the start of a frame. */
export const XDP_FRAME_STRUCT_SIZE = 40;
/** XDP_METADATA_MAX is the largest metadata (skb_shared_info.meta_len is a u8, 4-byte aligned). */
export const XDP_METADATA_MAX = 252;
/** NET_SKB_PAD is the headroom of a test run's skb (max(32, L1_CACHE_BYTES)). */
export const NET_SKB_PAD = 64;
/** SKB_MAX_ALLOC is SKB_MAX_ORDER(0, 2): the largest skb the resizing helpers make (BPF_SKB_MAX_LEN). */
export const SKB_MAX_ALLOC = 4 * 4096 - SKB_SHARED_INFO_SIZE;
/** ETH_HLEN is the length of an Ethernet header. */
export const ETH_HLEN = 14;

/** PacketKind tells the frame model: an XDP buffer or a socket buffer. */
export type PacketKind = 'xdp' | 'skb';

/** SkbHeaders are the header offsets of an skb relative to its data, and its protocol (host order). */
export interface SkbHeaders {
  mac: number;
  network: number;
  protocol: number;
  pktType: number;
}

/** PacketBuffer is the packet of one run and the operations the packet helpers make on it. */
export class PacketBuffer {
  /** Guest addresses: data start, data end, metadata start (XDP; == data for skbs). */
  data: number;
  end: number;
  meta: number;
  /** skbs: header offsets relative to `data`, protocol, packet type, and whether a helper made it a tunnel packet. */
  readonly skb: SkbHeaders;
  encapsulation = false;
  /** skbs: the CHECKSUM_UNNECESSARY level, undefined for CHECKSUM_NONE (a test run's packets start without one). */
  csumLevel: number | undefined;
  /** Called after every change (the runtime points LD_ABS at the new data). */
  onChange: (() => void) | undefined;

  private constructor(
    private readonly mem: GuestMemory,
    readonly region: Region,
    readonly kind: PacketKind,
    private readonly ctxAddr: number,
    private readonly layout: ContextLayout,
    headroom: number,
    bytes: Uint8Array,
    skb: SkbHeaders,
  ) {
    this.data = region.start + headroom;
    this.end = this.data + bytes.length;
    this.meta = this.data;
    this.skb = skb;
    mem.u8.fill(0, region.start, this.data);
    mem.setLength(region, this.end - region.start);
    mem.u8.set(bytes, this.data);
  }

  /** regionSize is the capacity a region needs for a packet of `length` bytes of `kind`. */
  static regionSize(kind: PacketKind, length: number): number {
    if (kind === 'xdp') return Math.max(XDP_FRAME_SIZE, XDP_PACKET_HEADROOM + length + SKB_SHARED_INFO_SIZE);
    return 2 * (SKB_MAX_ALLOC + NET_SKB_PAD) + 2 * length;
  }

  /** xdp places `bytes` in `region` as an XDP test run does (data_meta == data, no metadata). */
  static xdp(mem: GuestMemory, region: Region, bytes: Uint8Array, ctxAddr: number, layout: ContextLayout): PacketBuffer {
    const p = new PacketBuffer(mem, region, 'xdp', ctxAddr, layout, XDP_PACKET_HEADROOM, bytes, { mac: 0, network: 0, protocol: 0, pktType: 0 });
    p.sync();
    return p;
  }

  /** skb places `bytes` in `region` with NET_SKB_PAD of headroom and the given headers. */
  static skb(mem: GuestMemory, region: Region, bytes: Uint8Array, ctxAddr: number, layout: ContextLayout, headers: SkbHeaders): PacketBuffer {
    const p = new PacketBuffer(mem, region, 'skb', ctxAddr, layout, NET_SKB_PAD, bytes, { ...headers });
    p.sync();
    return p;
  }

  /** length is the packet's length (data to data_end). */
  get length(): number {
    return this.end - this.data;
  }

  /** bytes returns a copy of the packet. */
  bytes(): Uint8Array {
    return this.mem.u8.slice(this.data, this.end);
  }

  /** metadata returns a copy of the XDP metadata (data_meta to data). */
  metadata(): Uint8Array {
    return this.mem.u8.slice(this.meta, this.data);
  }

  /** frameEnd is the last address an XDP packet may reach (the frame minus the shared info it reserves). */
  get frameEnd(): number {
    return this.region.start + this.region.capacity - SKB_SHARED_INFO_SIZE;
  }

  /** frameStart is the first address XDP data or metadata may take (after the struct xdp_frame). */
  get frameStart(): number {
    return this.region.start + XDP_FRAME_STRUCT_SIZE;
  }

  /** setProtocol changes the skb's protocol (host order), as bpf_skb_change_protocol. */
  setProtocol(protocol: number): void {
    this.skb.protocol = protocol;
  }

  /**
   * reserve makes sure there are `head` bytes before data and `tail` bytes after the end, moving the packet (and its
   * metadata) when there are not, as pskb_expand_head reallocates.
   */
  reserve(head: number, tail: number): void {
    const room = this.region.start + this.region.capacity;
    if (this.meta - this.region.start >= head && room - this.end >= tail) return;
    const used = this.end - this.meta;
    const newMeta = this.region.start + head + NET_SKB_PAD;
    if (newMeta + used + tail > room) {
      throw new ExecError('packet-too-large', `packet of ${used} bytes cannot take ${head} bytes of headroom and ${tail} of tailroom`);
    }
    this.mem.u8.copyWithin(newMeta, this.meta, this.end);
    const shift = newMeta - this.meta;
    this.meta += shift;
    this.data += shift;
    this.end += shift;
  }

  /** push moves data back by `len` bytes (skb_push); the new bytes are left as they are. */
  push(len: number): void {
    this.reserve(len, 0);
    this.data -= len;
    if (this.kind === 'skb') this.meta = this.data;
  }

  /** pull moves data forward by `len` bytes (__skb_pull). */
  pull(len: number): void {
    this.data += len;
    if (this.kind === 'skb') this.meta = this.data;
  }

  /** resize grows (zero-filled) or trims the end to make the packet `length` bytes long. */
  resize(length: number): void {
    if (length > this.length) {
      this.reserve(0, length - this.length);
      this.mem.u8.fill(0, this.end, this.data + length);
    }
    this.end = this.data + length;
  }

  /** insert opens `len` zero bytes at offset `off` of the packet (bpf_skb_generic_push). */
  insert(off: number, len: number): void {
    this.push(len);
    this.mem.u8.copyWithin(this.data, this.data + len, this.data + len + off);
    this.mem.u8.fill(0, this.data + off, this.data + off + len);
  }

  /** remove takes out the `len` bytes at offset `off` (bpf_skb_generic_pop). */
  remove(off: number, len: number): void {
    const old = this.data;
    this.pull(len);
    this.mem.u8.copyWithin(this.data, old, old + off);
  }

  /**
   * sync makes the region end at the packet's end and rewrites the context's packet fields; every helper that changed
   * the packet calls it (it also marks guest memory's layout as changed, so JIT code reloads its bounds).
   */
  sync(): void {
    this.mem.setLength(this.region, this.end - this.region.start);
    const dv = this.mem.dv;
    const put = (name: string, v: number) => {
      const f = this.layout.fields.find((x) => x.name === name);
      if (!f) return;
      if (f.size === 4) dv.setUint32(this.ctxAddr + f.offset, v >>> 0, true);
      else if (f.size === 8) dv.setBigUint64(this.ctxAddr + f.offset, BigInt(v), true);
    };
    put('data', this.data);
    put('data_end', this.end);
    put('data_meta', this.meta);
    if (this.kind === 'skb') {
      put('len', this.length);
      // __sk_buff.protocol holds the __be16 skb->protocol: a little-endian load sees the bytes swapped.
      put('protocol', ((this.skb.protocol & 0xff) << 8) | (this.skb.protocol >> 8));
      put('pkt_type', this.skb.pktType);
    }
    this.onChange?.();
  }
}
