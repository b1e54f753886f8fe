// Socket lookups against declared sockets, checked against the kernel's: a network namespace gets TCP listeners
// (bound and wildcard, IPv4 and IPv6), an established connection, bound and connected UDP sockets (a Node process in
// the namespace holds them), the kernel runs test/fixtures/packet/socket.bpf.c there with BPF_PROG_TEST_RUN, and
// bpftime-vm runs it with the same sockets declared as --socket words. Found or not, and every struct bpf_sock field
// the program reads, must be identical for XDP and tc, bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { netOptions } from '../src/cli/net.js';
import { UsageError } from '../src/errors.js';
import { ROOT, thrownAs } from './helpers.js';
import { kernelRunPackets } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';
import { eth, ip4, ip6, ipv4, ipv6, pattern, tcp, udp } from './packet-builder.js';

const NS = `bpftime-vm-sock-${process.pid}`;
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');

/** SOCKETS are held open by a Node process in the namespace, and declared to bpftime-vm in the same words. */
const SOCKETS = [
  'tcp 10.0.1.1:80', 'tcp 0.0.0.0:8080', 'tcp [fd00:1::1]:80',
  'tcp 10.0.1.1:40000 10.0.1.1:80', 'tcp 10.0.1.1:80 10.0.1.1:40000',
  'udp 10.0.1.1:53', 'udp 0.0.0.0:5353', 'udp 10.0.1.1:6000 10.0.1.9:7000', 'udp [fd00:1::1]:53',
];

/** HOLDER opens SOCKETS and prints "ready". */
const HOLDER = `
const net = require('net'), dgram = require('dgram');
const listen = (port, host) => new Promise((r) => net.createServer(() => {}).listen(port, host, r));
const bind = (type, port, host) => new Promise((r) => { const s = dgram.createSocket(type); s.bind(port, host, () => r(s)); });
(async () => {
  await listen(80, '10.0.1.1'); await listen(8080, '0.0.0.0'); await listen(80, 'fd00:1::1');
  await new Promise((r) => net.connect({ host: '10.0.1.1', port: 80, localAddress: '10.0.1.1', localPort: 40000 }, r));
  await bind('udp4', 53, '10.0.1.1'); await bind('udp4', 5353, '0.0.0.0'); await bind('udp6', 53, 'fd00:1::1');
  const c = await bind('udp4', 6000, '10.0.1.1'); await new Promise((r) => c.connect(7000, '10.0.1.9', r));
  console.log('ready');
})();`;

/** packet builds a TCP or UDP packet from SRC to DST (ADDRESS:PORT) carrying the op in its source MAC. */
function packet(proto: 'tcp' | 'udp', src: string, dst: string, o: { which?: number; flags?: number; netns?: number; size?: number } = {}): Uint8Array {
  const parse = (e: string) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(e)!;
    return { ip: m[1].includes(':') ? ip6(m[1]) : ip4(m[1]), port: Number(m[2]) };
  };
  const s = parse(src);
  const d = parse(dst);
  const l4 = proto === 'tcp' ? tcp({ src: s.ip, dst: d.ip, sport: s.port, dport: d.port }, pattern(90)) : udp({ src: s.ip, dst: d.ip, sport: s.port, dport: d.port }, pattern(90));
  const l3 = s.ip.length === 16 ? ipv6({ src: s.ip, dst: d.ip, proto: proto === 'tcp' ? 6 : 17 }, l4) : ipv4({ src: s.ip, dst: d.ip, proto: proto === 'tcp' ? 6 : 17 }, l4);
  const op = Uint8Array.of(o.which ?? (proto === 'tcp' ? 0 : 1), o.flags ?? 0, o.netns ?? 0, o.size ?? 0, 0, 0);
  return eth(s.ip.length === 16 ? 0x86dd : 0x0800, l3, { src: op });
}

