// Arbitrary control flow on every engine: random programs whose jumps go anywhere (forward, backward, into the middle
// of loops, so irreducible graphs and rotated loops appear) and that run under a small instruction budget, so many end
// with a budget error. r0, steps, or the error's code and message (the pc the interpreter stops at) must agree on the
// interpreter and both Wasm tiers: this holds the loop layout of wasm-fast (direct/loops.ts, with its dispatch
// fallback) and the per-block budget to the interpreter. Also checks loopOrder/layoutLoops invariants on random graphs.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { graphOf, layoutLoops, loopOrder } from '../src/jit-wasm/direct/loops.js';
import { prepareBackend, tierOf, type BackendName } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';

const RUNS = Number(process.env.JIT_CFG_RUNS ?? 400);
const ENGINES: BackendName[] = ['interp', 'wasm-fast', 'wasm-opt'];
const CONDS = ['jeq', 'jne', 'jgt', 'jlt', 'jsge', 'jset'];

/** A program: n slots, each an ALU step or a jump to any slot, then an exit (so every target is in range). */
const program = fc.integer({ min: 2, max: 24 }).chain((n) =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('alu' as const), op: fc.constantFrom('add', 'xor', 'mul', 'sub'), reg: fc.integer({ min: 0, max: 2 }), imm: fc.integer({ min: -5, max: 9 }) }),
      fc.record({ kind: fc.constant('jump' as const), cond: fc.constantFrom(...CONDS, 'ja'), reg: fc.integer({ min: 0, max: 2 }), imm: fc.integer({ min: 0, max: 7 }), to: fc.integer({ min: 0, max: n }) }),
    ),
    { minLength: n, maxLength: n },
  ),
);

function text(slots: readonly ({ kind: 'alu'; op: string; reg: number; imm: number } | { kind: 'jump'; cond: string; reg: number; imm: number; to: number })[]): string {
  const lines = ['mov %r0, 1', 'mov %r1, 2', 'mov %r2, 3'];
  slots.forEach((s, i) => {
    if (s.kind === 'alu') lines.push(`${s.op} %r${s.reg}, ${s.imm}`);
    else {
      const off = s.to - i - 1;
      lines.push(s.cond === 'ja' ? `ja ${off >= 0 ? '+' : ''}${off}` : `${s.cond} %r${s.reg}, ${s.imm}, ${off >= 0 ? '+' : ''}${off}`);
    }
  });
  lines.push('exit');
  return lines.join('\n');
}

function outcome(engine: BackendName, src: string): string {
  const insns = assemble(src);
  const vm = new Interpreter();
  const prepared = vm.load(insns);
  const tier = tierOf(engine);
  try {
    const r = tier ? runOn(vm, prepared, compileOn(vm, insns, { tier }).jit, { budget: 300 }) : vm.run(prepared, { budget: 300 });
    return `r0 = 0x${r.r0.toString(16)}, ${r.steps} steps`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

describe('arbitrary control flow agrees on every engine', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  it(`on ${RUNS} random jump graphs under a 300-instruction budget`, () => {
    let budgetErrors = 0;
    fc.assert(
      fc.property(program, (slots) => {
        const src = text(slots);
        const [ref, ...others] = ENGINES.map((e) => outcome(e, src));
        if (ref.startsWith('budget')) budgetErrors++;
        for (const o of others) expect(o).toBe(ref);
      }),
      { numRuns: RUNS },
    );
    expect(budgetErrors).toBeGreaterThan(0);
    expect(budgetErrors).toBeLessThan(RUNS);
  }, 300_000);

  it('loopOrder and layoutLoops: a permutation with the entry first; accepted layouts have contiguous single-entry loops', () => {
    const graph = fc.integer({ min: 1, max: 14 }).chain((n) => fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 2 }), { minLength: n, maxLength: n }));
    fc.assert(
      fc.property(graph, (g) => {
        const n = g.length;
        const order = loopOrder(graphOf(g));
        expect(order[0]).toBe(0);
        expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        const at = new Map(order.map((old, i) => [old, i]));
        const h = order.map((old) => g[old].map((t) => at.get(t)!));
        const plan = layoutLoops(graphOf(h));
        if (!plan) return;
        for (let s = 0; s < n; s++) {
          for (const t of h[s]) {
            // Every loop containing t other than the one t heads contains s.
            for (let l = 0; l < n; l++) {
              if (plan.loopEnd[l] < 0 || l === t || t < l || t > plan.loopEnd[l]) continue;
              expect(s >= l && s <= plan.loopEnd[l]).toBe(true);
            }
            if (t <= s) expect(plan.loopEnd[t]).toBeGreaterThanOrEqual(s);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
