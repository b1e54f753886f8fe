// BTF-typed kernel pointers, kfuncs and spin locks beyond the case table (test/verifier-cases/kernel-objects.asm): the
// JIT facts around kernel-memory loads, verifyForLoad with and without the target kernel's BTF, and a spin lock at
// the offset a map value's BTF declares.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { parseBtf, type Btf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { UNMODELLED, verifyForLoad } from '../src/runtime/verification.js';
import { mapInfo, verifyProgram, type MapInfo } from '../src/verifier/index.js';
import { cli } from './helpers.js';
import { CLANG_SKIP, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP, buildExamples, compileC } from './toolchain.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
let kernel: Btf | undefined;
const vmlinux = (): Btf => (kernel ??= parseBtf(new Uint8Array(readFileSync(VMLINUX))));
const ARRAY: MapInfo = { name: 'values', type: 2, keySize: 4, valueSize: 16, maxEntries: 1 };
const HASH: MapInfo = { ...ARRAY, type: 1 };
const LOOKUP = ['stw [%r10-4], 0', 'mov %r2, %r10', 'add %r2, -4', 'lddw %r1, map_fd 0', 'call 1'];

describe.skipIf(!HAS_KERNEL)(`BTF pointers and the JIT facts${KERNEL_SKIP}`, () => {
  const fentry = (asm: string[], maps: MapInfo[] = []) =>
    verifyProgram(assemble(asm.join('\n')), { type: 'fentry', tracepoint: 'do_unlinkat', targetBtf: vmlinux(), maps });

  it('a read through a BTF pointer is never vouched for (it stays a PROBE_MEM load)', () => {
    const r = fentry(['ldxdw %r2, [%r1+8]', 'ldxdw %r0, [%r2+8]', 'stxdw [%r10-8], %r0', 'exit']);
    expect(r.error?.message).toBeUndefined();
    expect([...r.facts.inBounds]).toEqual([2]);
  });

  it('an instruction reaching a map value on one path and a kernel object on another keeps its check', () => {
    // r6 = name (struct filename *); if the lookup finds the value, r6 = the value; read 8 bytes at r6 + 0. (A hash
    // map: an array lookup of a constant key cannot fail.)
    const r = fentry(['ldxdw %r6, [%r1+8]', ...LOOKUP, 'jeq %r0, 0, +1', 'mov %r6, %r0', 'ldxdw %r0, [%r6+0]', 'exit'], [HASH]);
    expect(r.error?.message).toBeUndefined();
    const load = 9; // ldxdw %r6 (1), 4 + lddw (2 slots), call, jeq, mov: the load is slot 9
    expect(r.facts.inBounds.has(load)).toBe(false);
    const alone = fentry([...LOOKUP, 'jeq %r0, 0, +1', 'ldxdw %r0, [%r0+0]', 'mov %r0, 0', 'exit'], [HASH]);
    expect(alone.facts.inBounds.has(7)).toBe(true);
  });

  it('without the target BTF a BTF-typed program has nothing to be typed with', () => {
    const r = verifyProgram(assemble('ldxdw %r2, [%r1+8]\nldxdw %r0, [%r2+8]\nexit'), { type: 'fentry', tracepoint: 'do_unlinkat' });
    expect(r.error?.message).toContain('r2 is a scalar');
  });
});

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`verifyForLoad types kernel objects from the target BTF${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it('verifies the kfunc example with the target BTF, and names what is missing without it', () => {
    const object = join(buildExamples(), 'kfunc.bpf.o');
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)), { targetBtf: vmlinux });
    const p = spec.programs.find((x) => x.name === 'on_switch')!;
    const v = verifyForLoad(p, spec.maps, { targetBtf: vmlinux });
    expect(v.result?.error?.message).toBeUndefined();
    expect(v.result?.ok).toBe(true);
    expect(verifyForLoad(p, spec.maps, {}).unverified).toBe(UNMODELLED);
  });

  it('bpftime-vm verify types an object\'s kernel pointers from the running kernel\'s BTF and locates a leaked reference', () => {
    const ok = cli(['verify', join(buildExamples(), 'kfunc.bpf.o')]);
    expect(ok.stdout).toContain('on_switch (tp_btf/sched_switch, tp_btf): accepted');
    expect(ok.code).toBe(0);
    const leak = compileC('btf-leak', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct task_struct { int pid; }; /* a STRUCT, as the kernel's (a forward declaration is not compatible with it) */
extern struct task_struct *bpf_task_from_pid(__s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
SEC("fentry/do_unlinkat") int leak(unsigned long long *ctx) {
	struct task_struct *t = bpf_task_from_pid(1);
	if (t && ctx[0] == 3)
		bpf_task_release(t);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
    const r = cli(['verify', leak]);
    expect(r.stdout).toContain('the reference bpf_task_from_pid returned at pc');
    expect(r.stdout).toContain('is not released on this path before exit (bpf_task_release)');
    expect(r.code).toBe(1);
  });

  it('names what it still does not model: an attach point the BTF lacks, iterators', () => {
    const object = compileC('btf-unmodelled', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("fentry/no_such_kernel_function_xyz") int missing(unsigned long long *ctx) { return 0; }
SEC("iter/task") int tasks(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
    const why = (name: string) => verifyForLoad(spec.programs.find((p) => p.name === name)!, spec.maps, { targetBtf: vmlinux }).unverified;
    expect(why('missing')).toContain('does not describe its attach point "no_such_kernel_function_xyz"');
    expect(why('tasks')).toContain('the context of iter programs');
  });

  it('reads the spin lock offset from the map value BTF and allows the lock in a uprobe', () => {
    const object = compileC('btf-lock-offset', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct v { __u64 n; struct bpf_spin_lock lock; __u64 m; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct v); } vals SEC(".maps");
SEC("uprobe") int locked(void *ctx) {
	__u32 k = 0;
	struct v *x = bpf_map_lookup_elem(&vals, &k);
	if (!x) return 0;
	bpf_spin_lock(&x->lock);
	x->n++;
	bpf_spin_unlock(&x->lock);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`);
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
    expect(spec.maps[0].spinLockOffset).toBe(8);
    expect(mapInfo(spec.maps[0])).toMatchObject({ spinLock: true, spinLockOffset: 8 });
    const v = verifyForLoad(spec.programs[0], spec.maps);
    expect(v.result?.error?.message).toBeUndefined();
  });
});

