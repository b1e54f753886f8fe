// sk_skb and sk_msg programs against the kernel running them on real sockets (root + bpf()): BPF_PROG_TEST_RUN cannot
// run either type (the kernel answers ENOTSUPP), so test/tools/sockmap-run.c attaches test/fixtures/packet/sockmap.bpf.c
// to a sockmap holding real TCP sockets, sends each case's bytes and reports where they arrived (the receiving socket,
// a redirect target's peer or receive queue, nowhere) and as what bytes. bpftime-vm runs the same program on the same
// bytes with the same sockets declared; the verdict and the redirect it records must send the bytes to the same place,
// and the message an sk_msg program leaves (pull, push, pop, their data..data_end and size) must be the bytes the
// peer read, except the bytes bpf_msg_push_data opens, which the kernel leaves uninitialised.
// bpf_msg_apply_bytes and bpf_msg_cork_bytes make the kernel run the program again on later parts of the stream, which
// one run cannot show: their recorded values are checked against the documented semantics instead (last test).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { netOptions } from '../src/cli/net.js';
import { applyMapUpdates } from '../src/cli/map-update.js';
import { SockMapBase } from '../src/helpers/maps/sock-maps.js';
import { cli, ROOT } from './helpers.js';
import { writeFileSync } from 'node:fs';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP, scratch } from './toolchain.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** The sockets of sockmap-run.c, declared in its order: L, A, A2, B, B2, U (declared socket N is fd 3 + N). */
const NAMES = ['L', 'A', 'A2', 'B', 'B2', 'U'];
const SOCKETS = ['tcp 127.0.0.1:5000', 'tcp 127.0.0.1:6000 127.0.0.1:5000', 'tcp 127.0.0.1:5000 127.0.0.1:6000', 'tcp 127.0.0.1:6001 127.0.0.1:5000', 'tcp 127.0.0.1:5000 127.0.0.1:6001', 'udp 127.0.0.1:7000'];
const PEER: Record<string, string> = { A: 'A2', A2: 'A', B: 'B2', B2: 'B' };
const UPDATES = ['sock_map[0]=5', 'sock_map[1]=7', 'sock_map[2]=3', 'sock_hash[0]=5', 'sock_hash[1]=7', 'sock_hash[2]=3', 'sock_hash[3]=8'];
const PAYLOAD = '11223344556677889900aabbccddeeff';

/** skb cases: op, key, flags, then data. */
const SKB = ['000000', '010100', '010101', '010200', '010300', '010102', '010103', '010000', '010001', '020100', '020101', '020200', '020300', '020900', '030000', '030100', '030300'].map((c) => c + 'aabbccdd');
/** msg cases: op, key, flags, then start and len (u16 each), then the payload. */
const MSG = [
  '000000000000', '010002000600', '010002001400', '010000001600', '010014001600', '010016001700', '010002000100', '010101000000',
  '020000000800', '020000001000', '020004000800', '020016000400', '020017000400', '020003000000', '020102000400',
  '030002000400', '030000000400', '030010000600', '030010000500', '030010000700', '030000001600', '030004000000',
  '060100000000', '060101000000', '060200000000', '060300000000', '060102000000', '060001000000', '070101000000', '070100000000', '070201000000', '070301000000', '070401000000',
].map((c) => c + PAYLOAD);

/** pushed is the range bpf_msg_push_data opened in a msg case (start, len), whose bytes the kernel leaves as they were. */
function pushed(c: string): [number, number] | undefined {
  const b = Buffer.from(c, 'hex');
  return b[0] === 2 ? [b.readUInt16LE(2), b.readUInt16LE(4)] : undefined;
}

interface Arrival {
  dest: string;
  data: string;
}

