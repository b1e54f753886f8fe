// Budget checks only where they matter (src/jit-wasm/checks.ts): a block of register arithmetic and jumps may skip
// its check when its successors catch the deficit and name the pc the interpreter stops at. The plan's decisions on
// small graphs, then every budget from 1 to past the end on loops whose latch goes unchecked: the error (its pc and
// message), or r0, steps and the stack of a finished run, agree on the interpreter and both Wasm tiers.
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { assemble, validateProgram } from '../src/isa/index.js';
import { splitBlocks } from '../src/jit-wasm/blocks.js';
import { planChecks } from '../src/jit-wasm/checks.js';
import { prepareBackend, tierOf, type BackendName } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';

const plan = (src: string) => {
  const v = validateProgram(assemble(src));
  const blocks = splitBlocks(v.insns, v.forms, v.functions, new Set());
  const p = planChecks(blocks, v.forms, v.functions, new Set(), v.insns.length);
  return { unchecked: blocks.list.filter((b) => p.unchecked[b.start]).map((b) => b.start), covers: blocks.list.filter((b) => p.covered(b.start)).map((b) => [b.start, p.covered(b.start)!.start]) };
};

// A strcmp-shaped loop: the header reads memory (checked), the latch is arithmetic and the jump back.
const LOOP = `
  mov %r1, 0
  mov %r0, 0
head:
  stxdw [%r10-8], %r1
  ldxdw %r2, [%r10-8]
  jeq %r2, 12, done
  add %r1, 1
  add %r0, %r2
  ja head
done:
  exit`;

// Pure blocks one after another: only one of two pure predecessors of a join may go unchecked.
const CHAIN = `
  mov %r0, 0
  mov %r1, 40
top:
  jgt %r1, 20, big
  add %r0, 1
  ja join
big:
  add %r0, 3
join:
  stxdw [%r10-16], %r0
  sub %r1, 1
  jne %r1, 0, top
  exit`;

describe('budget check plan', () => {
  it('drops the check of a pure loop latch and makes its successors report it', () => {
    const p = plan(LOOP);
    // Blocks: 0 (entry: checked), 2 (head: reads memory), 5 (latch: add, add, ja), 8 (exit).
    expect(p.unchecked).toEqual([5]);
    expect(p.covers).toEqual([[2, 5]]);
  });

  it('keeps entries, impure blocks and a second pure predecessor of a covered block checked', () => {
    const p = plan(CHAIN);
    // Blocks: 0 entry, 2 (jgt), 3 (add, ja join), 5 big (add), 6 join (store, sub, jne), 9 exit.
    // big (5) is considered first and covers join; 3 also goes to join, so it stays checked; 2 (pure) goes to 3 and 5,
    // 5 being unchecked, so it stays checked too.
    expect(p.unchecked).toEqual([5]);
    expect(p.covers).toEqual([[6, 5]]);
    expect(plan('mov %r0, 1\nja -1\nexit').unchecked).toEqual([]);
  });
});

function outcome(engine: BackendName, src: string, budget: number): string {
  const insns = assemble(src);
  const vm = new Interpreter();
  const prepared = vm.load(insns);
  const tier = tierOf(engine);
  const stack = (): string => Buffer.from(vm.mem.u8.subarray(vm.env.stackTop - 16, vm.env.stackTop)).toString('hex');
  try {
    const r = tier ? runOn(vm, prepared, compileOn(vm, insns, { tier }).jit, { budget }) : vm.run(prepared, { budget });
    return `r0 = ${r.r0}, ${r.steps} steps, stack ${stack()}`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    // Not the stack: a JIT block stops before its first instruction when it cannot run whole, while the interpreter
    // runs up to the pc it names (docs/jit-wasm.md, "Budget and steps"); the pc and message must agree.
    return `${e.code}: ${e.message}`;
  }
}

describe('budget errors through unchecked blocks agree on every engine', () => {
  beforeAll(() => prepareBackend('wasm-opt'));

  for (const [name, src] of [['loop', LOOP], ['chain', CHAIN]] as const) {
    it(`${name}: every budget from 1 to past the end`, () => {
      const end = Number(/(\d+) steps/.exec(outcome('interp', src, 0))![1]);
      let errors = 0;
      for (let budget = 1; budget <= end + 1; budget++) {
        const ref = outcome('interp', src, budget);
        if (ref.startsWith('budget')) errors++;
        expect(outcome('wasm-fast', src, budget), `budget ${budget}`).toBe(ref);
        expect(outcome('wasm-opt', src, budget), `budget ${budget}`).toBe(ref);
      }
      expect(errors).toBe(end - 1); // a budget of exactly the steps suffices
    });
  }
});
