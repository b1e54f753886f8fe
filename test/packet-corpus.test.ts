// The packet corpus (examples/xdp-lb.bpf.c, tc-nat.bpf.c, tunnel.bpf.c, the tc program of sockmap-proxy.bpf.c, built
// by the examples' Makefile) on the 65
// packets of examples/packets.pcap, in the kernel (BPF_PROG_TEST_RUN, root) and in bpftime-vm on the interpreter and
// the Wasm JIT: the same return codes and output packets byte for byte. The documented difference: the kernel's test
// run refuses (EINVAL) a frame shorter than an Ethernet header and, for skb programs, an IPv4 or IPv6 frame shorter
// than its network header; bpftime-vm runs the program on them (a program must cope with such packets on a device).
// Then `run --pcap` on the committed capture prints the verdicts and writes the packets the program left.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { readCapture, writePcap } from '../src/runtime/pcap.js';
import { verdictName } from '../src/runtime/verdict.js';
import { cli, ROOT } from './helpers.js';
import { kernelRunPackets, type PacketRun } from './realworld-oracle.js';
import { buildExamples, CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP, scratch } from './toolchain.js';
import { CAPTURE_START_NS, corpusPackets } from './packet-capture.js';

const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const CAPTURE = join(ROOT, 'examples/packets.pcap');
/** tx_port[3] sends backend 3 through device 1 (lo, which exists in both worlds); the other entries stay empty. */
const UPDATES: [string, Uint8Array, Uint8Array][] = [['tx_port', Uint8Array.of(3, 0, 0, 0), Uint8Array.of(1, 0, 0, 0)]];
const PROGRAMS: [string, string, string[]][] = [
  ['xdp-lb', 'xdp_lb', ['XDP_TX', 'XDP_REDIRECT', 'XDP_PASS', 'XDP_DROP']],
  ['tc-nat', 'tc_nat', ['TC_ACT_REDIRECT', 'TC_ACT_OK', 'TC_ACT_SHOT']],
  ['tunnel', 'xdp_tunnel', ['XDP_TX', 'XDP_PASS', 'XDP_DROP']],
  ['tunnel', 'tc_tunnel', ['TC_ACT_REDIRECT', 'TC_ACT_OK', 'TC_ACT_SHOT']],
  ['sockmap-proxy', 'vxlan_key', ['TC_ACT_REDIRECT', 'TC_ACT_OK']],
];

/** refusedByTestRun tells whether BPF_PROG_TEST_RUN refuses a packet (the documented difference). */
function refusedByTestRun(p: Uint8Array, skb: boolean): boolean {
  if (p.length < 14) return true;
  const type = (p[12] << 8) | p[13];
  return skb && ((type === 0x0800 && p.length < 14 + 20) || (type === 0x86dd && p.length < 14 + 40));
}

function capture(): Uint8Array {
  return writePcap(corpusPackets().map((data, i) => ({ data, timeNs: CAPTURE_START_NS + BigInt(i) * 1_000_000n })), 1);
}

describe('the packet corpus capture', () => {
  it('examples/packets.pcap is the capture test/packet-capture.ts builds (BPFTIME_UPDATE_GOLDEN=1 rewrites it)', () => {
    const bytes = capture();
    if (process.env.BPFTIME_UPDATE_GOLDEN === '1') writeFileSync(CAPTURE, bytes);
    expect(hex(new Uint8Array(readFileSync(CAPTURE)))).toBe(hex(bytes));
    const read = readCapture(bytes);
    expect(read.packets.length).toBeGreaterThanOrEqual(50);
    expect(read.packets.map((p) => hex(p.data))).toEqual(corpusPackets().map(hex));
  });
});

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`the packet corpus agrees with the kernel's BPF_PROG_TEST_RUN${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it.each(PROGRAMS)('%s: %s', async (object, prog, verdicts) => {
    const file = join(buildExamples(), `${object}.bpf.o`);
    const packets = readCapture(new Uint8Array(readFileSync(CAPTURE))).packets.map((p) => p.data);
    const kernel = kernelRunPackets(file, prog, packets, object === 'xdp-lb' ? UPDATES : []);
    await prepareBackend('wasm-fast');
    for (const backend of ['interp', 'wasm-fast']) {
      const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(file))), { backend });
      if (object === 'xdp-lb') for (const [m, k, v] of UPDATES) c.map(m).update(k, v);
      const mismatches: string[] = [];
      const seen = new Set<string>();
      packets.forEach((p, i) => {
        const r = c.program(prog).run({ data: p });
        const k = kernel.runs[i];
        if (refusedByTestRun(p, c.program(prog).spec.type !== 'xdp')) {
          expect(k.errno, `packet ${i + 1}`).toBe(22);
          return;
        }
        expect(k.errno, `packet ${i + 1}`).toBeUndefined();
        seen.add(verdictName(c.program(prog).spec.type, r.r0));
        const ours: PacketRun = { retval: Number(BigInt.asUintN(32, r.r0)), data_out: hex(r.meta ?? new Uint8Array(0)) + hex(r.data) };
        if (ours.retval !== k.retval || ours.data_out !== k.data_out) mismatches.push(`${backend} packet ${i + 1}: kernel ${JSON.stringify(k)}, ours ${JSON.stringify(ours)}`);
      });
      expect(mismatches).toEqual([]);
      // The capture reaches every verdict the program has.
      expect([...seen].sort()).toEqual([...verdicts].sort());
    }
  });
});

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`a cgroup/skb filter over the capture agrees with the kernel${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it('takes the packets from their network header, as the test run does after eth_type_trans; the CLI names its verdicts', async () => {
    const object = compileC('cgroup', readFileSync(join(ROOT, 'test/fixtures/packet/cgroup.bpf.c'), 'utf8'));
    const frames = readCapture(new Uint8Array(readFileSync(CAPTURE))).packets.map((p) => p.data);
    const kernel = kernelRunPackets(object, 'filter', frames);
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))));
    const mismatches: string[] = [];
    let compared = 0;
    frames.forEach((f, i) => {
      const k = kernel.runs[i];
      if (refusedByTestRun(f, true)) return expect(k.errno, `packet ${i + 1}`).toBe(22);
      const r = c.program('filter').run({ data: f.subarray(14) });
      compared++;
      // The test run hands the packet back with its Ethernet header zeroed; bpftime-vm's output is the L3 packet.
      if (Number(r.r0) !== k.retval || '00'.repeat(14) + hex(r.data) !== k.data_out) mismatches.push(`packet ${i + 1}: kernel ${JSON.stringify(k)}, ours ${r.r0} ${hex(r.data)}`);
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(50);
    const out = cli(['run', object, '--pcap', CAPTURE]).stdout;
    expect(out).toMatch(/^filter \(cgroup_skb\): 65 packets from .*$/m);
    expect(out).toMatch(/^verdicts: allow \d+, drop \d+$/m);
  });
});

