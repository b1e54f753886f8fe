// sockmap and sockhash against the kernel's syscall side (root + bpf()): test/tools/sockmap-ops.c opens a TCP listener,
// both ends of a TCP connection, a bound and a connected UDP socket, then creates maps and updates, looks up, deletes
// and walks them; bpftime-vm runs the same operations with the same five sockets declared (declared socket N is fd
// 3 + N). Every errno, which socket each lookup's cookie belongs to and every next key must be the kernel's.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MapError, type BpfMap } from '../src/helpers/maps/index.js';
import { FIRST_SOCKET_FD, SockMapBase } from '../src/helpers/maps/sock-maps.js';
import type { DeclaredSocket } from '../src/helpers/packet/net.js';
import { DeclaredSockets } from '../src/runtime/sockets.js';
import { ROOT } from './helpers.js';
import { Machine, spec } from './maps-support.js';
import { HAS_KERNEL, KERNEL_SKIP, scratch } from './toolchain.js';
import { ip4 } from './packet-builder.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const SOCKMAP = 15;
const SOCKHASH = 18;

/** OPS are the operations, in sockmap-ops.c's words. */
const OPS = [
  // Creation rules: key and value sizes, max_entries, flags.
  'create m8 15 4 8 4 0', 'create m4 15 4 4 4 0', 'create h8 18 4 8 3 0', 'create hk 18 12 4 2 0',
  'create bad1 15 8 8 4 0', 'create bad2 15 4 12 4 0', 'create bad3 15 4 8 0 0', 'create bad4 15 4 8 4 1',
  'create ro 15 4 8 4 128', 'create bad5 18 0 8 4 0', 'create bad6 18 600 8 4 0', 'create bad7 18 4 8 4 4', 'create bad8 15 4 8 4 1024',
  // Updates: each kind of socket, flags, indexes out of range, fds that are not sockets.
  'update m8 00000000 s0 0', 'update m8 01000000 s1 0', 'update m8 01000000 s2 1', 'update m8 01000000 s2 2', 'update m8 02000000 s3 2',
  'update m8 02000000 s3 1', 'update m8 03000000 s4 0', 'update m8 04000000 s1 0', 'update m8 00000000 s1 3', 'update m8 00000000 s1 4',
  'update m8 00000000 file 0', 'update m8 00000000 bad 0', 'update m8 00000000 huge 0',
  'lookup m8 00000000', 'lookup m8 01000000', 'lookup m8 02000000', 'lookup m8 03000000', 'lookup m8 04000000',
  'next m8 -', 'next m8 00000000', 'next m8 03000000', 'next m8 09000000',
  'delete m8 03000000', 'delete m8 03000000', 'delete m8 07000000', 'lookup m8 03000000', 'update m8 03000000 s2 1', 'lookup m8 03000000',
  // A 4-byte sockmap: fds as u32, lookups refused.
  'update m4 00000000 s1 0', 'update m4 01000000 huge 0', 'lookup m4 00000000', 'lookup m4 01000000', 'delete m4 00000000', 'delete m4 00000000',
  // sockhash: any key, full at max_entries, delete of a missing key.
  'update h8 0a000000 s0 0', 'update h8 0b000000 s2 0', 'update h8 0c000000 s3 0', 'update h8 0d000000 s4 0', 'update h8 0a000000 s4 2',
  'update h8 0e000000 s1 2', 'update h8 0a000000 s1 1', 'lookup h8 0a000000', 'lookup h8 0d000000', 'delete h8 0d000000', 'delete h8 0b000000',
  'update h8 0d000000 s4 1', 'update h8 0d000000 s1 5', 'update h8 0d000000 file 0', 'next h8 ff000000',
  'update hk 0102030405060708090a0b0c s1 0', 'update hk 0102030405060708090a0b0d s2 0', 'update hk 0102030405060708090a0b0e s3 0',
  'lookup hk 0102030405060708090a0b0c', 'delete hk 000000000000000000000000',
];

interface Answer {
  errno: number;
  socket?: number;
  key?: string;
}

