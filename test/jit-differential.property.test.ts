// Differential test (STYLE.md rule 10): random valid programs give the same r0 or error, the same stack and the
// same input bytes on the interpreter and on both Wasm tiers. One compile per case and tier; fast-check prints the
// seed and the shrunk program on a failure. JIT_DIFF_RUNS raises the case count.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpfError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { prepareBackend, tierOf, type BackendName } from '../src/runtime/backends.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';
import { diffProgram, type DiffProgram } from './jit-program-arbitrary.js';

const RUNS = Number(process.env.JIT_DIFF_RUNS ?? 3000);
const ENGINES: BackendName[] = ['interp', 'wasm-fast', 'wasm-opt'];

interface Outcome {
  result: string;
  stack: string;
  input: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function outcome(engine: BackendName, prog: DiffProgram): Outcome {
  const insns = assemble(prog.text);
  const vm = new Interpreter();
  const prepared = vm.load(insns);
  const tier = tierOf(engine);
  const run = tier ? ((jit) => () => runOn(vm, prepared, jit, { input: prog.input }))(compileOn(vm, insns, { tier }).jit) : () => vm.run(prepared, { input: prog.input });
  let result: string;
  try {
    const r = run();
    result = `r0 = 0x${r.r0.toString(16)}, ${r.steps} steps`;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    result = `${e.code}: ${e.message}`;
  }
  return { result, stack: hex(vm.mem.u8.subarray(vm.stack.start, vm.env.stackTop)), input: hex(vm.inputBytes()) };
}

describe('JIT tiers agree with the interpreter', () => {
  beforeAll(() => prepareBackend('wasm-opt'));
  it(`on ${RUNS} random programs (r0 or error, steps, stack, input memory)`, () => {
    let faults = 0;
    fc.assert(
      fc.property(diffProgram(), (prog) => {
        const [ref, ...others] = ENGINES.map((e) => outcome(e, prog));
        if (!ref.result.startsWith('r0')) faults++;
        for (const o of others) expect(o).toEqual(ref);
      }),
      { numRuns: RUNS },
    );
    // Some generated accesses leave the input on purpose: faults must be a real share of the cases, not all of them.
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThan(RUNS * 0.8);
  }, 300_000);
});
