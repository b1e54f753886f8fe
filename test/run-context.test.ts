// The context after a run (`RunInput.ctxOut`, libbpf's ctx_out): by default a copy of its own that later runs do not
// change (taken from a shared pool, src/runtime/context.ts CopyPool, so many runs' copies must stay apart), into a
// given array, or none; the same on every engine.
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import type { LoadedCollection } from '../src/loader/collection.js';
import type { ProgramSpec } from '../src/loader/spec.js';
import { ENGINES, prepareBackend } from '../src/runtime/backends.js';
import { Collection, type Program } from '../src/runtime/collection.js';

/** x86-64 pt_regs: 168 bytes, si at 104, di at 112 (the first two arguments). */
const SIZE = 168;
const DI = 112;
const SI = 104;

/** probe loads a uprobe program returning di + si on `backend`. */
function probe(backend: string): Program {
  const prog: ProgramSpec = {
    name: 'probe', section: 'uprobe/target:fn', type: 'uprobe', attachType: 'uprobe',
    attach: { binary: 'target', func: 'fn', attachable: true }, sleepable: false,
    insns: assemble('ldxdw %r0, [%r1+112]\nldxdw %r2, [%r1+104]\nadd %r0, %r2\nexit'),
    subprograms: [], mapRefs: [], funcInfo: [], lineInfo: [], coreRelocations: [], license: 'GPL',
  };
  const spec: LoadedCollection = { programs: [prog], maps: [], license: 'GPL', kernelVersion: 0 };
  return new Collection(spec, { backend }).program('probe');
}

const u64At = (b: Uint8Array, at: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);

describe('the context after a run (ctxOut)', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const engine of ENGINES) {
    it(`${engine}: default copies are each run's own, over more runs than one pool holds`, () => {
      const p = probe(engine);
      const outs = Array.from({ length: 300 }, (_, k) => p.run({ args: [BigInt(k), BigInt(2 * k) - 1n] }));
      outs.forEach((out, k) => {
        expect(out.r0).toBe(BigInt.asUintN(64, BigInt(3 * k) - 1n));
        expect(out.ctx.length).toBe(SIZE);
        expect(u64At(out.ctx, DI)).toBe(BigInt(k));
        expect(u64At(out.ctx, SI)).toBe(BigInt.asUintN(64, BigInt(2 * k) - 1n));
        expect(out.ctx.slice(0, SI).every((b) => b === 0)).toBe(true);
      });
      // A copy stays as it was when its bytes are changed through another.
      outs[1].ctx.fill(0xff);
      expect(u64At(outs[0].ctx, DI)).toBe(0n);
      expect(u64At(outs[2].ctx, DI)).toBe(2n);
    });

    it(`${engine}: into a given array (up to its length), or none`, () => {
      const p = probe(engine);
      const mine = new Uint8Array(SIZE);
      const out = p.run({ args: [5n, 6n], ctxOut: mine });
      expect(out.ctx).toBe(mine);
      expect(u64At(mine, DI)).toBe(5n);
      const short = new Uint8Array(SI + 8).fill(0xaa);
      expect(p.run({ args: [7n, 8n], ctxOut: short }).ctx).toBe(short);
      expect(u64At(short, SI)).toBe(8n);
      expect(u64At(mine, DI)).toBe(5n);
      const none = p.run({ args: [1n, 2n], ctxOut: false });
      expect(none.r0).toBe(3n);
      expect(none.ctx.length).toBe(0);
    });
  }
});
