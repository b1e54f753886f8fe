/**
 * Packet captures in and out: the classic pcap format (either byte order, microsecond or nanosecond timestamps) and
 * pcapng (sections of either byte order, interfaces with their link types and timestamp resolutions, enhanced and
 * simple packet blocks; other blocks skipped as the format allows), read into one list of packets; written back as
 * classic pcap. Bad captures are errors naming the offset and what is wrong, never a partial silent read.
 */
import { LoadError, NotSupportedError } from '../errors.js';

/** LINKTYPE names the link types a capture may carry (tcpdump.org/linktypes.html). */
export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229 } as const;

/** CapturedPacket is one packet of a capture. */
export interface CapturedPacket {
  /** The captured bytes (possibly fewer than `length` when the capture truncated it). */
  data: Uint8Array;
  /** The packet's length on the wire. */
  length: number;
  /** Timestamp in nanoseconds since the epoch. */
  timeNs: bigint;
  /** The link type of the interface it was captured on. */
  linkType: number;
}

/** Capture is a read capture file. */
export interface Capture {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const PCAPNG_OBSOLETE_PB = 2;
const IF_TSRESOL = 9;

function bad(offset: number, why: string): LoadError {
  return new LoadError('bad-capture', `offset ${offset}: ${why}`);
}

/** readCapture parses a pcap or pcapng file (`name` prefixes errors). */
export function readCapture(bytes: Uint8Array, name = 'capture'): Capture {
  try {
    if (bytes.length < 4) throw bad(0, `${bytes.length} bytes is too short for a capture header`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magicLe = dv.getUint32(0, true);
    if (magicLe === PCAPNG_SHB) return { format: 'pcapng', packets: readPcapng(bytes, dv) };
    for (const le of [true, false]) {
      const m = dv.getUint32(0, le);
      if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) return { format: 'pcap', packets: readPcap(bytes, dv, le, m === PCAP_MAGIC_NS) };
    }
    throw bad(0, `magic 0x${magicLe.toString(16).padStart(8, '0')} is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)`);
  } catch (e) {
    if (e instanceof LoadError) throw new LoadError(e.code, `${name}: ${e.message}`, {}, { cause: e });
    throw e;
  }
}

function readPcap(bytes: Uint8Array, dv: DataView, le: boolean, nano: boolean): CapturedPacket[] {
  if (bytes.length < 24) throw bad(0, `the pcap file header needs 24 bytes, the file has ${bytes.length}`);
  const major = dv.getUint16(4, le);
  if (major !== 2) throw bad(4, `pcap version ${major}.${dv.getUint16(6, le)} (expected 2.4)`);
  const snaplen = dv.getUint32(16, le);
  // The FCS length and its flag share the link type's upper bits; the link type is the low 16.
  const linkType = dv.getUint32(20, le) & 0xffff;
  const packets: CapturedPacket[] = [];
  for (let at = 24; at < bytes.length; ) {
    if (at + 16 > bytes.length) throw bad(at, `packet ${packets.length + 1}: record header cut short (${bytes.length - at} of 16 bytes)`);
    const sec = dv.getUint32(at, le);
    const frac = dv.getUint32(at + 4, le);
    const incl = dv.getUint32(at + 8, le);
    const orig = dv.getUint32(at + 12, le);
    if (incl > Math.max(snaplen, 0x40000)) throw bad(at + 8, `packet ${packets.length + 1}: captured length ${incl} exceeds the snapshot length ${snaplen}`);
    if (at + 16 + incl > bytes.length) throw bad(at, `packet ${packets.length + 1}: ${incl} bytes announced, ${bytes.length - at - 16} left in the file`);
    packets.push({ data: bytes.slice(at + 16, at + 16 + incl), length: Math.max(orig, incl), timeNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n), linkType });
    at += 16 + incl;
  }
  return packets;
}

interface NgInterface {
  linkType: number;
  /** Timestamp units per second. */
  unitsPerSec: bigint;
}

