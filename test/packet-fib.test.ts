// bpf_fib_lookup against declared routes, checked against the kernel's FIB: a network namespace gets devices,
// addresses, routes of every type (gateways with and without neighbours, route MTU, metrics, another table,
// blackhole/unreachable/prohibit, IPv6), the kernel runs test/fixtures/packet/fib.bpf.c there with BPF_PROG_TEST_RUN,
// and bpftime-vm runs it on the network read back from `ip -j` (the --net file format). Return codes and the params
// struct written back into the packet must be identical, for XDP and tc, on the interpreter and the JIT.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { netOptions } from '../src/cli/net.js';
import { FIB_RESULT, fibLookup } from '../src/helpers/packet/fib.js';
import { UsageError } from '../src/errors.js';
import type { NetEnv } from '../src/helpers/packet/net.js';
import { ROOT, thrownAs } from './helpers.js';
import { kernelRunPackets, type PacketRun } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP, scratch } from './toolchain.js';
import { eth, ip4, ip6, ipv4, ipv6, mac, pattern, udp } from './packet-builder.js';

const NS = `bpftime-vm-fib-${process.pid}`;
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** SETUP is the namespace's network, as ip commands. */
const SETUP = [
  'link set lo up',
  'link add veth0 address 02:00:00:00:00:10 type veth peer name veth1 address 02:00:00:00:00:11',
  'link set veth0 up', 'link set veth1 up',
  'addr add 10.0.1.1/24 dev veth0', 'addr add 10.0.7.1/24 dev veth1', 'addr add fd00:1::1/64 dev veth0 nodad',
  'route add 10.2.0.0/16 via 10.0.1.254 dev veth0 mtu 1400',
  'route add blackhole 10.3.0.0/16', 'route add unreachable 10.4.0.0/16', 'route add prohibit 10.5.0.0/16',
  'route add 10.6.0.0/16 via 10.0.1.253 dev veth0',
  'route add 10.8.0.0/16 via 10.0.1.254 dev veth0 table 100',
  'route add 10.9.0.0/16 via 10.0.1.254 dev veth0 metric 10', 'route add 10.9.0.0/16 via 10.0.1.253 dev veth0 metric 5',
  'route add 10.10.0.0/16 via 10.0.1.254 dev veth0 src 10.0.7.1',
  'route add 10.11.0.0/16 via 10.0.1.254 dev veth0 mtu lock 1300',
  'route add fd00:2::/64 via fd00:1::fe dev veth0', 'route add blackhole fd00:3::/64',
  'neigh add 10.0.1.254 lladdr 02:00:00:00:00:fe dev veth0 nud permanent',
  'neigh add fd00:1::fe lladdr 02:00:00:00:00:fd dev veth0 nud permanent',
];

const F = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 };

/** packet builds a frame whose source MAC carries the op (flags, tot_len override, table, ifindex). */
function packet(dst: string, o: { flags?: number; totLen?: number; table?: number; ifindex?: number; size?: number } = {}): Uint8Array {
  const v6 = dst.includes(':');
  const src = v6 ? ip6('fd00:1::1') : ip4('10.0.1.1');
  const d = v6 ? ip6(dst) : ip4(dst);
  const l4 = udp({ src, dst: d, sport: 1, dport: 2 }, pattern(o.size ?? 80));
  const l3 = v6 ? ipv6({ src, dst: d, proto: 17 }, l4) : ipv4({ src, dst: d, proto: 17 }, l4);
  const t = o.totLen ?? 0;
  const op = Uint8Array.of(o.flags ?? 0, t & 0xff, t >> 8, o.table ?? 0, o.ifindex ?? 0, 0);
  return eth(v6 ? 0x86dd : 0x0800, l3, { src: op, dst: mac('02:00:00:00:00:10') });
}

