// The native runtime's C helpers against the TypeScript ones: programs of test/fixtures/helpers/helpers.bpf.c (those
// on map types the segment has) and test/fixtures/native/native.bpf.c run through the runtime (test runner, real segment) and on the interpreter with the host values pinned to the
// runner's (pid, uid, gid, comm), and r0, trace_printk lines, override_return and map contents must agree. Reads of
// the probed process's own memory (host pointers, good and bad) are checked against what the runner put there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { buildContext, type ContextInput } from '../src/runtime/context.js';
import { Collection } from '../src/runtime/collection.js';
import { RingBufMap } from '../src/helpers/maps/ringbuf.js';
import { ROOT } from './helpers.js';
import { compileObjectProgram, hex, mapsArg, runNative } from './native-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const objects = new Map<string, string>();
const fixture = (name: string): string => {
  if (!objects.has(name)) objects.set(name, compileC(name, readFileSync(join(ROOT, `test/fixtures/${name}/${name}.bpf.c`), 'utf8')));
  return objects.get(name)!;
};

const CASES: [string, string, ContextInput, string[]][] = [
  ['helpers', 'printk_formats', {}, []],
  ['helpers', 'snprintf_fmt', {}, []],
  ['helpers', 'probe_reads', {}, []],
  ['helpers', 'loops', {}, []],
  ['helpers', 'ring_ops', {}, []],
  ['native', 'printk_more', {}, []],
  ['native', 'task_ids', {}, []],
  ['native', 'probe_args', { args: [3n, 4n], funcIp: 0x401000n }, ['--func-ip', '0x401000']],
  ['native', 'percpu_add', { args: [5n] }, []],
  ['native', 'misc_ids', {}, []],
  ['helpers', 'strings', {}, []],
  ['helpers', 'csum', {}, []],
  ['native', 'strings_more', {}, []],
  ['helpers', 'probe_args', { args: [3n, 4n] }, []],
  ['native', 'ret_probe', { args: [1n], ret: 9n }, []],
  ['native', 'raw_args', { args: [1n, 2n], syscall: 257n }, []],
];

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`native helpers against the TypeScript helpers${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  for (const [object, prog, input, extra] of CASES) {
    it(`${object} ${prog}`, async () => {
      const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture(object))));
      const compiled = await compileObjectProgram(spec, prog);
      const ctx = buildContext(spec.programs.find((p) => p.name === prog)!, input).ctx(0);
      const native = await runNative(compiled.path, ['--ctx', h(ctx), '--maps', mapsArg(spec), ...extra]);
      expect(native.load_error).toBeUndefined();
      expect(native.status?.reason).toBe('');
      const pid = native.host!.pid;
      const uid = process.getuid!(), gid = process.getgid!();
      const c = new Collection(spec, { backend: 'interp', host: { pid, tgid: pid, uid, gid, comm: 'runner' } });
      const out = c.program(prog).run(input);
      expect(native.runs[0].r0).toBe(hex(out.r0));
      expect(native.printk).toEqual(c.host.trace);
      expect(native.runs[0].override).toBe(out.overrideReturn !== undefined);
      if (out.overrideReturn !== undefined) expect(native.runs[0].override_value).toBe(hex(out.overrideReturn));
      const ring = [...(c.maps.get('ring') as RingBufMap).consumer().drain()].map(h);
      expect(native.maps!.find((m) => m.name === 'ring')!.records).toEqual(ring);
      const sum = (hexValue: string): bigint => Buffer.from(hexValue, 'hex').reduce((s, _, k, b) => (k % 8 === 0 ? s + b.readBigUInt64LE(k) : s), 0n);
      const percpu = c.maps.get('percpu')!.entries().map(([, v]) => sum(h(v)));
      expect(native.maps!.find((m) => m.name === 'percpu')!.entries!.map(([, v]) => sum(v))).toEqual(percpu);
    }, 120_000);
  }

  it('after fork the child runs the program with its own pid and thread id, on its copy of the thread', async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture('native'))));
    const compiled = await compileObjectProgram(spec, 'task_ids');
    const out = await runNative(compiled.path, ['--maps', mapsArg(spec), '--fork']);
    const [parent, child] = [out.host!.pid, out.child!.pid];
    expect(child).not.toBe(parent);
    const ids = (pid: number) => `pid ${pid} tid ${pid} uid ${process.getuid!()} gid ${process.getgid!()}`;
    expect(out.printk).toEqual([ids(parent), 'comm runner', ids(child), 'comm runner']);
    expect(out.runs.map((r) => [r.ret, r.r0])).toEqual([[0, '0x1'], [0, '0x1']]);
  }, 120_000);

  it('tail calls through a program array filled from the object, up to the limit of 33', async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture('native'))));
    const compiled = await compileObjectProgram(spec, 'tail_entry');
    const tails: string[] = [];
    for (const [index, m] of spec.maps.entries()) {
      for (const e of m.contents) {
        if (!(e.value instanceof Uint8Array) && 'program' in e.value) {
          const target = await compileObjectProgram(spec, e.value.program);
          tails.push('--prog-array', `${index}:${Buffer.from(e.key).readUInt32LE(0)}:${target.path}`);
        }
      }
    }
    const inputs: ContextInput[] = [{ args: [1n] }, { args: [0n] }, { args: [2n] }, { args: [5n] }];
    const progSpec = spec.programs.find((p) => p.name === 'tail_entry')!;
    const native = await runNative(compiled.path, [...inputs.flatMap((i) => ['--ctx', h(buildContext(progSpec, i).ctx(0))]), '--maps', mapsArg(spec), ...tails]);
    expect(native.status?.reason).toBe('');
    const c = new Collection(spec, { backend: 'interp' });
    const r0s = inputs.map((i) => hex(c.program('tail_entry').run(i).r0));
    expect(native.runs.map((r) => r.r0)).toEqual(r0s);
    expect(r0s).toEqual(['0x2b', '0x7', '0x22', '0x2f']); // 34 = the earlier hop + 33 tail calls
    const bss = native.maps!.find((m) => m.name === '.bss')!.entries![0][1];
    expect(bss).toBe(h(c.maps.get('.bss')!.entries()[0][1]));
  }, 120_000);

  it('probe_read_user/_str and %s read the process\'s own memory; a bad address is -EFAULT, zero-filled, no crash', async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture('native'))));
    const compiled = await compileObjectProgram(spec, 'probe_host');
    const text = 'from the target';
    const native = await runNative(compiled.path, ['--probe-buf', h(Buffer.from(text + '\0')), '--maps', mapsArg(spec)]);
    expect(native.status?.reason).toBe('');
    expect(native.printk).toEqual([`${text.length + 1} ${text}`, '-14 0', '-14 |', text]);
  }, 120_000);
});
