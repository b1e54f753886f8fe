// The packet helpers and redirect maps against the kernel's own answers (root + bpf()): test/fixtures/packet/ops.bpf.c
// runs one helper per packet with the operation and arguments the packet carries, in the kernel (BPF_PROG_TEST_RUN)
// and in bpftime-vm on the interpreter and the Wasm JIT; return values and output packets (XDP: with the metadata
// before them, as the kernel's data_out has it) must be the same byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { ROOT } from './helpers.js';
import { kernelRunPackets, type PacketRun } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';
import { arpRequest, eth, ip4, ip6, ipv4, ipv6, mac, pattern, tcp, udp } from './packet-builder.js';

const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const u32le = (v: number) => Uint8Array.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24]);

/** opFrame puts operation `code` with its arguments in the source MAC of `frame` (a copy). */
function opFrame(frame: Uint8Array, code: number, arg: number, arg2 = 0): Uint8Array {
  const f = frame.slice();
  f[6] = code;
  f[7] = arg & 0xff;
  f[8] = (arg >> 8) & 0xff;
  f[9] = arg2 & 0xff;
  f[10] = (arg2 >> 8) & 0xff;
  return f;
}

const A = ip4('10.0.0.1');
const B = ip4('10.0.0.2');
const A6 = ip6('fd00::1');
const B6 = ip6('fd00::2');
const udp4 = (n: number, o: { noChecksum?: boolean } = {}) => eth(0x0800, ipv4({ src: A, dst: B, proto: 17 }, udp({ src: A, dst: B, sport: 1000, dport: 53, ...o }, pattern(n))));
const tcp4 = (n: number) => eth(0x0800, ipv4({ src: A, dst: B, proto: 6 }, tcp({ src: A, dst: B, sport: 40000, dport: 80 }, pattern(n, 3))));
const udp6 = (n: number) => eth(0x86dd, ipv6({ src: A6, dst: B6, proto: 17 }, udp({ src: A6, dst: B6, sport: 1000, dport: 53 }, pattern(n, 5))));
const arp = () => eth(0x0806, arpRequest(mac('02:00:00:00:00:01'), A, B), { dst: mac('ff:ff:ff:ff:ff:ff') });

function xdpPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of [udp4(18), tcp4(300), udp6(1000)]) {
    const n = f.length;
    for (const a of [-217, -216, -100, -14, 0, 14, n - 14, n - 13, 500]) out.push(opFrame(f, 1, a));
    for (const a of [-n, -(n - 14), -(n - 13), -1, 0, 1, 100, 3520 - n, 3521 - n, 4000]) out.push(opFrame(f, 2, a));
    for (const a of [-4, -8, -3, -32, -36, -252, -256, -216, -217, 4, 0]) out.push(opFrame(f, 3, a));
    for (const [a, m] of [[-20, 4], [14, 8], [-200, 36], [-216, 4], [-212, 4]]) out.push(opFrame(f, 4, a, m));
    for (const a of [0, n - 8, n - 7, 0xffff]) out.push(opFrame(f, 5, a));
    for (const a of [0, n - 4, n - 3, 0xffff]) out.push(opFrame(f, 6, a));
    out.push(opFrame(f, 7, 0), opFrame(f, 14, 0));
  }
  const f = udp4(40);
  for (const [a, fl] of [[3, 0], [5, 1], [7, 8]]) out.push(opFrame(f, 8, a, fl));
  for (const [k, fl] of [[0, 0], [1, 0], [1, 2], [7, 3], [0, 8], [1, 8 | 16], [0, 32], [0, 4]]) out.push(opFrame(f, 9, k, fl));
  for (const [k, fl] of [[0, 0], [1, 1], [0, 8], [2, 3]]) out.push(opFrame(f, 10, k, fl));
  for (const [k, fl] of [[0, 0], [0, 2], [1, 16]]) out.push(opFrame(f, 11, k, fl));
  for (const [k, fl] of [[1, 0], [2, 2], [1, 8]]) out.push(opFrame(f, 12, k, fl));
  for (const [seed, size] of [[0, 0], [0, 4], [0x1234, 8], [-1, 16], [7, 3], [0, 5], [0, 31]]) out.push(opFrame(f, 13, seed, size));
  return out;
}

function tcPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const frames = [udp4(18), tcp4(200), udp6(100), udp4(30, { noChecksum: true })];
  for (const f of frames) {
    const n = f.length;
    for (const [a, fl] of [[0, 0], [14, 0], [100, 0], [4, 1], [16100, 0], [-1, 0]]) out.push(opFrame(f, 1, a, fl));
    for (const [a, fl] of [[n + 10, 0], [n - 1, 0], [14, 0], [13, 0], [0, 0], [16064, 0], [16065, 0], [n, 1]]) out.push(opFrame(f, 2, a, fl));
    for (const a of [8, -8, 20, -20, 4096, -4096]) for (const m of [0, 1, 2 * 2, 2 * 3, 2 * 4, 2 * 5 + 1, 2 * 6, 2 * 7]) out.push(opFrame(f, 3, a, m));
    for (const [a, m] of [[0, 1], [0, 0], [1, 1]]) out.push(opFrame(f, 4, a, m));
    for (const [a, fl] of [[0, 0], [n - 4, 0], [n - 3, 0], [0xffff, 0], [20, 1], [20, 2], [20, 3], [20, 4]]) out.push(opFrame(f, 5, a, fl));
    for (const a of [0, n - 8, n - 7]) out.push(opFrame(f, 6, a));
    for (const [a, fl] of [[24, 4], [24, 2], [25, 4], [n - 1, 4], [n - 2, 4], [24, 0], [24, 5], [24, 0x14]]) out.push(opFrame(f, 7, a, fl));
    for (const [a, fl] of [[40, 2], [40, 0x12], [40, 0x22], [40, 0x62], [40, 0x82], [40, 0x102], [41, 2], [54, 0x12]]) out.push(opFrame(f, 8, a, fl));
    for (const [a, fl] of [[40, 0], [40, 0x10], [40, 0x90], [40, 0x30]]) out.push(opFrame(f, 9, a, fl));
    for (const a of [0, n, n + 1]) out.push(opFrame(f, 10, a));
    for (const a of [0, 1, 2, 3, 4]) out.push(opFrame(f, 11, a));
    for (const a of [0, 1, 2, 3, 4]) out.push(opFrame(f, 13, a));
    for (const [a, s] of [[0, 0], [0, 1], [n - 18, 1], [n - 17, 1], [0, 2], [n - 4, 0]]) out.push(opFrame(f, 14, a, s));
    for (const [a, b] of [[n + 20, 30], [40, 10], [14, 0], [n - 10, 16064]]) out.push(opFrame(f, 18, a, b));
    for (const [a, m] of [[8, 0], [20, 2], [24, 3], [40, 4], [16, 7]]) out.push(opFrame(f, 19, a, m));
  }
  const f = udp4(40);
  for (const [a, fl] of [[2, 0], [2, 1], [2, 2]]) out.push(opFrame(f, 12, a, fl), opFrame(f, 15, a, fl), opFrame(f, 16, a, fl));
  for (const dst of ['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '02:00:00:00:00:09']) {
    out.push(opFrame(eth(0x0800, ipv4({ src: A, dst: B, proto: 17 }, udp({ src: A, dst: B, sport: 1, dport: 2 }, pattern(40))), { dst: mac(dst) }), 17, 0));
  }
  out.push(opFrame(udp6(60), 17, 0), opFrame(eth(0x0800, ipv4({ src: A, dst: B, proto: 17 }, pattern(48)), { vlans: [5] }), 17, 0), opFrame(arp(), 17, 0));
  out.push(opFrame(arp(), 3, 8, 0), opFrame(arp(), 4, 0, 1));
  return out;
}

/** DEVMAP and friends filled the same way in the kernel and in bpftime-vm: device 1 (lo) exists in both. */
const UPDATES: [string, Uint8Array, Uint8Array][] = [
  ['devs', u32le(0), u32le(1)],
  ['devs_hash', u32le(1), u32le(1)],
  ['cpus', u32le(0), u32le(64)],
];

async function compare(prog: string, packets: Uint8Array[]) {
  const object = compileC('ops', readFileSync(`${ROOT}/test/fixtures/packet/ops.bpf.c`, 'utf8'));
  const kernel = kernelRunPackets(object, prog, packets, UPDATES);
  expect(kernel.updates).toEqual([0, 0, 0]);
  await prepareBackend('wasm-fast');
  for (const backend of ['interp', 'wasm-fast']) {
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend, host: { ncpus: 2 } });
    for (const [m, k, v] of UPDATES) c.map(m).update(k, v);
    const mismatches: string[] = [];
    packets.forEach((p, i) => {
      const r = c.program(prog).run({ data: p });
      const ours: PacketRun = { retval: Number(BigInt.asUintN(32, r.r0)), data_out: hex(r.meta ?? new Uint8Array(0)) + hex(r.data) };
      const k = kernel.runs[i];
      if (ours.retval !== k.retval || ours.data_out !== k.data_out) {
        mismatches.push(`${backend} packet ${i} (op ${p[6]} arg ${p[7] | (p[8] << 8)} arg2 ${p[9] | (p[10] << 8)}): kernel ${JSON.stringify(k)}, ours ${JSON.stringify(ours)}`);
      }
    });
    expect(mismatches).toEqual([]);
  }
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`packet helpers agree with the kernel's BPF_PROG_TEST_RUN${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it('XDP: adjust_head/tail/meta at the frame limits, load/store_bytes, get_buff_len, redirect, redirect_map through devmap, devmap_hash, cpumap, xskmap, csum_diff, the context', async () => {
    const packets = xdpPackets();
    expect(packets.length).toBeGreaterThan(150);
    await compare('xdp_ops', packets);
  });

  it('tc: change_head/tail, adjust_room with its modes and encap/decap flags, change_proto, store/load_bytes(_relative), l3/l4_csum_replace, pull_data, change_type, csum_level, redirect(_peer, _neigh), the context', async () => {
    const packets = tcPackets();
    expect(packets.length).toBeGreaterThan(300);
    await compare('tc_ops', packets);
  });
});
