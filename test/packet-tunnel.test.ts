// bpf_skb_set/get_tunnel_key and bpf_skb_set/get_tunnel_opt against the kernel's own answers (root + bpf()):
// test/fixtures/packet/tunnel.bpf.c sets, adds options to and reads back tunnel metadata as each packet says (flags,
// the current and older struct sizes, option lengths, IPv4 and IPv6), in the kernel (BPF_PROG_TEST_RUN of a tc
// program) and in bpftime-vm on the interpreter and the Wasm JIT; return values and everything read back must be
// identical byte for byte. Then what a run records and reads from a given received tunnel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { prepareBackend } from '../src/runtime/backends.js';
import { ROOT } from './helpers.js';
import { kernelRunPackets } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';
import { eth, ip4, ipv4, pattern, udp } from './packet-builder.js';

const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const OUT = 16 + 44 + 32;

/** The fixture's KEY_SIZES and OPT_SIZES: a size is passed as its index there (every call's size is a constant). */
const KEY_SIZES = [44, 28, 24, 22, 8, 12, 40, 43, 1];
const OPT_SIZES = [0, 4, 8, 12, 3, 32, 16, 1];
const index = (list: number[], n: number) => {
  const k = list.indexOf(n);
  if (k < 0) throw new Error(`size ${n} is not in the fixture's list ${list.join(', ')}`);
  return k;
};

/** frame carries the operation in bytes 6..13 and room for what the program writes back. */
function frame(op: number, sflags: number, ssize: number, gflags: number, gsize: number, olen = 0, osize = 32, vary = 0): Uint8Array {
  const f = eth(0x0800, ipv4({ src: ip4('10.0.0.1'), dst: ip4('10.0.0.2'), proto: 17 }, udp({ src: ip4('10.0.0.1'), dst: ip4('10.0.0.2'), sport: 1, dport: 2 }, pattern(OUT))));
  f.set([op, sflags, index(KEY_SIZES, ssize), gflags, index(KEY_SIZES, gsize), index(OPT_SIZES, olen), index(OPT_SIZES, osize), vary], 6);
  return f;
}

function packets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v4 = 0;
  const v6 = 1;
  // Set and get in each family, with the flags of both helpers.
  for (const sf of [0, 2, 4, 8, 16, 2 | 4 | 8 | 16, 32, 64, 0x80]) for (const fam of [v4, v6]) out.push(frame(1 | 4, sf | fam, 44, fam, 44), frame(1 | 4, sf | fam, 44, fam | 16, 44));
  // Families mismatched, get flags beyond the known ones, get without metadata.
  out.push(frame(1 | 4, v4, 44, v6, 44), frame(1 | 4, v6, 44, v4, 44), frame(1 | 4, 0, 44, 2, 44), frame(4, 0, 44, 0, 44), frame(4, 0, 44, 0, 8));
  // Sizes: the current one, the older layouts, and others.
  for (const size of [44, 28, 24, 22, 8, 12, 40, 43, 1]) {
    out.push(frame(1 | 4, v4, size, v4, 44), frame(1 | 4, v6, size, v6, 44), frame(1 | 4, v4, 44, v4, size), frame(1 | 4, v6, 44, v6 | 16, size));
  }
  // An IPv4 flow label, a non-zero tunnel_ext, key variations.
  for (const vary of [0x80, 0x40, 1, 7]) out.push(frame(1 | 4, v4, 44, v4 | 16, 44, 0, 32, vary), frame(1 | 4, v6, 44, v6 | 16, 44, 0, 32, vary));
  // Options: lengths (multiples of 4 or not), buffers shorter and longer, without a key set, then the key's flags.
  for (const [olen, osize] of [[4, 32], [8, 8], [8, 4], [12, 32], [3, 32], [32, 32], [0, 32], [16, 1]]) {
    out.push(frame(1 | 2 | 8, v4, 44, 0, 44, olen, osize), frame(1 | 2 | 4 | 8, v4, 44, 16, 44, olen, osize));
  }
  out.push(frame(2 | 8, v4, 44, 0, 44, 8, 32), frame(8, v4, 44, 0, 44, 8, 32), frame(1 | 8, v4, 44, 0, 44, 8, 32));
  return out;
}