function packets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v4 = ['10.2.3.4', '10.3.0.1', '10.4.0.1', '10.5.0.1', '10.6.0.1', '10.0.7.5', '10.0.1.254', '10.0.1.1', '192.168.99.1', '10.8.0.1', '10.9.0.1', '10.10.0.1'];
  for (const flags of [0, F.SKIP_NEIGH, F.SRC, F.OUTPUT, F.DIRECT, F.DIRECT | F.SKIP_NEIGH | F.SRC]) for (const d of v4) out.push(packet(d, { flags }));
  for (const d of ['10.8.0.1', '10.2.3.4']) for (const table of [100, 7, 254]) out.push(packet(d, { flags: F.DIRECT | F.TBID, table }));
  out.push(packet('10.8.0.1', { flags: F.TBID, table: 100 }), packet('10.2.3.4', { flags: 64 }), packet('10.2.3.4', { flags: 128 }));
  for (const totLen of [1300, 1301, 1400, 1401, 0xffff, 1500, 1501, 9000]) out.push(packet('10.2.3.4', { totLen }), packet('10.0.1.254', { totLen }), packet('10.11.0.1', { totLen }));
  out.push(packet('10.2.3.4', { size: 1600 }), packet('10.0.1.254', { size: 1600 }), packet('10.0.1.254', { size: 1600, totLen: 0xffff }));
  for (const ifindex of [2, 3, 99]) out.push(packet('10.2.3.4', { ifindex }), packet('10.2.3.4', { ifindex, flags: F.OUTPUT }));
  const v6 = ['fd00:2::5', 'fd00:3::1', 'fd00:9::1', 'fd00:1::1', 'fd00:1::fe', 'fe80::1', 'ff02::1'];
  for (const flags of [0, F.SKIP_NEIGH, F.SRC, F.DIRECT]) for (const d of v6) out.push(packet(d, { flags }));
  out.push(packet('fd00:2::5', { totLen: 1501 }), packet('fd00:2::5', { totLen: 1500 }));
  return out;
}

/** declared reads the namespace's network back in the --net file format, as a user would with ip -j. */
function declared(): NetEnv {
  const json = (...a: string[]) => JSON.parse(ip('-j', ...a)) as Record<string, unknown>[];
  const notLocal = (r: Record<string, unknown>) => r.table !== 'local';
  const file = join(scratch(), `${NS}.json`);
  writeFileSync(file, JSON.stringify({
    links: json('addr', 'show'),
    // ip's JSON leaves out whether an MTU is locked; the --net format's "mtu_lock" says it.
    routes: [...json('route', 'show', 'table', 'all'), ...json('-6', 'route', 'show', 'table', 'all')].filter(notLocal).map((r) => (r.dst === '10.11.0.0/16' ? { ...r, mtu_lock: true } : r)),
    neighbours: json('neigh', 'show'),
  }));
  return netOptions({ net: file })!;
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`bpf_fib_lookup agrees with the kernel's FIB${KERNEL_SKIP || CLANG_SKIP}`, () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    for (const cmd of SETUP) ip(...cmd.split(' '));
    for (const s of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']) execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', s]);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS]);
  });

  it.each(['xdp_fib', 'tc_fib'])('%s: return codes and the params written back', async (prog) => {
    const object = compileC('fib', readFileSync(join(ROOT, 'test/fixtures/packet/fib.bpf.c'), 'utf8'));
    const input = packets();
    expect(input.length).toBeGreaterThan(100);
    const kernel = kernelRunPackets(object, prog, input, [], NS);
    const net = declared();
    await prepareBackend('wasm-fast');
    const codes = new Set<number>();
    for (const backend of ['interp', 'wasm-fast']) {
      const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend, net });
      const mismatches: string[] = [];
      input.forEach((p, i) => {
        const r = c.program(prog).run({ data: p });
        const ours: PacketRun = { retval: Number(BigInt.asUintN(32, r.r0)), data_out: hex(r.data) };
        codes.add(Number(BigInt.asIntN(32, r.r0)));
        const k = kernel.runs[i];
        if (ours.retval !== k.retval || ours.data_out !== k.data_out) {
          mismatches.push(`${backend} packet ${i} (op ${hex(p.subarray(6, 11))}, dst ${hex(p.subarray(p[12] === 0x86 ? 38 : 30, p[12] === 0x86 ? 54 : 34))}): kernel ${k.retval ?? `errno ${k.errno}`} ${k.data_out?.slice(28, 156)}, ours ${ours.retval} ${ours.data_out?.slice(28, 156)}`);
        }
      });
      expect(mismatches).toEqual([]);
    }
    // Every result code this network can give, and the errors, were reached (NO_SRC_ADDR needs a namespace without
    // addresses; UNSUPP_LWT and FWD_DISABLED need lightweight tunnels and forwarding off).
    expect([...codes].sort((a, b) => a - b)).toEqual([-22, -19, 0, 1, 2, 3, 4, 7, 8]);
  });
});