function packets(): Uint8Array[] {
  const tcpCases = [['10.0.1.1:40000', '10.0.1.1:80'], ['10.0.1.9:1234', '10.0.1.1:80'], ['10.0.1.1:80', '10.0.1.1:40000'], ['10.0.1.9:1234', '10.0.1.1:8080'], ['10.0.1.9:1234', '10.0.7.1:8080'], ['10.0.1.9:1234', '10.0.1.1:81'], ['10.0.1.9:1234', '10.0.1.2:80'], ['[fd00:1::9]:1234', '[fd00:1::1]:80'], ['[fd00:1::9]:1234', '[fd00:1::1]:8080']];
  const udpCases = [['10.0.1.9:1234', '10.0.1.1:53'], ['10.0.1.9:1234', '10.0.1.1:5353'], ['10.0.1.9:1234', '10.0.7.1:5353'], ['10.0.1.9:7000', '10.0.1.1:6000'], ['10.0.1.8:7000', '10.0.1.1:6000'], ['10.0.1.9:7001', '10.0.1.1:6000'], ['10.0.1.9:1234', '10.0.1.1:80'], ['[fd00:1::9]:1234', '[fd00:1::1]:53']];
  const out: Uint8Array[] = [];
  for (const [s, d] of tcpCases) out.push(packet('tcp', s, d), packet('udp', s, d, { which: 0 }));
  for (const [s, d] of udpCases) out.push(packet('udp', s, d), packet('tcp', s, d, { which: 1 }));
  for (const o of [{ flags: 1 }, { netns: 1 }, { netns: 2 }, { netns: 3 }, { size: 13 }, { size: 36 }, { size: 11 }]) out.push(packet('tcp', '10.0.1.9:1234', '10.0.1.1:80', o));
  out.push(packet('tcp', '[fd00:1::9]:1234', '[fd00:1::1]:80', { size: 12 }));
  return out;
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`socket lookups agree with the kernel's${KERNEL_SKIP || CLANG_SKIP}`, () => {
  let holder: ChildProcess | undefined;
  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    const ip = (...a: string[]) => execFileSync('ip', ['-n', NS, ...a]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ip('link', 'set', 'veth0', 'up');
    ip('link', 'set', 'veth1', 'up');
    ip('addr', 'add', '10.0.1.1/24', 'dev', 'veth0');
    ip('addr', 'add', '10.0.7.1/24', 'dev', 'veth1');
    ip('addr', 'add', 'fd00:1::1/64', 'dev', 'veth0', 'nodad');
    holder = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', HOLDER], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      holder!.on('exit', (code) => reject(new Error(`the socket holder exited with ${code}`)));
    });
  });
  afterAll(() => {
    holder?.kill();
    execFileSync('ip', ['netns', 'del', NS]);
  });

  it.each(['xdp_sock', 'tc_sock', 'xdp_skc', 'tc_skc'])('%s: found or not, and the socket read', async (prog) => {
    const object = compileC('socket', readFileSync(join(ROOT, 'test/fixtures/packet/socket.bpf.c'), 'utf8'));
    const input = packets();
    const kernel = kernelRunPackets(object, prog, input, [], NS);
    const net = netOptions({ link: ['veth0 ifindex 2 addr 10.0.1.1 addr fd00:1::1', 'veth1 ifindex 3 addr 10.0.7.1'], socket: SOCKETS })!;
    await prepareBackend('wasm-fast');
    let found = 0;
    for (const backend of ['interp', 'wasm-fast']) {
      const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend, net });
      const mismatches: string[] = [];
      input.forEach((p, i) => {
        const r = c.program(prog).run({ data: p });
        const k = kernel.runs[i];
        if (backend === 'interp') found += Number(r.r0 === 1n);
        if (Number(r.r0) !== k.retval || hex(r.data) !== k.data_out) mismatches.push(`${backend} packet ${i}: kernel ${k.retval} ${k.data_out?.slice(28, 28 + 128)}, ours ${r.r0} ${hex(r.data).slice(28, 28 + 128)}`);
      });
      expect(mismatches).toEqual([]);
    }
    expect(found).toBeGreaterThan(prog.includes('skc') ? 5 : 10);
  });
});

describe('declared sockets', () => {
  it('names what is wrong in a --socket', () => {
    const msg = (s: string) => thrownAs(UsageError, () => netOptions({ socket: [s] })).message;
    expect(msg('sctp 10.0.0.1:80')).toBe(`--socket 'sctp 10.0.0.1:80': expected 'tcp|udp LOCAL [REMOTE] [dev NAME]'`);
    expect(msg('tcp 10.0.0.1')).toBe(`--socket 'tcp 10.0.0.1': "10.0.0.1" is not ADDRESS:PORT (IPv6: [ADDRESS]:PORT)`);
    expect(msg('udp 10.0.0.1:53 [fd00::1]:53')).toBe(`--socket 'udp 10.0.0.1:53 [fd00::1]:53': the local and remote addresses are of different families`);
    expect(msg('tcp 10.0.0.1:80 dev eth3')).toBe(`--socket 'tcp 10.0.0.1:80 dev eth3': no device "eth3" is declared (declare it with --link, before the routes that use it)`);
    expect(netOptions({ socket: ['udp [fd00::1]:53 [fd00::2]:4000 dev lo'] })!.sockets).toEqual([{ protocol: 'udp', localIp: ip6('fd00::1'), localPort: 53, remoteIp: ip6('fd00::2'), remotePort: 4000, boundIfindex: 1 }]);
  });
});