describe('a spin lock at the offset its map value declares', () => {
  const LOCKED: MapInfo = { ...ARRAY, valueSize: 24, spinLock: true, spinLockOffset: 8 };
  const locking = (at: number, between: string[] = []) =>
    verifyProgram(assemble([...LOOKUP, 'jeq %r0, 0, +7', 'mov %r6, %r0', 'mov %r1, %r6', `add %r1, ${at}`, 'call 93', ...between, 'mov %r1, %r6', `add %r1, ${at}`, 'call 94', 'mov %r0, 0', 'exit'].join('\n')), { type: 'uprobe', maps: [LOCKED] });

  it('takes the lock at its offset and refuses another', () => {
    expect(locking(8).error?.message).toBeUndefined();
    expect(locking(0).error?.message).toContain('its bpf_spin_lock is at offset 8');
  });

  it('refuses touching the lock directly, not the bytes around it', () => {
    expect(locking(8, ['stdw [%r6+0], 1']).error?.message).toBeUndefined();
    expect(locking(8, ['stw [%r6+8], 1']).error?.message).toContain('the bpf_spin_lock at offset 8 of the value of map "values"');
  });

  it('is not for kprobes, which run in the kernel', () => {
    const r = verifyProgram(assemble([...LOOKUP, 'jeq %r0, 0, +5', 'mov %r6, %r0', 'mov %r1, %r6', 'add %r1, 8', 'call 93', 'mov %r1, %r6', 'add %r1, 8', 'call 94', 'mov %r0, 0', 'exit'].join('\n')), { type: 'kprobe', maps: [LOCKED] });
    expect(r.error?.message).toContain('kprobe programs cannot use bpf_spin_lock');
  });
});

it('the running kernel has BTF where the kernel tests run', () => {
  if (HAS_KERNEL) expect(existsSync(VMLINUX)).toBe(true);
});