function readPcapng(bytes: Uint8Array, dv: DataView): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  let le = true;
  let ifaces: NgInterface[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 12 > bytes.length) throw bad(at, `block cut short (${bytes.length - at} bytes left)`);
    let type = dv.getUint32(at, le);
    if (dv.getUint32(at, true) === PCAPNG_SHB) {
      // A section header sets the byte order of its section.
      type = PCAPNG_SHB;
      const bom = dv.getUint32(at + 8, true);
      if (bom === PCAPNG_BYTE_ORDER) le = true;
      else if (dv.getUint32(at + 8, false) === PCAPNG_BYTE_ORDER) le = false;
      else throw bad(at + 8, `section header byte-order magic 0x${bom.toString(16)} is not 1a2b3c4d`);
      ifaces = [];
    }
    const len = dv.getUint32(at + 4, le);
    if (len < 12 || len % 4 !== 0) throw bad(at + 4, `block length ${len} is not a multiple of 4 of at least 12`);
    if (at + len > bytes.length) throw bad(at, `block of ${len} bytes runs past the end of the file (${bytes.length - at} left)`);
    if (dv.getUint32(at + len - 4, le) !== len) throw bad(at + len - 4, `block length ${len} is not repeated at the block's end`);
    const body = at + 8;
    if (type === PCAPNG_IDB) {
      if (len < 20) throw bad(at, `interface description block of ${len} bytes`);
      ifaces.push({ linkType: dv.getUint16(body, le), unitsPerSec: tsResolution(bytes, dv, le, body + 8, at + len - 4) });
    } else if (type === PCAPNG_EPB || type === PCAPNG_OBSOLETE_PB) {
      if (len < 32) throw bad(at, `packet block of ${len} bytes`);
      const ifId = type === PCAPNG_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const iface = ifaces[ifId];
      if (!iface) throw bad(body, `packet ${packets.length + 1} names interface ${ifId}, but the section declares ${ifaces.length}`);
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const incl = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      if (body + 20 + incl > at + len - 4) throw bad(body + 12, `packet ${packets.length + 1}: ${incl} captured bytes do not fit its block of ${len}`);
      packets.push({ data: bytes.slice(body + 20, body + 20 + incl), length: Math.max(orig, incl), timeNs: (ts * 1_000_000_000n) / iface.unitsPerSec, linkType: iface.linkType });
    } else if (type === PCAPNG_SPB) {
      const iface = ifaces[0];
      if (!iface) throw bad(at, `simple packet block ${packets.length + 1} before any interface description`);
      const orig = dv.getUint32(body, le);
      const incl = Math.min(orig, len - 16);
      packets.push({ data: bytes.slice(body + 4, body + 4 + incl), length: orig, timeNs: 0n, linkType: iface.linkType });
    }
    at += len;
  }
  return packets;
}

/** tsResolution reads if_tsresol from an interface's options (default microseconds). */
function tsResolution(bytes: Uint8Array, dv: DataView, le: boolean, from: number, end: number): bigint {
  for (let at = from; at + 4 <= end; ) {
    const code = dv.getUint16(at, le);
    const len = dv.getUint16(at + 2, le);
    if (code === 0) break;
    if (code === IF_TSRESOL && len >= 1) {
      const v = bytes[at + 4];
      return v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v & 0x7f);
    }
    at += 4 + ((len + 3) & ~3);
  }
  return 1_000_000n;
}

/** writePcap encodes packets as a classic little-endian pcap file with nanosecond timestamps. */
export function writePcap(packets: { data: Uint8Array; length?: number; timeNs: bigint }[], linkType: number): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_NS, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, linkType, true);
  let at = 24;
  for (const p of packets) {
    dv.setUint32(at, Number(p.timeNs / 1_000_000_000n), true);
    dv.setUint32(at + 4, Number(p.timeNs % 1_000_000_000n), true);
    dv.setUint32(at + 8, p.data.length, true);
    dv.setUint32(at + 12, Math.max(p.length ?? p.data.length, p.data.length), true);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return out;
}

/** linkTypeName names a link type for messages. */
export function linkTypeName(t: number): string {
  const names: Record<number, string> = { 1: 'Ethernet', 101: 'raw IP', 113: 'Linux cooked (SLL)', 276: 'Linux cooked v2 (SLL2)', 228: 'raw IPv4', 229: 'raw IPv6', 0: 'BSD loopback' };
  return `${t}${names[t] ? ` (${names[t]})` : ''}`;
}

/** checkLinkType refuses packets a program of this kind cannot take: frames must be Ethernet, or raw IP for L3 programs. */
export function checkLinkType(linkType: number, l3: boolean, program: string): void {
  const raw = linkType === LINKTYPE.RAW || linkType === LINKTYPE.IPV4 || linkType === LINKTYPE.IPV6;
  if (linkType === LINKTYPE.ETHERNET && !l3) return;
  if (raw && l3) return;
  const want = l3 ? 'raw IP (101)' : 'Ethernet (1)';
  throw new NotSupportedError('bad-link-type', `capture link type ${linkTypeName(linkType)}: program "${program}" takes ${want} packets`);
}
