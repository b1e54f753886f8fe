// The process-wide JIT entry (src/jit-wasm/dispatch.ts): every program's run goes through one Wasm function and a
// table slot, and a program nobody holds any more is collected and frees its slot (the table must not keep programs
// alive), also after runs that called helpers and faulted.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { enrolled } from '../src/jit-wasm/dispatch.js';
import { loadRaw } from '../src/runtime/backends.js';
import { Collection } from '../src/runtime/collection.js';
import type { ProgramSpec } from '../src/loader/spec.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

/** settle collects garbage until the finalizers of collected programs have run (they run after a turn of the event loop). */
async function settle(): Promise<void> {
  for (let k = 0; k < 5; k++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** useMany loads and runs programs it then drops (a function of its own: a suspended async function keeps its locals). */
function useMany(before: number): void {
      const programs = Array.from({ length: 40 }, (_, k) => loadRaw(assemble(`mov %r0, ${k}\nexit`), { backend: k % 2 ? 'wasm-fast' : 'wasm-opt' }));
      // One that calls a helper (the imports reach the program only while it runs) and one that faults.
      const helper = loadRaw(assemble('mov %r1, 7\ncall 0\nmov %r0, 5\nexit'), { backend: 'wasm-fast' });
      const fault = loadRaw(assemble('ldxdw %r0, [%r1+0]\nexit'), { backend: 'wasm-fast' });
      for (let round = 0; round < 3; round++) programs.forEach((p, k) => expect(p.run().r0).toBe(BigInt(k)));
      expect(enrolled()).toBeGreaterThanOrEqual(before + 42);
      expect(() => fault.run()).toThrow(/read of 8 bytes at 0x0/);
      expect(helper.run().r0).toBe(5n);
      // A collection's programs too (their runs leave the collection's helper environment in the machine).
      const prog: ProgramSpec = {
        name: 'probe', section: 'uprobe/target:fn', type: 'uprobe', attachType: 'uprobe', attach: { binary: 'target', func: 'fn', attachable: true },
        sleepable: false, insns: assemble('call 14\nexit'), subprograms: [], mapRefs: [], funcInfo: [], lineInfo: [], coreRelocations: [], license: 'GPL',
      };
      const collection = new Collection({ programs: [prog], maps: [], license: 'GPL', kernelVersion: 0 }, { backend: 'wasm-fast' });
      expect(collection.program('probe').run({ args: [1n] }).r0).toBeGreaterThan(0n);
      expect(enrolled()).toBeGreaterThanOrEqual(before + 43);
}

describe('the process-wide JIT entry', () => {
  it('runs many programs through one entry, each its own, and frees the slots of collected programs', async () => {
    await settle();
    const before = enrolled();
    useMany(before);
    await settle();
    expect(enrolled()).toBeLessThanOrEqual(before);
    // Slots are reused: new programs run as before.
    const again = loadRaw(assemble('mov %r0, 9\nexit'), { backend: 'wasm-fast' });
    expect(again.run().r0).toBe(9n);
  });
});
