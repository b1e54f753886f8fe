/**
 * The stack reads as zero at the start of every run (uBPF's convention, which the conformance suite relies on), on
 * every backend, although runs zero it only when something may have written it (machine.ts clearStack/jitStack):
 * each program below reads a stack slot before it writes it, and must read 0 on its second run too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { ENGINES, loadRaw, prepareBackend } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';

/** Programs that return what a stack slot held at their start, then leave it non-zero. */
const WRITERS: Record<string, string> = {
  'a store through r10': 'ldxdw %r0, [%r10-8]\nstdw [%r10-8], 7\nexit',
  'a store through another register': 'mov %r1, %r10\nadd %r1, -16\nldxdw %r0, [%r1]\nstdw [%r1], 9\nexit',
  'an atomic add': 'ldxdw %r0, [%r10-24]\nmov %r1, 5\nstxdw [%r10-24], %r1\nlock add [%r10-24], %r1\nexit',
  'a store in a called function (frame 1)': 'call local f\nexit\nf:\nldxdw %r0, [%r10-8]\nstdw [%r10-8], 3\nexit',
  // memfrob (ubpf test helper 1) xors 8 bytes of the stack with 42: a write no store instruction shows.
  'a helper writing through a stack pointer': 'ldxdw %r6, [%r10-8]\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 1\nmov %r0, %r6\nexit',
};

/** A program that only reads the slots the writers write. */
const READER = 'ldxdw %r0, [%r10-8]\nldxdw %r1, [%r10-16]\nor %r0, %r1\nldxdw %r1, [%r10-24]\nor %r0, %r1\nexit';

describe('the stack is zero at the start of every run', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const engine of ENGINES) {
    for (const [what, text] of Object.entries(WRITERS)) {
      it(`${engine}: ${what}`, () => {
        const p = loadRaw(assemble(text), { backend: engine });
        expect([p.run().r0, p.run().r0, p.run().r0]).toEqual([0n, 0n, 0n]);
      });
    }
  }

  // One machine, programs of different backends one after the other: what one run left must not leak into the next.
  const backends = ['interp', 'fast', 'opt'] as const;
  for (const writer of backends) {
    for (const reader of backends) {
      it(`a ${writer} writer, then a ${reader} reader on the same machine`, () => {
        const vm = new Interpreter();
        const run = (text: string, on: (typeof backends)[number]) => {
          const insns = assemble(text);
          const prepared = vm.load(insns);
          if (on === 'interp') return vm.run(prepared).r0;
          return runOn(vm, prepared, compileOn(vm, insns, { tier: on }).jit, {}).r0;
        };
        for (const text of Object.values(WRITERS)) {
          run(text, writer);
          expect(run(READER, reader)).toBe(0n);
        }
      });
    }
  }
});
