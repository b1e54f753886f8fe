// Helpers and maps added for real-world tracing tools, each compared with the kernel's own answer (root + bpf()):
// the kernel runs the program with BPF_PROG_TEST_RUN in a process we place in a cgroup, and bpftime-vm runs the same
// object with that process's identity and cgroup; the globals both leave must be byte for byte the same.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CgroupArrayMap } from '../src/helpers/maps/index.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { ROOT } from './helpers.js';
import { kernelRun, makeCgroups } from './realworld-oracle.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';

const fixture = (name: string) => compileC(name, readFileSync(`${ROOT}/test/fixtures/realworld/${name}.bpf.c`, 'utf8'));
const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');
const u64le = (...vs: bigint[]) => Buffer.concat(vs.map((v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return b; }));

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`cgroup and pid namespace helpers agree with the kernel${KERNEL_SKIP || CLANG_SKIP}`, () => {
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