/** ours runs OPS on bpftime-vm's maps with the sockets declared. */
function ours(sockets: DeclaredSocket[]): Answer[] {
  const m = new Machine();
  const cookies = new Map<bigint, bigint>();
  const dir = new DeclaredSockets(m.mem, () => sockets, (a) => cookies.get(a) ?? (cookies.set(a, BigInt(cookies.size + 1)), cookies.get(a)!));
  const maps = new Map<string, BpfMap>();
  const errnoOf = (f: () => void): number => {
    try {
      f();
      return 0;
    } catch (e) {
      if (e instanceof MapError) return e.errno;
      throw e;
    }
  };
  // A file that is not a socket: fds 0 to 2 are files for bpftime-vm.
  const fdOf = (word: string): bigint => (word === 'file' ? 0n : word === 'bad' ? 1000n : word === 'huge' ? 0x8000_0000n : BigInt(FIRST_SOCKET_FD + Number(word.slice(1))));
  return OPS.map((line): Answer => {
    const [op, name, a, b, c] = line.split(' ');
    const map = maps.get(name)!;
    switch (op) {
      case 'create': {
        const [type, keySize, valueSize, maxEntries, flags] = [a, b, c, line.split(' ')[5], line.split(' ')[6]].map(Number);
        return { errno: errnoOf(() => {
          const made = m.create(spec({ name, type, keySize, valueSize, maxEntries, flags }));
          (made as SockMapBase).directory = dir;
          maps.set(name, made);
        }) };
      }
      case 'update': {
        const value = new Uint8Array(map.spec.valueSize);
        const dv = new DataView(value.buffer);
        if (value.length === 8) dv.setBigUint64(0, fdOf(b), true);
        else dv.setUint32(0, Number(BigInt.asUintN(32, fdOf(b))), true);
        return { errno: errnoOf(() => map.update(unhex(a), value, Number(c))) };
      }
      case 'lookup': {
        let socket = -1;
        const errno = errnoOf(() => {
          const v = map.lookup(unhex(a));
          if (!v) throw new MapError(2, 'no such element');
          const cookie = new DataView(v.buffer).getBigUint64(0, true);
          socket = sockets.findIndex((_, i) => dir.cookie(i) === cookie);
        });
        return { errno, socket };
      }
      case 'delete':
        return { errno: errnoOf(() => map.delete(unhex(a))) };
      default: {
        let key = '';
        const errno = errnoOf(() => {
          const next = map.nextKey(a === '-' ? undefined : unhex(a));
          if (!next) throw new MapError(2, 'no next key');
          key = hex(next);
        });
        return { errno, key };
      }
    }
  });
}

describe.skipIf(!HAS_KERNEL)(`sockmap and sockhash agree with the kernel's syscalls${KERNEL_SKIP}`, () => {
  it('create, update with each kind of socket and flag, lookup (cookies), delete, next key', () => {
    const tool = join(scratch(), 'sockmap-ops');
    execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-o', tool, join(ROOT, 'test/tools/sockmap-ops.c'), '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines = execFileSync(tool, { input: OPS.join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
    const ports = JSON.parse(lines[0]) as { listen: number; client: number; udp: number; udp_client: number };
    const kernel = lines.slice(1).map((l) => JSON.parse(l) as Answer);
    const lo = ip4('127.0.0.1');
    const sockets: DeclaredSocket[] = [
      { protocol: 'tcp', localIp: lo, localPort: ports.listen },
      { protocol: 'tcp', localIp: lo, localPort: ports.client, remoteIp: lo, remotePort: ports.listen },
      { protocol: 'tcp', localIp: lo, localPort: ports.listen, remoteIp: lo, remotePort: ports.client },
      { protocol: 'udp', localIp: lo, localPort: ports.udp },
      { protocol: 'udp', localIp: lo, localPort: ports.udp_client, remoteIp: lo, remotePort: ports.udp },
    ];
    const got = ours(sockets);
    const diff = OPS.flatMap((op, i) => (JSON.stringify(got[i]) === JSON.stringify(kernel[i]) ? [] : [`${op}: kernel ${JSON.stringify(kernel[i])}, ours ${JSON.stringify(got[i])}`]));
    expect(diff).toEqual([]);
    // The run exercised what it claims: refusals of each kind and lookups that found sockets.
    expect(new Set(kernel.map((k) => k.errno))).toEqual(new Set([0, 2, 7, 9, 17, 22, 28, 88]));
  });
});

describe('sockmap and sockhash in programs', () => {
  it('a program lookup returns the socket as struct bpf_sock; delete and update take the socket', () => {
    const m = new Machine();
    const sockets: DeclaredSocket[] = [{ protocol: 'tcp', localIp: ip4('10.0.0.1'), localPort: 80, remoteIp: ip4('10.0.0.2'), remotePort: 4000 }];
    const dir = new DeclaredSockets(m.mem, () => sockets, () => 7n);
    const map = m.create<SockMapBase>(spec({ type: SOCKMAP, valueSize: 8, maxEntries: 2 }));
    map.directory = dir;
    map.setSocket(unhex('01000000'), 0);
    expect(map.lookupElem(m.put(unhex('01000000')))).toBe(dir.address(0));
    expect(map.lookupElem(m.put(unhex('00000000')))).toBe(0);
    expect(map.updateElem(m.put(unhex('00000000')), dir.address(0), 1)).toBe(0);
    expect(map.updateElem(m.put(unhex('00000000')), dir.address(0), 1)).toBe(-17);
    expect(map.updateElem(m.put(unhex('00000000')), m.put(new Uint8Array(80)), 0)).toBe(-22);
    expect(map.deleteElem(m.put(unhex('00000000')))).toBe(0);
    expect(map.deleteElem(m.put(unhex('00000000')))).toBe(-22);
    const hash = m.create<SockMapBase>(spec({ type: SOCKHASH, valueSize: 4, maxEntries: 2 }));
    hash.directory = dir;
    expect(hash.deleteElem(m.put(unhex('00000000')))).toBe(-2);
    expect(() => hash.update(unhex('00000000'), unhex('09000000'))).toThrow('update: fd 9 is not open (1 sockets declared, fds 3 and up)');
  });
});
