// Facts for the JIT (src/jit-wasm/facts.ts): accesses proved in bounds compile without checks (the input region
// included), a termination proof drops the budget charges. Programs compiled with hand-written, true facts agree
// with the interpreter on r0 and the input bytes; the generated code has no refill calls and no budget traps left;
// a run asking for a budget gets the metered module and the interpreter's budget error.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BpfError } from '../src/errors.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble, memAccess, validateProgram, type Insn } from '../src/isa/index.js';
import { compileProgram, loadBinaryen, type JitFacts, type Tier } from '../src/jit-wasm/index.js';
import { loadRaw, prepareBackend, type BackendName } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { STEPS_NOT_COUNTED } from '../src/runtime/metering.js';
import { Interpreter } from '../src/vm/index.js';

const TIERS: Tier[] = ['fast', 'opt'];
const BACKEND: Record<Tier, BackendName> = { fast: 'wasm-fast', opt: 'wasm-opt' };

/** Programs over the input memory (r1, r2 bytes), in bounds for every input length, as a verifier would prove. */
const PROGRAMS: Record<string, string> = {
  // Sum the bytes and xor each with 0x5a in place.
  bytes: `
mov %r0, 0
mov %r3, 0
jge %r3, %r2, +8
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4]
add %r0, %r5
xor %r5, 0x5a
stxb [%r4], %r5
add %r3, 1
jlt %r3, %r2, -8
exit`,
  // Copy the first half to the second half in 8-byte words while whole words fit, with an atomic add on the stack
  // and one on the input's first word.
  words: `
mov %r0, 0
stxdw [%r10-8], %r0
mov %r6, %r2
rsh %r6, 1
mov %r3, 0
mov %r4, %r3
add %r4, 8
jgt %r4, %r6, +9
mov %r7, %r1
add %r7, %r3
ldxdw %r5, [%r7]
add %r7, %r6
stxdw [%r7], %r5
xor %r0, %r5
add %r3, 8
stxdw [%r10-16], %r3
ja -12
mov %r5, 3
lock add [%r10-8], %r5
ldxdw %r5, [%r10-8]
add %r0, %r5
jlt %r2, 8, +2
mov %r5, 7
lock add [%r1], %r5
exit`,
  // Bytes from the end through a negative offset, 16-bit loads, and a sign-extending load.
  tail: `
mov %r0, 0
jlt %r2, 4, +10
mov %r3, %r1
add %r3, %r2
ldxh %r4, [%r3-2]
add %r0, %r4
ldxh %r4, [%r1+2]
lsh %r4, 16
add %r0, %r4
ldxsb %r4, [%r3-1]
add %r0, %r4
stb [%r3-4], 0x11
exit`,
};

/** allInBounds is the facts a verifier would give these programs: every memory access proved, termination proved. */
function allInBounds(insns: readonly Insn[], terminates = true): JitFacts {
  const valid = validateProgram(insns);
  const inBounds = new Set<number>();
  valid.forms.forEach((f, pc) => {
    if (f && memAccess(f, insns[pc])) inBounds.add(pc);
  });
  return { inBounds, terminates };
}

interface Outcome {
  r0: string;
  data: number[];
}

function runInterp(insns: readonly Insn[], input: Uint8Array): Outcome {
  const vm = new Interpreter({ helpers: ubpfTestHelpers() });
  const r = vm.run(vm.load(insns), { input });
  return { r0: r.r0.toString(16), data: [...vm.inputBytes()] };
}

function runJit(insns: readonly Insn[], input: Uint8Array, tier: Tier, facts: JitFacts): Outcome {
  const vm = new Interpreter({ helpers: ubpfTestHelpers() });
  const prepared = vm.load(insns);
  const { jit } = compileOn(vm, insns, { tier, facts });
  const r = runOn(vm, prepared, jit, { input, budget: 0 });
  return { r0: r.r0.toString(16), data: [...vm.inputBytes()] };
}

/** counts finds, in a module's text, the calls of the refill import and the budget traps (trap kind 4). */
function counts(text: string): { refills: number; budgetTraps: number } {
  const name = (field: string): string => new RegExp(`\\(import "bpf" "${field}" \\(func (\\$\\S+)`).exec(text)![1].replace(/\$/g, '\\$');
  const refills = (text.match(new RegExp(`call ${name('refill')}\\b`, 'g')) ?? []).length;
  const budgetTraps = (text.match(new RegExp(`call ${name('trap')}\\s*\\(i32\\.const 4\\)`, 'g')) ?? []).length;
  return { refills, budgetTraps };
}

