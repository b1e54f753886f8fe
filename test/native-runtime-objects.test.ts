// The examples' programs on the native runtime against the interpreter: compiled through src/native, run by the
// runtime's test runner over a real segment with the object's maps (native-shm), they give the interpreter's r0,
// trace_printk lines, map contents and ring/perf records (host values pinned to the runner's pid and comm).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import type { CollectionSpec } from '../src/loader/spec.js';
import { buildContext, type ContextInput } from '../src/runtime/context.js';
import { Collection } from '../src/runtime/collection.js';
import { RingBufMap } from '../src/helpers/maps/ringbuf.js';
import { compileObjectProgram, hex, mapsArg, runNative, type NativeMap, type RunnerOutput } from './native-support.js';
import { buildExamples, CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const PERCPU = new Set([5, 6, 10]);
const RINGBUF = 27;
const PERF = 4;

/** sum64 adds the little-endian u64 words of a per-CPU value: the copies the runs touched depend on the CPU. */
function sum64(bytes: Uint8Array): bigint {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = 0n;
  for (let k = 0; k + 8 <= bytes.length; k += 8) s += dv.getBigUint64(k, true);
  return s;
}

const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** interpObserve runs the same program with the same contexts on the interpreter, host values as the runner's. */
function interpObserve(spec: CollectionSpec, prog: string, inputs: ContextInput[], native: RunnerOutput) {
  const pid = native.host!.pid;
  const c = new Collection(spec, { backend: 'interp', host: { pid, tgid: pid, comm: 'runner' } });
  const r0s = inputs.map((input) => hex(c.program(prog).run(input).r0));
  const maps = spec.maps.map((m) => {
    const live = c.maps.get(m.name)!;
    if (m.type === RINGBUF) return { name: m.name, records: [...(live as RingBufMap).consumer().drain()].map(h) };
    if (m.type === PERF) return { name: m.name, samples: (c.perfReaders.get(m.name)?.read() ?? []).map((s) => h(s.data)) };
    return { name: m.name, entries: live.entries().map(([k, v]) => [h(k), PERCPU.has(m.type) ? sum64(v).toString() : h(v)]).sort() };
  });
  return { r0s, trace: c.host.trace, maps };
}

function nativeMaps(maps: NativeMap[]) {
  return maps.map((m) => {
    if (m.records) return { name: m.name, records: m.records };
    if (m.samples) return { name: m.name, samples: m.samples.map((s) => s.data) };
    const entries = (m.entries ?? []).map(([k, v]) => [k, PERCPU.has(m.type) ? sum64(Buffer.from(v, 'hex')).toString() : v]);
    return { name: m.name, entries: entries.sort() };
  });
}

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`examples on the native runtime${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  const cases: [string, string, ContextInput[]][] = [
    ['counter.bpf.o', 'count_add', [{ args: [3n, 4n] }, { args: [3n, 100n] }, { args: [9n, 1n] }]],
    ['events.bpf.o', 'trace_openat', [{ args: [1n, 2n, 3n, 4n], syscall: 257n }, { args: [5n, 6n], syscall: 257n }]],
  ];
  for (const [object, prog, inputs] of cases) {
    it(`${object} ${prog}: r0, trace lines, maps and records equal the interpreter's`, async () => {
      const spec = loadCollectionSpec(new Uint8Array(readFileSync(join(buildExamples(), object))));
      const compiled = await compileObjectProgram(spec, prog);
      const progSpec = spec.programs.find((p) => p.name === prog)!;
      const ctxArgs = inputs.flatMap((input) => ['--ctx', h(buildContext(progSpec, input).ctx(0))]);
      const native = await runNative(compiled.path, [...ctxArgs, '--maps', mapsArg(spec)]);
      expect(native.load_error).toBeUndefined();
      expect(native.status?.reason).toBe('');
      const ref = interpObserve(spec, prog, inputs, native);
      expect(native.runs.map((r) => r.r0)).toEqual(ref.r0s);
      expect(native.printk).toEqual(ref.trace);
      expect(nativeMaps(native.maps!)).toEqual(ref.maps);
    }, 120_000);
  }
});

/** A counting probe (the goal program of `npm run bench -- hooks`): hash lookup, atomic add, update when missing. */
const COUNTING = `#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } hits SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } last SEC(".maps");

SEC("uprobe/target:fn")
int count(struct pt_regs *ctx)
{
	__u32 k = PT_REGS_PARM1(ctx) & 3, z = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k), one = 1, *l;
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&hits, &k, &one, BPF_NOEXIST);
	l = bpf_map_lookup_elem(&last, &z);
	if (l)
		*l = PT_REGS_PARM2(ctx) + bpf_get_current_pid_tgid() - bpf_get_current_pid_tgid();
	return k;
}
`;

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`verified programs on the native runtime${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  // A verified program whose code cannot trap and whose helpers cannot fault runs without the trap landing pad
  // (docs/native.md, "Runs without a landing pad"), through the lean map helpers; the others keep the pad.
  const cases: [string, () => string, string, ContextInput[], boolean][] = [
    ['a counting probe', () => compileC('counting', COUNTING), 'count', [{ args: [1n, 7n] }, { args: [1n, 8n] }, { args: [2n, 9n] }, { args: [5n, 1n] }], false],
    ['counter.bpf.o (bpf_printk can fault)', () => join(buildExamples(), 'counter.bpf.o'), 'count_add', [{ args: [3n, 4n] }, { args: [3n, 100n] }], true],
  ];
  for (const [what, object, prog, inputs, pad] of cases) {
    it(`${what}: landing pad ${pad ? 'kept' : 'dropped'}, r0, trace lines and maps equal the interpreter's`, async () => {
      const spec = loadCollectionSpec(new Uint8Array(readFileSync(object())));
      const compiled = await compileObjectProgram(spec, prog, true);
      if (!pad) expect(compiled.manifest.selfTraps).toBe(false);
      const progSpec = spec.programs.find((p) => p.name === prog)!;
      const ctxArgs = inputs.flatMap((input) => ['--ctx', h(buildContext(progSpec, input).ctx(0))]);
      const native = await runNative(compiled.path, [...ctxArgs, '--maps', mapsArg(spec)]);
      expect(native.load_error).toBeUndefined();
      expect(native.status).toMatchObject({ state: 'enabled', reason: '', landing_pad: pad });
      const ref = interpObserve(spec, prog, inputs, native);
      expect(native.runs.map((r) => r.r0)).toEqual(ref.r0s);
      expect(native.printk).toEqual(ref.trace);
      expect(nativeMaps(native.maps!)).toEqual(ref.maps);
      // Unverified, the same program keeps its checks and the pad.
      const plain = await runNative((await compileObjectProgram(spec, prog)).path, [...ctxArgs, '--maps', mapsArg(spec)]);
      expect(plain.status?.landing_pad).toBe(true);
      expect(plain.runs.map((r) => r.r0)).toEqual(ref.r0s);
    }, 120_000);
  }
});
