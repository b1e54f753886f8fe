// Soundness of the verifier (issue 10): a program it accepts never faults on the interpreter, whatever the input.
// The programs are the JIT differential test's random programs (every ALU operation, branches, bounded loops, stack
// and input accesses, atomics, helpers, a local call) behind a guard that returns early unless the input holds at
// least 64 bytes; their accesses just past the input, unguarded stack reads and the like make the verifier reject
// a share of them, and every accepted one runs on random inputs of random lengths without an ExecError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { verifyProgram } from '../src/verifier/index.js';
import { Interpreter } from '../src/vm/index.js';
import { INPUT_SIZE, diffProgram } from './jit-program-arbitrary.js';

const GUARD = [`jge %r2, ${INPUT_SIZE}, +2`, 'mov %r0, 0', 'exit'];
const NUM_RUNS = Number(process.env.SOUNDNESS_RUNS ?? 500);

describe('verifier soundness', () => {
  it(`accepted programs never fault on the interpreter (${NUM_RUNS} random programs, 3 inputs each)`, () => {
    const vm = new Interpreter({ helpers: ubpfTestHelpers() });
    let accepted = 0;
    fc.assert(
      fc.property(diffProgram(), fc.array(fc.uint8Array({ minLength: 0, maxLength: INPUT_SIZE + 16 }), { minLength: 3, maxLength: 3 }), (p, inputs) => {
        const insns = assemble([...GUARD, p.text].join('\n'));
        const v = verifyProgram(insns, { helpers: ubpfTestHelpers(), maxInsns: 20_000 });
        if (!v.ok) return;
        accepted++;
        const prepared = vm.load(insns, 'soundness');
        for (const input of [p.input, ...inputs]) {
          try {
            vm.run(prepared, { input: input.slice(), budget: 10_000_000 });
          } catch (e) {
            if (e instanceof ExecError) throw new Error(`accepted program faulted: ${e.message}\n${[...GUARD, p.text].join('\n')}`);
            throw e;
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    console.log(`verifier soundness: ${accepted}/${NUM_RUNS} random programs accepted and run without a fault`);
    expect(accepted).toBeGreaterThan(0);
  }, 120_000);
});