describe('JIT with verifier facts', () => {
  // binaryen prints the modules' text (`text: true`); no tier needs it to compile.
  beforeAll(async () => {
    await prepareBackend('wasm-opt');
    await loadBinaryen();
  });

  for (const [name, src] of Object.entries(PROGRAMS)) {
    const insns = assemble(src);
    const facts = allInBounds(insns);
    for (const tier of TIERS) {
      it(`${name} on ${BACKEND[tier]}: agrees with the interpreter on random inputs`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
            expect(runJit(insns, bytes, tier, facts)).toEqual(runInterp(insns, bytes));
          }),
          { numRuns: 60 },
        );
      });

      it(`${name} on ${BACKEND[tier]}: the generated code has no bounds refills and no budget traps`, () => {
        const compile = (f?: JitFacts) => compileProgram(validateProgram(insns), { tier, helpers: ubpfTestHelpers(), text: true, facts: f });
        const plain = compile();
        const proved = compile(facts);
        expect(counts(plain.text!).refills).toBeGreaterThan(0);
        expect(counts(plain.text!).budgetTraps).toBeGreaterThan(0);
        expect(plain.metered).toBe(true);
        expect(counts(proved.text!)).toEqual({ refills: 0, budgetTraps: 0 });
        expect(proved.metered).toBe(false);
        expect(proved.uncheckedAccesses).toBe(facts.inBounds.size);
        // Termination alone keeps the checks; bounds alone keep the charges.
        expect(counts(compile({ inBounds: new Set(), terminates: true }).text!)).toEqual({ refills: counts(plain.text!).refills, budgetTraps: 0 });
        expect(counts(compile({ ...facts, terminates: false }).text!)).toEqual({ refills: 0, budgetTraps: counts(plain.text!).budgetTraps });
      });
    }
  }

  it('facts for some accesses only keep the checks of the others, with the interpreter\'s faults', () => {
    // Reads r2 + 1 bytes: the last read is out of bounds; only the first load is declared proved.
    const insns = assemble(`
mov %r0, 0
ldxb %r0, [%r1]
mov %r3, %r1
add %r3, %r2
ldxb %r4, [%r3]
exit`);
    const facts: JitFacts = { inBounds: new Set([1]), terminates: true };
    const input = Uint8Array.from([9, 8, 7]);
    const expected = (() => {
      const vm = new Interpreter({ helpers: ubpfTestHelpers() });
      try {
        vm.run(vm.load(insns), { input });
        return 'no fault';
      } catch (e) {
        return (e as BpfError).message;
      }
    })();
    expect(expected).toMatch(/out of bounds/);
    for (const tier of TIERS) expect(() => runJit(insns, input, tier, facts)).toThrow(expected);
  });

  for (const tier of TIERS) {
    it(`${BACKEND[tier]}: a run without a budget is unmetered; a run with one gets the metered module`, () => {
      const insns = assemble(PROGRAMS.bytes);
      const facts = allInBounds(insns);
      const input = new Uint8Array(100).fill(1);
      const interp = loadRaw(insns, { backend: 'interp' });
      const jit = loadRaw(insns, { backend: BACKEND[tier], facts });
      const free = jit.run({ input });
      expect(free.r0).toBe(100n);
      expect(free.steps).toBe(STEPS_NOT_COUNTED);
      // A budget is never ignored: the same budget error as the interpreter, and exact steps when it suffices.
      const fault = (run: () => unknown): string => {
        try {
          run();
          return 'no fault';
        } catch (e) {
          return (e as BpfError).message;
        }
      };
      expect(fault(() => jit.run({ input, budget: 50 }))).toBe(fault(() => interp.run({ input, budget: 50 })));
      expect(fault(() => jit.run({ input, budget: 50 }))).toMatch(/instruction budget of 50 exhausted/);
      expect(jit.run({ input, budget: 10_000 })).toEqual(interp.run({ input, budget: 10_000 }));
      expect(jit.run({ input }).steps).toBe(STEPS_NOT_COUNTED);
    });
  }
});
