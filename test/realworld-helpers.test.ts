// Helpers and maps added for real-world tracing tools, each compared with the kernel's own answer (root + bpf()):
// the kernel runs the program with BPF_PROG_TEST_RUN in a process we place in a cgroup, and bpftime-vm runs the same
// object with that process's identity and cgroup; the globals both leave must be byte for byte the same.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CgroupArrayMap, createMap, MapTable, PerfEventArrayMap, type MapError } from '../src/helpers/maps/index.js';
import { emptyMap } from '../src/loader/maps.js';
import { MapType, type MapSpec } from '../src/loader/spec.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { ROOT } from './helpers.js';
import { CGROUP2_SKIP, kernelRun, makeCgroups } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';

const fixture = (name: string) => compileC(name, readFileSync(`${ROOT}/test/fixtures/realworld/${name}.bpf.c`, 'utf8'));
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const u64le = (...vs: bigint[]) => Buffer.concat(vs.map((v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return b; }));

describe.skipIf(!HAS_KERNEL || !HAS_CLANG || CGROUP2_SKIP !== '')(`cgroup and pid namespace helpers agree with the kernel${KERNEL_SKIP || CLANG_SKIP || CGROUP2_SKIP}`, () => {
  it('get_current_cgroup_id, get_current_ancestor_cgroup_id, current_task_under_cgroup, get_ns_current_pid_tgid', () => {
    const object = fixture('cgroup');
    const cg = makeCgroups(['a', 'a/b', 'c']);
    try {
      const ns = statSync('/proc/self/ns/pid', { bigint: true });
      const slots: [number, string][] = [[0, 'a'], [1, 'c'], [2, 'a/b']];
      const kernel = kernelRun(object, 'probe', [
        '--join', cg.dir('a/b'),
        ...slots.flatMap(([i, name]) => ['--cgroup', 'cgroups', String(i), cg.dir(name)]),
        '--ctx', hex(u64le(ns.dev, ns.ino)),
      ]);
      const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
      const c = new Collection(spec, { host: { pid: kernel.pid, tgid: kernel.tgid, cgroup: cg.dir('a/b') } });
      const map = c.map('cgroups') as CgroupArrayMap;
      for (const [i, name] of slots) map.setCgroup(i, { id: cg.id(name), path: cg.dir(name) });
      const r = c.program('probe').run({ args: [ns.dev, ns.ino] });
      expect(Number(r.r0)).toBe(kernel.retval);
      expect(hex(c.map('.bss').lookup(new Uint8Array(4))!)).toBe(kernel.maps['.bss']);
    } finally {
      cg.remove();
    }
  });
});

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`counter and socket helpers agree with the kernel${KERNEL_SKIP || CLANG_SKIP}`, () => {
  const object = () => fixture('counters');

  it('perf_event_read and perf_event_read_value: -ENOENT, -E2BIG, -EINVAL, and the buffers they zero', () => {
    const kernel = kernelRun(object(), 'read_counters');
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object()))), { host: { ncpus: 1 } });
    c.program('read_counters').run();
    for (const sec of ['.bss', '.data']) expect(hex(c.map(sec).lookup(new Uint8Array(4))!), sec).toBe(kernel.maps[sec]);
  });

  it('perf_event_read_value reads a counter user space put in the array', () => {
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object()))), { host: { ncpus: 1 } });
    (c.map('counters') as PerfEventArrayMap).setCounter(2, { value: 1234n, enabled: 10n, running: 9n });
    c.program('read_counters').run();
    const bss = Buffer.from(c.map('.bss').lookup(new Uint8Array(4))!);
    expect([bss.readBigInt64LE(0), bss.readBigInt64LE(32)]).toEqual([1234n, 0n]);
    const data = Buffer.from(c.map('.data').lookup(new Uint8Array(4))!);
    expect([data.readBigUInt64LE(24), data.readBigUInt64LE(32), data.readBigUInt64LE(40)]).toEqual([1234n, 10n, 9n]);
  });

  it('get_socket_cookie: non-zero and the same for one socket; get_netns_cookie: the namespace cookie', () => {
    const kernel = kernelRun(object(), 'cookies', ['--data', '00'.repeat(64)]);
    const k = Buffer.from(kernel.maps['.bss'], 'hex');
    const [first, again, netns] = [k.readBigUInt64LE(40), k.readBigUInt64LE(48), k.readBigUInt64LE(56)];
    expect(first).not.toBe(0n);
    expect(again).toBe(first);
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(object()))), { host: { netnsCookie: () => netns } });
    const p = c.program('cookies');
    p.run({ data: new Uint8Array(64) });
    const ours = Buffer.from(c.map('.bss').lookup(new Uint8Array(4))!);
    expect(ours.readBigUInt64LE(40)).not.toBe(0n);
    expect([ours.readBigUInt64LE(48), ours.readBigUInt64LE(56)]).toEqual([ours.readBigUInt64LE(40), netns]);
    p.run({ data: new Uint8Array(64), socketCookie: 77n });
    expect(Buffer.from(c.map('.bss').lookup(new Uint8Array(4))!).readBigUInt64LE(40)).toBe(77n);
  });
});