describe.skipIf(!HAS_CLANG)(`run --pcap on the corpus${CLANG_SKIP}`, () => {
  it('prints each packet\'s verdict with its redirect target, the headers with -v, and writes the packets it left', () => {
    const out = join(scratch(), 'lb-out.pcap');
    const r = cli(['run', join(buildExamples(), 'xdp-lb.bpf.o'), '--pcap', CAPTURE, '--out-pcap', out, '-v']);
    expect(r.stderr).toBe('');
    const text = r.stdout;
    expect(text).toMatch(/^xdp_lb \(xdp\): 65 packets from .*packets\.pcap \(pcap\)$/m);
    expect(text).toMatch(/^ {3}1 {2}XDP_TX +60 bytes, rewritten\n {8}in: {2}02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 192\.0\.2\.1 > 10\.0\.0\.100 ttl 64 id 1 len 40, TCP 40007 > 80 \[SYN\] seq 1000 len 0\n {8}out: 02:00:00:00:00:02 > 02:00:00:00:01:0\d, IPv4 192\.0\.2\.1 > 10\.0\.1\.\d ttl 63 id 1 len 40, TCP 40007 > 80 \[SYN\] seq 1000 len 0$/m);
    expect(text).toMatch(/^verdicts: XDP_TX \d+, XDP_PASS \d+, XDP_DROP \d+$/m);
    const written = readCapture(new Uint8Array(readFileSync(out)));
    expect(written.packets.length).toBe(65);
    expect(written.packets[1].timeNs).toBe(CAPTURE_START_NS + 1_000_000n);
  });

  it('sends a backend through the devmap entry --map-update writes, to a device --link declares', () => {
    const lb = join(buildExamples(), 'xdp-lb.bpf.o');
    const r = cli(['run', lb, '--pcap', CAPTURE, '--link', 'eth1 ifindex 3 address 02:00:00:00:00:03', '--map-update', 'tx_port[3]=3', '--json']);
    const doc = JSON.parse(r.stdout);
    const redirected = doc.packets.filter((p: { verdict: string }) => p.verdict === 'XDP_REDIRECT');
    expect(redirected.length).toBeGreaterThan(0);
    expect(redirected[0].redirect).toEqual({ helper: 'redirect_map', map: 'tx_port', mapType: 'devmap', key: 3, ifindex: 3, flags: 0 });
    expect(doc.summary.XDP_REDIRECT).toBe(redirected.length);
    const text = cli(['run', lb, '--pcap', CAPTURE, '--link', 'eth1 ifindex 3', '--map-update', 'tx_port[3]=3']).stdout;
    expect(text).toMatch(/^ {3}7 {2}XDP_REDIRECT -> devmap tx_port\[3\] \(ifindex 3\) {2}60 bytes, rewritten$/m);
    expect(cli(['run', lb, '--pcap', CAPTURE, '--map-update', 'tx_port[3]=3']).stderr).toBe('bpftime-vm: error: --map-update tx_port[3]=3: map "tx_port": update: no device with ifindex 3 (declare it in the network\'s interfaces)\n');
    expect(cli(['run', lb, '--pcap', CAPTURE, '--map-update', 'tx_port[3]=0x100000000']).stderr).toBe('bpftime-vm: error: --map-update tx_port[3]=0x100000000: value: 0x100000000 does not fit in 4 bytes\n');
  });
});
