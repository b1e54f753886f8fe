// The JIT keeps the region bounds it cached across a helper call unless the helper changed guest memory's regions
// (the host then sets ctl = CTL_REGIONS): a read after a helper that shrinks the region faults as on the interpreter,
// and a read after a helper that leaves regions alone goes on.
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
