// ELF objects on every backend: the examples and the helper fixture, compiled with clang, run program by program in
// one collection per backend (maps keep their state between runs, as in a real load), and every observable output
// (r0, steps, context and packet bytes, signals, trace_printk lines, ring/perf records, final map contents) must
// equal the interpreter's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { Collection, type RunInput } from '../src/runtime/collection.js';
import { drainRecords, dumpMap } from '../src/runtime/inspect.js';
import { ROOT } from './helpers.js';
import { buildExamples, CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const HOST = { pid: 5, tgid: 6, uid: 3, gid: 4, comm: 'tester', cpu: 1, ncpus: 2, monotonicNs: () => 9n, random: () => 4 };

/** Runs are [program, input] pairs, run in order. */
type Runs = [string, RunInput][];

function observe(object: string, backend: string, runs: Runs): unknown[] {
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
  const c = new Collection(spec, { backend, host: HOST });
  const seen: unknown[] = [];
  for (const [name, input] of runs) {
    const p = c.program(name);
    expect(p.backend).toBe(backend);
    try {
      // With a budget every backend counts steps: a verified program's JIT module charges none otherwise (metering.ts).
      const out = p.run({ budget: 10_000_000, ...input });
      seen.push({ name, ...out, records: drainRecords(c, spec.btf) });
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      seen.push({ name, error: e.code, message: e.message });
    }
  }
  seen.push({ trace: c.host.trace, maps: [...c.maps.values()].map((m) => dumpMap(m, spec.btf, c.host.ncpus)) });
  return seen;
}

describe.skipIf(!HAS_CLANG)(`ELF objects run the same on every backend${CLANG_SKIP}`, () => {
  beforeAll(() => prepareBackend('wasm-opt'));
  const cases: [string, () => string, Runs][] = [
    ['counter', () => join(buildExamples(), 'counter.bpf.o'), [['count_add', { args: [3n, 4n] }], ['count_add', { args: [3n, 100n] }], ['count_add', { args: [9n, 1n] }]]],
    ['events', () => join(buildExamples(), 'events.bpf.o'), [['trace_openat', { args: [1n, 2n, 3n, 4n], syscall: 257n }]]],
    ['tailcall', () => join(buildExamples(), 'tailcall.bpf.o'), [['dispatch', { data: new Uint8Array([6]) }], ['dispatch', { data: new Uint8Array([0x11]) }], ['dispatch', { data: new Uint8Array([7]) }]]],
    ['helpers', () => compileC('helpers', readFileSync(join(ROOT, 'test/fixtures/helpers/helpers.bpf.c'), 'utf8')), [
      ['printk_formats', {}], ['snprintf_fmt', {}], ['probe_reads', {}], ['strings', {}], ['loops', {}], ['for_each', {}],
      ['queue_ops', {}], ['percpu_lookup', {}], ['ring_ops', {}], ['tail_self', {}], ['task_ids', {}],
      ['probe_args', { args: [3n, 4n] }], ['stack_id', { funcIp: 0x401000n }], ['csum', {}],
    ]],
  ];
  for (const [name, build, runs] of cases) {
    it(`${name}: ${ENGINES.slice(1).join(' and ')} match interp`, () => {
      const object = build();
      const ref = observe(object, 'interp', runs);
      expect(ref.filter((r) => 'error' in (r as object))).toEqual([]);
      for (const backend of ENGINES.slice(1)) expect(observe(object, backend, runs)).toEqual(ref);
    }, 60_000);
  }

  it('auto moves a collection that runs long to wasm-fast; maps and results carry on', () => {
    const source = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
__u64 total;
SEC("syscall") int spin(void *ctx)
{
	__u64 s = 0;
	for (int i = 0; i < 100000; i++)
		s += i ^ (s >> 3);
	total += s & 0xff;
	return s & 0xffff;
}
`;
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(compileC('tier_up', source))));
    const c = new Collection(spec, { backend: 'auto' });
    const first = c.program('spin').run();
    const results = [first.r0];
    while (c.backend === 'interp' && results.length < 100) results.push(c.program('spin').run().r0);
    expect(c.backend).toBe('wasm-fast');
    expect(c.program('spin').backend).toBe('wasm-fast');
    results.push(c.program('spin').run().r0);
    expect(new Set(results)).toEqual(new Set([first.r0]));
    const total = dumpMap(c.map('.bss'), spec.btf, 1).entries[0].value as { '.bss': { total: number }[] };
    expect(total['.bss'][0].total).toBe(Number(first.r0 & 0xffn) * results.length);
  });
});