async function ours(object: string, input: Uint8Array[], backend: string): Promise<{ retval: number; data_out: string }[]> {
  const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object))), { backend });
  return input.map((p) => {
    const r = c.program('tunnel').run({ data: p });
    return { retval: Number(BigInt.asUintN(32, r.r0)), data_out: hex(r.data) };
  });
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`tunnel metadata agrees with the kernel's BPF_PROG_TEST_RUN${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it('set/get_tunnel_key and set/get_tunnel_opt: flags, sizes, families, options, errors', async () => {
    const object = compileC('tunnel', readFileSync(`${ROOT}/test/fixtures/packet/tunnel.bpf.c`, 'utf8'));
    const input = packets();
    expect(input.length).toBeGreaterThan(80);
    const kernel = kernelRunPackets(object, 'tunnel', input);
    // Every run passes, and the helpers' answers vary (0, -EINVAL, -EPROTO, -ENOENT, -ENOMEM, option lengths).
    expect(kernel.runs.every((r) => r.retval === 0)).toBe(true);
    const codes = new Set(kernel.runs.flatMap((r) => [8, 12].map((at) => Buffer.from(r.data_out!, 'hex').readInt32LE(14 + at))));
    expect([...codes].sort((a, b) => a - b)).toEqual(expect.arrayContaining([-71, -22, -12, -2, 0, 8]));
    await prepareBackend('wasm-fast');
    for (const backend of ['interp', 'wasm-fast']) {
      const got = await ours(object, input, backend);
      const mismatches = got.flatMap((g, i) => (g.retval === kernel.runs[i].retval && g.data_out === kernel.runs[i].data_out ? [] : [`${backend} packet ${i} (${hex(input[i].subarray(6, 14))}): kernel ${kernel.runs[i].data_out?.slice(28, 28 + 2 * OUT)}, ours ${g.data_out.slice(28, 28 + 2 * OUT)}`]));
      expect(mismatches).toEqual([]);
    }
  });
});

describe.skipIf(!HAS_CLANG)(`tunnel metadata in a run${CLANG_SKIP}`, () => {
  const object = () => compileC('tunnel', readFileSync(`${ROOT}/test/fixtures/packet/tunnel.bpf.c`, 'utf8'));

  it('records the metadata set, as the kernel keeps it (remote is where the packet goes)', () => {
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object()))));
    const r = c.program('tunnel').run({ data: frame(1 | 2, 2 | 4, 44, 0, 44, 8, 32, 5) });
    expect(r.actions?.tunnel).toEqual({
      id: 0x01020309, ipv6: false, remote: ip4('10.0.0.6'), local: ip4('10.0.0.2'), tos: 0x15, ttl: 64, label: 0,
      // NOCACHE, KEY, DONT_FRAGMENT (no CSUM: BPF_F_ZERO_CSUM_TX), and the options present bits.
      tunFlags: 0x2000 | 0x04 | 0x0100 | 0xd800, options: Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i),
    });
  });

  it('reads a received tunnel given with the run, from the receiver\'s side', () => {
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object()))));
    const tunnel = { id: 42, ipv6: false, remote: ip4('192.0.2.1'), local: ip4('192.0.2.2'), tos: 0, ttl: 1, label: 0, tunFlags: 0x04, options: new Uint8Array(0) };
    const r = c.program('tunnel').run({ data: frame(4 | 8, 0, 44, 16, 44), tunnel });
    const o = new DataView(r.data.buffer, r.data.byteOffset + 14);
    expect([o.getInt32(8, true), o.getInt32(12, true)]).toEqual([0, -2]);
    expect([o.getUint32(16, true), o.getUint32(16 + 4, true), o.getUint32(16 + 28, true), o.getUint16(16 + 22, false)]).toEqual([42, 0xc0000202, 0xc0000201, 0x04]);
  });
});
