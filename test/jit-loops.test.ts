// The direct emitter's loop layout (src/jit-wasm/direct/loops.ts): loopOrder makes every loop of a reducible graph
// contiguous and header-first, layoutLoops accepts exactly the layouts whose loops are contiguous, single-entry and
// nested, and the wasm-fast tier then emits real Wasm loops (no label dispatch) for clang's rotated loops.
import { beforeAll, describe, expect, it } from 'vitest';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble, validateProgram } from '../src/isa/index.js';
import { graphOf, layoutLoops, loopOrder } from '../src/jit-wasm/direct/loops.js';
import { compileProgram } from '../src/jit-wasm/index.js';
import { loadRaw, prepareBackend } from '../src/runtime/backends.js';
import { loadBinaryen } from '../src/jit-wasm/index.js';

type Graph = number[][];
const succOf = (g: Graph) => graphOf(g);
/** reorder renames the blocks of g into the order `order` (old positions) gives. */
function reorder(g: Graph, order: number[]): Graph {
  const at = new Map(order.map((old, i) => [old, i]));
  return order.map((old) => g[old].map((t) => at.get(t)!));
}

describe('loop layout', () => {
  // binaryen prints the modules' text (`text: true`); no tier needs it to compile.
  beforeAll(async () => {
    await prepareBackend('wasm-opt');
    await loadBinaryen();
  });

  it('accepts a contiguous loop and nests forward labels inside it', () => {
    // 0 -> 1; 1 -> 2 | 3; 2 -> 1 (back edge); 3 exits.
    const plan = layoutLoops(succOf([[1], [3, 2], [1], []]));
    expect(plan).toBeDefined();
    expect([...plan!.loopEnd]).toEqual([-1, 2, -1, -1]);
    expect(plan!.opensAt[0]).toEqual([3]);
  });

  it('reorders a rotated loop (entered at its middle block in slot order) so that it qualifies', () => {
    // Slot order: 0 jumps to 3; the loop is {3, 1, 2}: 3 -> 1 | 4, 1 -> 2, 2 -> 3.
    const g: Graph = [[3], [2], [3], [1, 4], []];
    expect(layoutLoops(succOf(g))).toBeUndefined();
    const order = loopOrder(succOf(g));
    expect(order[0]).toBe(0);
    const h = reorder(g, order);
    const plan = layoutLoops(succOf(h));
    expect(plan).toBeDefined();
    const header = order.indexOf(3);
    expect(plan!.loopEnd[header]).toBe(header + 2);
  });

  it('keeps nested loops contiguous, the inner inside the outer', () => {
    // 0 -> 1; outer {1..4}: 1 -> 2; inner {2, 3}: 2 -> 3, 3 -> 2 | 4; 4 -> 1 | 5.
    const g: Graph = [[1], [2], [3], [2, 4], [1, 5], []];
    const h = reorder(g, loopOrder(succOf(g)));
    expect(layoutLoops(succOf(h))).toBeDefined();
  });

  it('refuses an irreducible graph (a cycle with two entries)', () => {
    // 0 -> 1 | 2; 1 -> 2; 2 -> 1: the cycle {1, 2} is entered at both.
    const g: Graph = [[1, 2], [2], [1]];
    expect(layoutLoops(succOf(reorder(g, loopOrder(succOf(g)))))).toBeUndefined();
  });

  it('compiles a rotated loop to a Wasm loop without label dispatch, with the interpreter result', () => {
    // mov r0, 0; mov r1, 10; ja +2 (into the loop's test); body: add r0, r1; sub r1, 1; test: jne r1, 0, -3; exit.
    const src = 'mov %r0, 0\nmov %r1, 10\nja +2\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, -3\nexit';
    const text = compileProgram(validateProgram(assemble(src)), { tier: 'fast', helpers: ubpfTestHelpers(), text: true }).text!;
    expect(text).toContain('(loop');
    expect(text).not.toContain('br_table');
    const run = (backend: 'interp' | 'wasm-fast') => loadRaw(assemble(src), { backend, helpers: ubpfTestHelpers() }).run().r0;
    expect(run('wasm-fast')).toBe(55n);
    expect(run('interp')).toBe(55n);
  });
});