describe('declared networks', () => {
  /** params builds a struct bpf_fib_lookup for an IPv4 destination arriving on `ifindex`. */
  const params = (dst: string, ifindex: number, totLen = 100) => {
    const p = new Uint8Array(64);
    const dv = new DataView(p.buffer);
    p[0] = 2;
    dv.setUint16(6, totLen, true);
    dv.setUint32(8, ifindex, true);
    p.set(ip4(dst), 32);
    return p;
  };
  const lookup = (net: ReturnType<typeof netOptions>, dst: string, ifindex: number, flags = 0) => fibLookup(net!, params(dst, ifindex), flags, { xdp: true, packetLength: 0 });

  it('answers from --link/--route/--neigh in ip\'s words: forwarding off, no source address, the neighbour found', () => {
    const net = netOptions({ link: ['eth1 ifindex 3 address 02:00:00:00:00:03 mtu 9000', 'eth2 ifindex 4 noforward'], route: ['10.0.0.0/8 via 192.168.1.1 dev eth1', 'default via 192.168.1.2 dev eth1 metric 5'], neigh: ['192.168.1.1 lladdr 02:00:00:00:00:fe dev eth1'] });
    expect(lookup(net, '10.1.2.3', 4)).toBe(FIB_RESULT.FWD_DISABLED);
    expect(lookup(net, '10.1.2.3', 9)).toBe(-19);
    // No device has an IPv4 address but lo's 127.0.0.1, which is never a source for another device.
    expect(lookup(net, '10.1.2.3', 1, 16)).toBe(FIB_RESULT.NO_SRC_ADDR);
    const p = params('10.1.2.3', 1);
    expect(fibLookup(net!, p, 0, { xdp: true, packetLength: 0 })).toBe(FIB_RESULT.SUCCESS);
    expect([...p.subarray(52, 64)]).toEqual([2, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0xfe]);
    expect(new DataView(p.buffer).getUint16(6, true)).toBe(9000);
    expect(lookup(net, '8.8.8.8', 1)).toBe(FIB_RESULT.NO_NEIGH);
    expect(lookup(netOptions({ route: ['blackhole 10.0.0.0/8'] }), '10.0.0.1', 1)).toBe(FIB_RESULT.BLACKHOLE);
    // Nothing declared: no route.
    expect(lookup(netOptions({ link: ['eth1 ifindex 3'] }), '10.0.0.1', 1)).toBe(FIB_RESULT.NOT_FWDED);
  });

  it('names what is wrong in a declaration', () => {
    const msg = (flags: Record<string, string[]>) => thrownAs(UsageError, () => netOptions(flags)).message;
    expect(msg({ route: ['10.0.0.0/8 via 1.2.3.4 dev eth9'] })).toBe(`--route '10.0.0.0/8 via 1.2.3.4 dev eth9': no device "eth9" is declared (declare it with --link, before the routes that use it)`);
    expect(msg({ route: ['10.0.0.0/40 dev lo'] })).toBe(`--route '10.0.0.0/40 dev lo': prefix length 40 is longer than the address`);
    expect(msg({ route: ['10.0.0.0/8 via 1.2.3.4'] })).toBe(`--route '10.0.0.0/8 via 1.2.3.4': a unicast route needs "dev NAME"`);
    expect(msg({ route: ['10.0.0.0/8 dev lo weight 3'] })).toBe(`--route '10.0.0.0/8 dev lo weight 3': unknown word "weight" (expected via, dev, src, metric, mtu, table, proto, scope, onlink)`);
    expect(msg({ link: ['eth1 address 02:00:00:00:00:01'] })).toBe(`--link 'eth1 address 02:00:00:00:00:01': a link needs "ifindex N"`);
    expect(msg({ neigh: ['10.0.0.300 lladdr 02:00:00:00:00:01 dev lo'] })).toBe(`--neigh '10.0.0.300 lladdr 02:00:00:00:00:01 dev lo': "10.0.0.300" is not an IPv4 or IPv6 address`);
  });
});