describe.skipIf(!HAS_KERNEL)(`cgroup arrays agree with the kernel from user space${KERNEL_SKIP}`, () => {
  /** ERRNO maps the strerror text bpftool prints back to the errno. */
  const ERRNO: Record<string, number> = { 'Invalid argument': 22, 'Unknown error 524': 524, 'No such file or directory': 2, 'Argument list too long': 7, 'Bad file descriptor': 9 };
  const bpftool = (...args: string[]): number => {
    const r = spawnSync('bpftool', ['-j', ...args], { encoding: 'utf8' });
    const err = r.stdout.trim() && r.stdout.trim() !== 'null' ? (JSON.parse(r.stdout) as { error?: string }).error : undefined;
    return err === undefined ? 0 : ERRNO[err.replace(/^.*failed: /, '')] ?? -1;
  };
  const ours = (f: () => unknown): number => {
    try {
      f();
      return 0;
    } catch (e) {
      return (e as MapError).errno;
    }
  };
  const spec = (valueSize: number): MapSpec => ({ ...emptyMap('cg', 'maps', 'maps'), type: MapType.cgroup_array, keySize: 4, valueSize, maxEntries: 4 });

  it('create, lookup, update with a non-cgroup fd, delete: the same errno', () => {
    const pin = `/sys/fs/bpf/bpftime-vm-test-cg-${process.pid}`;
    const mem = new GuestMemory();
    const make = (valueSize: number) => createMap(spec(valueSize), { mem, ncpus: 1, currentCpu: () => 0 }, new MapTable());
    try {
      expect(ours(() => make(8))).toBe(bpftool('map', 'create', pin, 'type', 'cgroup_array', 'key', '4', 'value', '8', 'entries', '4', 'name', 'cg'));
      expect(bpftool('map', 'create', pin, 'type', 'cgroup_array', 'key', '4', 'value', '4', 'entries', '4', 'name', 'cg')).toBe(0);
      const map = make(4);
      const key = (i: number) => Uint8Array.of(i, 0, 0, 0);
      expect(ours(() => map.lookup(key(0)))).toBe(bpftool('map', 'lookup', 'pinned', pin, 'key', '0', '0', '0', '0'));
      expect(ours(() => map.update(key(0), key(0)))).toBe(bpftool('map', 'update', 'pinned', pin, 'key', '0', '0', '0', '0', 'value', '0', '0', '0', '0'));
      expect(ours(() => map.delete(key(0)))).toBe(bpftool('map', 'delete', 'pinned', pin, 'key', '0', '0', '0', '0'));
      expect(ours(() => map.delete(key(9)))).toBe(bpftool('map', 'delete', 'pinned', pin, 'key', '9', '0', '0', '0'));
    } finally {
      rmSync(pin, { force: true });
    }
  });
});
