// The kernel helper set: ids against libbpf's bpf_helper_defs.h, the printf engine, and each helper's behaviour
// through a C object with one program per behaviour, run by the runtime with a pinned host environment.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LoadError, NotSupportedError } from '../src/errors.js';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { KERNEL_HELPER_NAMES } from '../src/helpers/kernel/names.js';
import { assemble } from '../src/isa/index.js';
import { Interpreter } from '../src/vm/index.js';
import { formatBpf } from '../src/helpers/kernel/printf.js';
import { RingBufMap } from '../src/helpers/maps/ringbuf.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { Collection } from '../src/runtime/collection.js';
import { ROOT, thrownAs } from './helpers.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const HEADER = '/usr/include/bpf/bpf_helper_defs.h';

describe('helper ids', () => {
  it.skipIf(!existsSync(HEADER))(`match libbpf's bpf_helper_defs.h${existsSync(HEADER) ? '' : ' (skipped: libbpf-dev not installed)'}`, () => {
    const ids = [...readFileSync(HEADER, 'utf8').matchAll(/\(\*bpf_(\w+)\)\([^;]*= \(void \*\) (\d+);/g)].map((m) => [Number(m[2]), m[1]] as const);
    expect(ids.length).toBeGreaterThan(200);
    for (const [id, name] of ids) expect(KERNEL_HELPER_NAMES[id]).toBe(name);
  });

  it('tell a kernel helper bpftime-vm lacks from an id the kernel does not have', () => {
    const load = (id: number) => () => new Interpreter({ helpers: kernelHelpers() }).load(assemble(`call ${id}\nexit`));
    expect(thrownAs(NotSupportedError, load(66)).message).toBe('pc 0: call 66: helper bpf_skb_get_xfrm_state (kernel helper 66) is not supported by bpftime-vm');
    expect(thrownAs(LoadError, load(9999)).message).toBe('pc 0: call 9999: unknown helper 9999 in helper set kernel');
  });
});

describe('printf engine', () => {
  const mem = new GuestMemory();
  const r = mem.addRegion('s', 16);
  mem.u8.set(new TextEncoder().encode('abc\0'), r.start);
  const fmt = (f: string, ...args: (number | bigint)[]) => formatBpf(mem, f, args.map(BigInt));
  it('formats integers by width and length modifiers', () => {
    expect(fmt('%d %i %u %x %X %o', -1, 7, -1, 255, 255, 8)).toBe('-1 7 4294967295 ff FF 10');
    expect(fmt('%ld %llu %lx %hhd %hu', -1, 2n ** 64n - 1n, 2n ** 40n, 0x1ff, 0x12345)).toBe('-1 18446744073709551615 10000000000 -1 9029');
    expect(fmt('[%5d] [%-5d] [%05d] [%+d] [%#x] [%.3d]', 42, 42, -42, 3, 255, 7)).toBe('[   42] [42   ] [-0042] [+3] [0xff] [007]');
  });
  it('reads strings and addresses from guest memory', () => {
    expect(fmt('%s|%.2s|%5s|%c', r.start, r.start, r.start, 0x41)).toBe('abc|ab|  abc|A');
    expect(fmt('%s %s', 0, 8)).toBe('(null) (fault)');
    expect(fmt('%p %%', 0x1234)).toBe('0x0000000000001234 %');
  });
  it('rejects what the kernel rejects', () => {
    expect(() => fmt('%q', 1)).toThrow();
    expect(() => fmt('%d %d', 1)).toThrow(/more than 1 arguments/);
  });
});

describe.skipIf(!HAS_CLANG)(`helper behaviour${CLANG_SKIP}`, () => {
  const load = () => {
    const object = compileC('helpers', readFileSync(`${ROOT}/test/fixtures/helpers/helpers.bpf.c`, 'utf8'));
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)));
    return new Collection(spec, { host: { pid: 5, tgid: 6, uid: 3, gid: 4, comm: 'tester', cpu: 1, ncpus: 2, monotonicNs: () => 9n } });
  };
  const signed = (v: bigint) => BigInt.asIntN(64, v);

  it('bpf_printk, bpf_trace_vprintk and bpf_snprintf', () => {
    const c = load();
    c.program('printk_formats').run();
    expect(c.host.trace).toEqual(['-5 5 ff -9000000000', '[   42|7   |00042] z %', 'first and second', '127.0.0.1 deadbeef 1 -1 3']);
    expect(c.program('snprintf_fmt').run().r0).toBe(11n);
    expect(c.host.trace.at(-1)).toBe('n=12 s=xy!');
  });

  it('probe reads, strtol, strtoul, strncmp, csum_diff', () => {
    const c = load();
    expect(c.program('probe_reads').run().r0).toBe(161n);
    // The program returns int: only the low 32 bits of r0 are defined.
    expect(BigInt.asIntN(32, c.program('strings').run().r0)).toBe(-30479n);
    expect(c.program('csum').run().r0).toBe(1n);
  });

  it('bpf_loop stops when the callback returns 1; bpf_for_each_map_elem passes keys and values', () => {
    const c = load();
    expect(c.program('loops').run().r0).toBe(5010n);
    expect(c.program('for_each').run().r0).toBe(3140n);
  });

  it('queue push, pop and peek; per-CPU lookups on the current and a given CPU', () => {
    const c = load();
    expect(c.program('queue_ops').run().r0).toBe(1012n);
    expect(c.program('percpu_lookup').run().r0).toBe(171n);
  });

  it('ring buffer reserve, discard, submit, output and query', () => {
    const c = load();
    expect(c.program('ring_ops').run().r0).toBe(48n);
    const records = (c.map('ring') as RingBufMap).consumer().drain();
    expect(records.map((r) => [...r])).toEqual([[2, 0, 0, 0, 0, 0, 0, 0], [0x2a, 0, 0, 0]]);
  });

  it('tail calls stop after 33, then the program continues', () => {
    const c = load();
    expect(c.program('tail_self').run().r0).toBe(7n);
    expect(c.map('.bss').lookup(new Uint8Array(4))).toEqual(new Uint8Array([34, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('task identity, clocks and signals come from the host environment', () => {
    const c = load();
    const out = c.program('task_ids').run();
    expect(out.r0).toBe(106005052n);
    expect(out.signals).toEqual([{ signal: 9, thread: false }]);
  });

  it('function arguments from pt_regs, override_return, stack ids and stacks', () => {
    const c = load();
    const out = c.program('probe_args').run({ args: [3n, 4n] });
    expect(out.r0).toBe(346n);
    expect(out.overrideReturn).toBe(2n ** 64n - 1n);
    expect(c.program('stack_id').run({ funcIp: 0x401000n }).r0).toBe(1109n);
  });
});
