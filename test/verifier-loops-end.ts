/**
 * The termination property of the verifier's loop tests (verifier-nested, verifier-branchy-loops): every generated
 * program the verifier accepts runs on the interpreter, on inputs full of the bytes its branches test, under a budget
 * no terminating program of the generator comes near; running out of it (or any other fault) fails the property.
 */
import fc from 'fast-check';
import { ExecError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { verifyProgram } from '../src/verifier/index.js';
import { Interpreter } from '../src/vm/index.js';

/** inputOf is an input of 64 bytes or more, each one of `bytes`. */
export const inputOf = (bytes: number[]): fc.Arbitrary<Uint8Array> =>
  fc.integer({ min: 64, max: 80 }).chain((n) => fc.array(fc.constantFrom(...bytes), { minLength: n, maxLength: n }).map((b) => Uint8Array.from(b)));

/**
 * acceptedLoopsEnd checks `runs` programs of `programs` (assembly text), each accepted one on 3 inputs of `input`, and
 * returns how many the verifier accepted.
 */
export function acceptedLoopsEnd(programs: fc.Arbitrary<string>, input: fc.Arbitrary<Uint8Array>, runs: number, budget: number): number {
  let accepted = 0;
  fc.assert(
    fc.property(programs, fc.array(input, { minLength: 3, maxLength: 3 }), (text, inputs) => {
      const insns = assemble(text);
      if (!verifyProgram(insns, { helpers: ubpfTestHelpers(), maxInsns: 20_000 }).ok) return;
      accepted++;
      // An interpreter per program: a run that ran out of budget must not change the next program's runs.
      const vm = new Interpreter({ helpers: ubpfTestHelpers() });
      const prepared = vm.load(insns, 'loop');
      for (const mem of inputs) {
        try {
          vm.run(prepared, { input: mem.slice(), budget });
        } catch (e) {
          if (e instanceof ExecError) throw new Error(`accepted program failed on input ${Buffer.from(mem).toString('hex')}: ${e.message}\n${text}`);
          throw e;
        }
      }
    }),
    { numRuns: runs, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
  );
  return accepted;
}
