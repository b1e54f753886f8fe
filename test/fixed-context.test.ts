// Runs on a fixed context (src/runtime/fixed-context.ts): a verified probe program cannot change its pt_regs, so the
// collection rewrites only the fields whose input changed and builds the default `ctx` from the input when it is first
// read. Both must give exactly the bytes a full write and a copy give: checked against a collection that does both
// (verify `off`, so the program is not known to leave its context alone), on every engine, over runs whose argument
// count, return value and ip change, with other programs' runs in between.
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import type { LoadedCollection } from '../src/loader/collection.js';
import type { ProgramSpec } from '../src/loader/spec.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { Collection, type RunInput } from '../src/runtime/collection.js';
import { fixedContext } from '../src/runtime/fixed-context.js';
import { contextFor } from '../src/loader/contexts.js';
import { helperId } from '../src/helpers/kernel/index.js';

/** Sums the six argument registers, ax and ip of the pt_regs (di 112, si 104, dx 96, cx 88, r8 72, r9 64, ax 80, ip 128). */
const SUM = [112, 104, 96, 88, 72, 64, 80, 128].map((off, k) => (k === 0 ? `ldxdw %r0, [%r1+${off}]` : `ldxdw %r2, [%r1+${off}]\nadd %r0, %r2`)).join('\n') + '\nexit';

function spec(name: string, type: string, text: string): ProgramSpec {
  return {
    name, section: `${type}/target:fn`, type, attachType: type, attach: { binary: 'target', func: 'fn', attachable: true }, sleepable: false,
    insns: assemble(text), subprograms: [], mapRefs: [], funcInfo: [], lineInfo: [], coreRelocations: [], license: 'GPL',
  };
}

function collection(backend: string, verify: 'strict' | 'off'): Collection {
  const s: LoadedCollection = { programs: [spec('sum', 'uprobe', SUM), spec('other', 'kprobe', 'mov %r0, 1\nexit')], maps: [], license: 'GPL', kernelVersion: 0 };
  return new Collection(s, { backend, verify });
}

const INPUTS: RunInput[] = [
  { args: [1n, 2n, 3n, 4n, 5n, 6n], ret: 7n, funcIp: 8n },
  { args: [9n] },
  {},
  { args: [10n, 11n, 12n], funcIp: 13n },
  { ret: 14n },
  { args: [2n ** 64n - 1n, 15n] },
];

describe('runs on a fixed context', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  it('only verified probe programs that cannot reach their context through a helper qualify', () => {
    const layout = contextFor('uprobe');
    const accepted = collection('interp', 'strict').program('sum').verification;
    expect(accepted?.ok).toBe(true);
    expect(fixedContext('uprobe', assemble(SUM), layout, accepted)).toBe(true);
    expect(fixedContext('uprobe', assemble(SUM), layout, undefined)).toBe(false);
    expect(fixedContext('uprobe', assemble(SUM), layout, { ...accepted!, ok: false })).toBe(false);
    // A tail call runs another program on the context; probe_write_user writes any guest address.
    expect(fixedContext('uprobe', assemble('mov %r2, 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit'), layout, accepted)).toBe(false);
    expect(fixedContext('uprobe', assemble('mov %r2, %r1\nmov %r3, 8\ncall 36\nexit'), layout, accepted)).toBe(false);
    expect(fixedContext('xdp', assemble(SUM), contextFor('xdp'), accepted)).toBe(false);
  });

  for (const engine of ENGINES) {
    it(`${engine}: the same r0 and ctx as full writes and copies, runs interleaved with another program's`, () => {
      const fast = collection(engine, 'strict');
      const full = collection(engine, 'off');
      expect(fast.program('sum').verification?.ok).toBe(true);
      const outs = [];
      for (let round = 0; round < 3; round++) {
        for (const [k, input] of INPUTS.entries()) {
          const a = fast.program('sum').run(input);
          const b = full.program('sum').run(input);
          expect(a.r0).toBe(b.r0);
          expect(a.signals).toEqual(b.signals);
          // Read some contexts at once, others after later runs: a lazy context is the run's own.
          if ((k + round) % 2 === 0) expect(a.ctx).toEqual(b.ctx);
          outs.push([a, b.ctx] as const);
          if (k % 3 === round) {
            expect(fast.program('other').run({ args: [99n, 98n, 97n] }).r0).toBe(1n);
            expect(full.program('other').run({ args: [99n, 98n, 97n] }).r0).toBe(1n);
          }
        }
      }
      for (const [a, ctx] of outs) {
        expect(a.ctx).toEqual(ctx);
        expect(a.ctx).toBe(a.ctx);
      }
    });

    it(`${engine}: signals and bpf_override_return reach the output of their run only`, () => {
      // if (di == 1) { send_signal(9); override_return(ctx, 42) }; r0 = 0
      const text = `ldxdw %r2, [%r1+112]\njne %r2, 1, +6\nmov %r6, %r1\nmov %r1, 9\ncall ${helperId('send_signal')}\nmov %r1, %r6\nmov %r2, 42\ncall ${helperId('override_return')}\nmov %r0, 0\nexit`;
      const s: LoadedCollection = { programs: [spec('sig', 'kprobe', text)], maps: [], license: 'GPL', kernelVersion: 0 };
      const p = new Collection(s, { backend: engine }).program('sig');
      expect(p.verification?.ok).toBe(true);
      const quiet = p.run({ args: [0n] });
      const loud = p.run({ args: [1n] });
      const after = p.run({ args: [2n] });
      expect(loud.signals).toEqual([{ signal: 9, thread: false }]);
      expect(loud.overrideReturn).toBe(42n);
      expect(quiet.signals).toEqual([]);
      expect(after.signals).toEqual([]);
      expect(after.overrideReturn).toBeUndefined();
      expect(quiet.signals).not.toBe(after.signals);
    });

    it(`${engine}: the lazy context holds the run's arguments, not the caller's array changed later`, () => {
      const p = collection(engine, 'strict').program('sum');
      const args = [3n, 4n, 5n];
      const out = p.run({ args });
      args[0] = 100n;
      args.length = 1;
      const dv = new DataView(out.ctx.buffer, out.ctx.byteOffset);
      expect([dv.getBigUint64(112, true), dv.getBigUint64(104, true), dv.getBigUint64(96, true)]).toEqual([3n, 4n, 5n]);
      out.ctx[0] = 1;
      expect(out.ctx[0]).toBe(1);
      expect(p.run({ args: [1n], ctxOut: false }).ctx.length).toBe(0);
      const mine = new Uint8Array(168);
      expect(p.run({ args: [6n], ctxOut: mine }).ctx).toBe(mine);
      expect(new DataView(mine.buffer).getBigUint64(112, true)).toBe(6n);
    });
  }
});