async function ours(object: string, mode: 'skb' | 'msg', cases: string[], backend: string): Promise<Arrival[]> {
  const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend, net: netOptions({ socket: SOCKETS }) });
  applyMapUpdates(c, UPDATES);
  const p = c.program(mode === 'skb' ? 'verdict' : 'msg');
  return cases.map((k) => {
    const r = p.run({ data: Buffer.from(k, 'hex'), socket: NAMES.indexOf('A2') });
    // Dropped, or nothing left to deliver (a message popped whole): nothing arrives.
    if (r.r0 === 0n || r.data.length === 0) return { dest: 'none', data: '' };
    const redirect = r.actions?.redirect;
    const target = redirect ? NAMES[SOCKETS.indexOf(redirect.socket!)] : mode === 'skb' ? 'A2' : 'A';
    const dest = !redirect ? target : redirect.flags & 1 ? target : PEER[target];
    return { dest, data: hex(r.data) };
  });
}

/** masked blanks the bytes a push opened, in a hex string. */
function masked(data: string, c: string): string {
  const range = pushed(c);
  if (!range || data.length / 2 < range[0] + range[1]) return data;
  return data.slice(0, 2 * range[0]) + '..'.repeat(range[1]) + data.slice(2 * (range[0] + range[1]));
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`sk_skb and sk_msg agree with the kernel on real sockets${KERNEL_SKIP || CLANG_SKIP}`, () => {
  const cases = { skb: SKB, msg: MSG };
  it.each(['skb', 'msg'] as const)('%s: where the data goes and what it is', async (mode) => {
    const object = compileC('sockmap', readFileSync(join(ROOT, 'test/fixtures/packet/sockmap.bpf.c'), 'utf8'));
    const tool = join(scratch(), 'sockmap-run');
    execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-o', tool, join(ROOT, 'test/tools/sockmap-run.c'), '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const kernel = execFileSync(tool, [object, mode], { input: cases[mode].join('\n') + '\n', encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as Arrival);
    // The cases reach every destination.
    expect(new Set(kernel.map((k) => k.dest))).toEqual(new Set(['A', 'A2', 'B', 'B2', 'none']));
    await prepareBackend('wasm-fast');
    for (const backend of ['interp', 'wasm-fast']) {
      const got = await ours(object, mode, cases[mode], backend);
      const diff = cases[mode].flatMap((c, i) => {
        const k = { dest: kernel[i].dest, data: masked(kernel[i].data, c) };
        const o = { dest: got[i].dest, data: masked(got[i].data, c) };
        return k.dest === o.dest && k.data === o.data ? [] : [`${backend} ${c.slice(0, 12)}: kernel ${JSON.stringify(k)}, ours ${JSON.stringify(o)}`];
      });
      expect(diff).toEqual([]);
    }
  });
});

describe.skipIf(!HAS_CLANG)(`sk_skb and sk_msg runs${CLANG_SKIP}`, () => {
  const load = (updates = UPDATES) => {
    const object = compileC('sockmap', readFileSync(join(ROOT, 'test/fixtures/packet/sockmap.bpf.c'), 'utf8'));
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { net: netOptions({ socket: SOCKETS }) });
    applyMapUpdates(c, updates);
    return c;
  };

  it('records the redirect (map, key, socket, ingress) and the context socket; a lookup returns the socket to release', () => {
    const c = load();
    const r = c.program('verdict').run({ data: Buffer.from('010101aabb', 'hex'), socket: 2 });
    expect(r.actions?.redirect).toEqual({ helper: 'sk_redirect_map', map: 'sock_map', mapType: 'sockmap', key: 1, flags: 1, socket: 'tcp 127.0.0.1:5000 127.0.0.1:6001' });
    const seen = c.map('.bss').lookup(new Uint8Array(4))!;
    const dv = new DataView(seen.buffer, seen.byteOffset);
    // ctx family, local_port (host order), bpf_ntohl(remote_port), and the cookie of the declared socket.
    expect([dv.getUint32(24, true), dv.getUint32(28, true), dv.getUint32(32, true), dv.getBigUint64(40, true)]).toEqual([2, 5000, 6000, c.sockets.cookie(2)]);
    c.program('verdict').run({ data: Buffer.from('030200aabb', 'hex'), socket: 2 });
    const sk = c.map('.bss').lookup(new Uint8Array(4))!;
    const s = new DataView(sk.buffer, sk.byteOffset);
    // The listener at sock_map[2]: family, src_ip4 (127.0.0.1), src_port 5000, dst_port 0, TCP_LISTEN, IPPROTO_TCP.
    expect([0, 4, 8, 12, 16, 20].map((o) => s.getUint32(o, o === 4 ? false : true))).toEqual([2, 0x7f000001, 5000, 0, 10, 6]);
  });

  it('sk_msg: apply and cork bytes are recorded as the program set them; stream parsers report lengths', () => {
    const c = load();
    const apply = c.program('msg').run({ data: Buffer.from('040004000000' + PAYLOAD, 'hex'), socket: 2 });
    expect(apply.actions?.msg).toEqual({ applyBytes: 4 });
    const cork = c.program('msg').run({ data: Buffer.from('050040000000' + PAYLOAD, 'hex') });
    expect(cork.actions?.msg).toEqual({ corkBytes: 64 });
    const parsed = c.program('parser').run({ data: new Uint8Array(37), socket: 2 });
    expect(parsed.r0).toBe(37n);
  });

  it('sock_ops adds the context\'s declared socket in established and listen callbacks only', () => {
    const c = load([]);
    const ctx = (op: number, local: number, remote: number) => ({ args: [BigInt(op), 2n, 0x0100007fn, 0x0100007fn, BigInt(remote), BigInt(local)] });
    const added = () => new DataView(c.map('.bss').lookup(new Uint8Array(4))!.buffer).getBigInt64(48, true);
    // remote_port holds the __be16 port shifted left by 16: 6001 = 0x1771.
    c.program('add_sockets').run(ctx(4, 5000, 0x71170000));
    expect(added()).toBe(0n);
    expect((c.map('sock_hash') as SockMapBase).socketAt(Uint8Array.of(0x88, 0x13, 0, 0))).toBe(4);
    c.program('add_sockets').run(ctx(3, 5000, 0x71170000));
    expect(added()).toBe(-95n);
  });

  it('the CLI runs them on --mem data on a declared socket and says what is wrong with a socket or an option', () => {
    const object = compileC('sockmap', readFileSync(join(ROOT, 'test/fixtures/packet/sockmap.bpf.c'), 'utf8'));
    const data = join(scratch(), 'msg.bin');
    writeFileSync(data, Buffer.from('060101000000' + PAYLOAD, 'hex'));
    const base = ['run', object, '--prog', 'msg', '--mem', data, ...SOCKETS.flatMap((s) => ['--socket', s]), ...UPDATES.flatMap((u) => ['--map-update', u])];
    const r = cli([...base, '--on-socket', '2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('verdict: SK_PASS -> sockmap sock_map[1] (tcp 127.0.0.1:5000 127.0.0.1:6001) ingress\ndata: 22 bytes\n');
    expect(r.stdout).toContain('sock_map (sockmap): 0 -> tcp 127.0.0.1:5000 127.0.0.1:6000, 1 -> tcp 127.0.0.1:5000 127.0.0.1:6001, 2 -> tcp 127.0.0.1:5000');
    const bad = cli([...base, '--on-socket', '9']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, 'bpftime-vm: error: socket 9 is not declared (6 sockets: declare them with --socket, counted from 0)']);
    const fd = cli([...base, '--map-update', 'sock_map[3]=12']);
    expect(fd.stderr.trim()).toBe('bpftime-vm: error: --map-update sock_map[3]=12: map "sock_map": update: fd 12 is not open (6 sockets declared, fds 3 and up)');
    const out = cli(['run', object, '--prog', 'msg', '--pcap', join(ROOT, 'examples/packets.pcap'), '--out-pcap', join(scratch(), 'x.pcap')]);
    expect(out.stderr.trim()).toBe('bpftime-vm: error: --out-pcap: sk_msg programs see the payload of each packet, not packets to write back');
  });
});
