// Captures (pcap in both byte orders and resolutions, pcapng with interfaces, resolutions and skipped blocks), their
// errors, the header decoder and verdict names; `run --pcap` errors on bad captures and on programs without packets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { readCapture, writePcap } from '../src/runtime/pcap.js';
import { decodePacket, formatIp, summarize } from '../src/runtime/packet-decode.js';
import { verdictOf, verdictName } from '../src/runtime/verdict.js';
import { cli, thrownAs } from './helpers.js';
import { eth, icmpEcho, ip4, ip6, ipv4, ipv6, pattern, tcp, udp } from './packet-builder.js';

const A = ip4('10.0.0.1');
const B = ip4('10.0.0.2');
const frame = eth(0x0800, ipv4({ src: A, dst: B, proto: 17 }, udp({ src: A, dst: B, sport: 1000, dport: 53 }, pattern(12))));

/** block builds a pcapng block of `type` with `body` (padded to 4 bytes) in the given byte order. */
function block(type: number, body: number[], le: boolean): number[] {
  const padded = [...body, ...new Array((4 - (body.length % 4)) % 4).fill(0)];
  const len = 12 + padded.length;
  const u32 = (v: number) => (le ? [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24] : [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  return [...u32(type), ...u32(len), ...padded, ...u32(len)];
}

function pcapng(le: boolean): Uint8Array {
  const u16 = (v: number) => (le ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  const u32 = (v: number) => (le ? [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24] : [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  const shb = block(0x0a0d0d0a, [...u32(0x1a2b3c4d), ...u16(1), ...u16(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], le);
  // Interface 0: Ethernet, nanosecond timestamps (if_tsresol 9); interface 1: raw IP, default microseconds.
  const idb0 = block(1, [...u16(1), 0, 0, ...u32(0), ...u16(9), ...u16(1), 9, 0, 0, 0, ...u16(0), ...u16(0)], le);
  const idb1 = block(1, [...u16(101), 0, 0, ...u32(0)], le);
  const custom = block(0x00000bad, [1, 2, 3, 4], le);
  const ts = 1_500_000_000_123_456_789n;
  const epb = block(6, [...u32(0), ...u32(Number(ts >> 32n)), ...u32(Number(ts & 0xffffffffn)), ...u32(frame.length), ...u32(frame.length + 4), ...frame], le);
  const raw = frame.subarray(14);
  const epb1 = block(6, [...u32(1), ...u32(0), ...u32(2_000_000), ...u32(raw.length), ...u32(raw.length), ...raw], le);
  return Uint8Array.from([...shb, ...idb0, ...custom, ...idb1, ...epb, ...epb1]);
}

describe('captures', () => {
  it('writes and reads back classic pcap with nanosecond timestamps', () => {
    const bytes = writePcap([{ data: frame, timeNs: 1_700_000_000_000_000_001n }, { data: frame.subarray(0, 20), length: frame.length, timeNs: 5n }], 1);
    const c = readCapture(bytes);
    expect(c.format).toBe('pcap');
    expect(c.packets.map((p) => [p.data.length, p.length, p.timeNs, p.linkType])).toEqual([[frame.length, frame.length, 1_700_000_000_000_000_001n, 1], [20, frame.length, 5n, 1]]);
  });

  it('reads big-endian microsecond pcap (as tcpdump writes on big-endian hosts)', () => {
    const hdr = [0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1];
    const rec = [0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, frame.length, 0, 0, 0, frame.length];
    const c = readCapture(Uint8Array.from([...hdr, ...rec, ...frame]));
    expect(c.packets[0].timeNs).toBe(3_000_007_000n);
    expect(c.packets[0].data).toEqual(frame);
  });

  it.each([true, false])('reads pcapng (little-endian %s): interfaces, timestamp resolutions, unknown blocks skipped', (le) => {
    const c = readCapture(pcapng(le));
    expect(c.format).toBe('pcapng');
    expect(c.packets.map((p) => [p.linkType, p.timeNs, p.length])).toEqual([[1, 1_500_000_000_123_456_789n, frame.length + 4], [101, 2_000_000_000n, frame.length - 14]]);
    expect(c.packets[0].data).toEqual(frame);
  });

  it('names what is wrong with a bad capture and where', () => {
    const msg = (b: Uint8Array) => thrownAs(LoadError, () => readCapture(b, 'x.pcap')).message;
    expect(msg(Uint8Array.of(1, 2))).toBe('x.pcap: offset 0: 2 bytes is too short for a capture header');
    expect(msg(new Uint8Array(24).fill(7))).toBe('x.pcap: offset 0: magic 0x07070707 is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)');
    const good = writePcap([{ data: frame, timeNs: 0n }], 1);
    expect(msg(good.subarray(0, good.length - 3))).toBe(`x.pcap: offset 24: packet 1: ${frame.length} bytes announced, ${frame.length - 3} left in the file`);
    expect(msg(good.subarray(0, 30))).toBe('x.pcap: offset 24: packet 1: record header cut short (6 of 16 bytes)');
    const ng = pcapng(true);
    const broken = ng.slice();
    broken[ng.length - 1] ^= 1;
    expect(msg(broken)).toMatch(/^x\.pcap: offset \d+: block length \d+ is not repeated at the block's end$/);
    // A packet naming an interface the section does not declare.
    const noIf = Uint8Array.from([...ng.subarray(0, 28), ...block(6, [...new Array(20).fill(0)], true)]);
    expect(msg(noIf)).toBe('x.pcap: offset 36: packet 1 names interface 0, but the section declares 0');
  });
});

describe('header decoding', () => {
  it('decodes Ethernet, VLAN, IPv4, UDP with checksums checked', () => {
    const tagged = eth(0x0800, ipv4({ src: A, dst: B, proto: 6, ttl: 9 }, tcp({ src: A, dst: B, sport: 1, dport: 2, flags: 0x12 }, pattern(3))), { vlans: [7, 100] });
    expect(summarize(decodePacket(tagged))).toBe('02:00:00:00:00:01 > 02:00:00:00:00:02, vlan 7, vlan 100, IPv4 10.0.0.1 > 10.0.0.2 ttl 9 id 1 len 43, TCP 1 > 2 [SYN,ACK] seq 1000 len 3');
    const bad = frame.slice();
    bad[frame.length - 1] ^= 0xff;
    bad[24] ^= 1;
    expect(summarize(decodePacket(bad))).toBe('02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 10.0.0.1 > 10.0.0.2 ttl 64 id 1 len 40 bad-csum, UDP 1000 > 53 len 20 bad-csum');
  });

  it('decodes IPv6 with extension headers, ICMP, ICMPv6, raw IP, truncation', () => {
    const S = ip6('fd00::1');
    const D = ip6('fd00:0:0:1::2');
    const hop = Uint8Array.from([17, 0, 0, 0, 0, 0, 0, 0]);
    const u = udp({ src: S, dst: D, sport: 5, dport: 6 }, pattern(4));
    expect(summarize(decodePacket(eth(0x86dd, ipv6({ src: S, dst: D, proto: 0 }, Uint8Array.from([...hop, ...u])))))).toBe('02:00:00:00:00:01 > 02:00:00:00:00:02, IPv6 fd00::1 > fd00:0:0:1::2 hlim 64 plen 20, UDP 5 > 6 len 12');
    expect(summarize(decodePacket(ipv4({ src: A, dst: B, proto: 1 }, icmpEcho(undefined, 1, 1, pattern(4))), true))).toBe('IPv4 10.0.0.1 > 10.0.0.2 ttl 64 id 1 len 32, ICMP type 8 code 0');
    expect(summarize(decodePacket(ipv6({ src: S, dst: D, proto: 58 }, icmpEcho({ src: S, dst: D }, 1, 1, pattern(4))), true))).toBe('IPv6 fd00::1 > fd00:0:0:1::2 hlim 64 plen 12, ICMPv6 type 128 code 0');
    expect(summarize(decodePacket(frame.subarray(0, 20)))).toBe('02:00:00:00:00:01 > 02:00:00:00:00:02, [ipv4 truncated: 20 of 34 bytes]');
    expect(formatIp(ip6('::'))).toBe('::');
    expect(formatIp(ip6('2001:db8::1:0:0:1'))).toBe('2001:db8::1:0:0:1');
  });

  it('names verdicts by program type, with the redirect recorded', () => {
    expect(verdictName('xdp', 3n)).toBe('XDP_TX');
    expect(verdictName('sched_cls', 0xffffffffn)).toBe('TC_ACT_UNSPEC');
    expect(verdictName('cgroup_skb', 1n)).toBe('allow');
    expect(verdictOf('sched_cls', 7n, { clones: [], redirect: { helper: 'redirect', ifindex: 3, flags: 1 } }).text).toBe('TC_ACT_REDIRECT -> ifindex 3 (ingress)');
    expect(verdictOf('xdp', 4n, { clones: [], redirect: { helper: 'redirect_map', map: 'cpus', mapType: 'cpumap', key: 1, flags: 0 } }).text).toBe('XDP_REDIRECT -> cpumap cpus[1]');
    // A redirect helper whose verdict the program overrode is not shown.
    expect(verdictOf('xdp', 2n, { clones: [], redirect: { helper: 'redirect', ifindex: 3, flags: 0 } }).text).toBe('XDP_PASS');
  });
});

describe('run --pcap errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-vm-pcap-'));
  const object = join(dir, 'xdp.o');
  // A minimal XDP object is not at hand without clang; the counter example is a tracing object (a type without packets).
  it('refuses a bad capture, a capture of another link type, and options that do not go together', () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'not a capture at all');
    const r = cli(['run', 'examples/counter.bpf.o', '--pcap', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`bpftime-vm: error: ${bad}: offset 0: magic 0x20746f6e is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)\n`);
    const good = join(dir, 'good.pcap');
    writeFileSync(good, writePcap([{ data: frame, timeNs: 0n }], 1));
    const t = cli(['run', 'examples/counter.bpf.o', '--pcap', good, '--json']);
    expect(t.code).toBe(2);
    expect(JSON.parse(t.stderr).error.message).toMatch(/^program "\w+" is of type \w+, which takes no packet: --pcap needs an XDP, tc, socket filter, cgroup\/skb, sk_skb or sk_msg program \(force one with --type\)$/);
    const raw = join(dir, 'raw.pcap');
    writeFileSync(raw, writePcap([{ data: frame.subarray(14), timeNs: 0n }], 101));
    const l = cli(['run', 'examples/counter.bpf.o', '--type', 'xdp', '--pcap', raw]);
    expect(l.code).toBe(4);
    expect(l.stderr).toMatch(/^bpftime-vm: error: capture link type 101 \(raw IP\): program "\w+" takes Ethernet \(1\) packets\n$/);
    expect(cli(['run', 'examples/counter.bpf.o', '--out-pcap', object]).stderr).toBe('bpftime-vm: error: --out-pcap goes with --pcap\n');
    expect(cli(['run', 'examples/counter.bpf.o', '--pcap', good, '--mem', '00']).stderr).toBe('bpftime-vm: error: --mem cannot be combined with --pcap (each packet of the capture is the input)\n');
  });
});
