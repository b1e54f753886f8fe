// The JIT keeps the region bounds it cached across a helper call unless the helper changed guest memory's regions
// (the host then sets ctl = CTL_REGIONS): a read after a helper that shrinks the region faults as on the interpreter,
// and a read after a helper that leaves regions alone goes on.
// A run starts with the bounds of the region r1 points into (the trampoline sets entry_lo/entry_hi): reading the
// input asks the host nothing, the bounds are each run's own, and a called function starts without them.
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { HelperSet, type HelperDef } from '../src/helpers/registry.js';
import { assemble } from '../src/isa/index.js';
import { prepareBackend, tierOf, type BackendName } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';

const ENGINES: BackendName[] = ['interp', 'wasm-fast', 'wasm-opt'];

const helper = (id: number, name: string, impl: HelperDef['impl']): HelperDef => ({
  id,
  name,
  doc: name,
  proto: { ret: 'integer', args: ['ptr_to_mem'] },
  impl,
});

/** Helper 1 shrinks the region holding r1 to nothing; helper 2 only reads a byte of it. */
const HELPERS = new HelperSet('region-cache', [
  helper(1, 'shrink', (c) => (c.mem.setLength(c.mem.regionAt(c.argNum(1))!, 0), 0)),
  helper(2, 'peek', (c) => c.mem.u8[c.argNum(1)]),
]);

/** Reads the input, calls helper `id` on it, then reads the input again. */
const program = (id: number): string => `
mov %r6, %r1
ldxb %r7, [%r6+1]
call ${id}
ldxb %r0, [%r6+1]
add %r0, %r7
exit
`;

function outcome(engine: BackendName, id: number): string {
  const vm = new Interpreter({ helpers: HELPERS });
  const insns = assemble(program(id));
  const prepared = vm.load(insns);
  const tier = tierOf(engine);
  const input = Uint8Array.from([1, 2, 3, 4]);
  try {
    const r = tier ? runOn(vm, prepared, compileOn(vm, insns, { tier }).jit, { input }) : vm.run(prepared, { input });
    return `r0 = ${r.r0}`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

describe('JIT region bounds across helper calls', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const engine of ENGINES) {
    it(`${engine}: a read after a helper that shrank the region faults`, () => {
      expect(outcome(engine, 1)).toBe(
        'out-of-bounds: pc 3: ldxb %r0, [%r6+1]: read of 1 byte at 0x4001 is out of bounds of region input [0x4000, 0x4000)',
      );
    });

    it(`${engine}: a read after a helper that left regions alone goes on`, () => {
      expect(outcome(engine, 2)).toBe('r0 = 4');
    });
  }
});

/** Reads bytes 0 and `at` of the input (r1) and returns their sum; with `call`, reads byte `at` in a subprogram too. */
const reader = (at: number, call = false): string => call
  ? `ldxb %r0, [%r1+0]\nmov %r6, %r0\ncall local f\nadd %r0, %r6\nexit\nf:\nldxb %r0, [%r1+${at}]\nexit`
  : `ldxb %r0, [%r1+0]\nldxb %r2, [%r1+${at}]\nadd %r0, %r2\nexit`;

/** runs runs `text` with each input on `engine` (one machine, one compile) and counts the page-table checks made. */
function runs(engine: BackendName, text: string, inputs: Uint8Array[]): { results: string[]; checks: number } {
  const vm = new Interpreter({ helpers: HELPERS });
  const insns = assemble(text);
  const prepared = vm.load(insns);
  const tier = tierOf(engine);
  const jit = tier ? compileOn(vm, insns, { tier }).jit : undefined;
  let checks = 0;
  const ok = vm.mem.ok.bind(vm.mem);
  vm.mem.ok = (addr, size, write) => (checks++, ok(addr, size, write));
  const results = inputs.map((input) => {
    try {
      return `r0 = ${(jit ? runOn(vm, prepared, jit, { input }) : vm.run(prepared, { input })).r0}`;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return `${e.code}: ${e.message}`;
    }
  });
  return { results, checks };
}

describe('JIT runs start with the bounds of the region r1 points into (entry_lo/entry_hi)', () => {
  beforeAll(() => prepareBackend('wasm-opt'));
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);

  for (const engine of ENGINES.filter((e) => e !== 'interp')) {
    it(`${engine}: reads of the input ask the host nothing, run after run`, () => {
      const got = runs(engine, reader(3), [bytes(4), bytes(8), bytes(4)]);
      expect(got.results).toEqual(['r0 = 5', 'r0 = 5', 'r0 = 5']);
      expect(got.checks).toBe(0);
    });

    it(`${engine}: the bounds are the run's own: a read past a shorter input faults as on the interpreter`, () => {
      const inputs = [bytes(8), bytes(2), bytes(8)];
      const want = runs('interp', reader(5), inputs).results;
      expect(want[1]).toMatch(/^out-of-bounds: pc 1: ldxb %r2, \[%r1\+5\]: read of 1 byte at 0x[0-9a-f]+ is out of bounds of region input/);
      expect(runs(engine, reader(5), inputs).results).toEqual(want);
    });

    it(`${engine}: a called function starts without them (its read is checked in full)`, () => {
      const inputs = [bytes(8), bytes(2)];
      const want = runs('interp', reader(5, true), inputs).results;
      expect(want[0]).toBe('r0 = 7');
      const got = runs(engine, reader(5, true), inputs);
      expect(got.results).toEqual(want);
      expect(got.checks).toBeGreaterThan(0);
    });
  }
});
