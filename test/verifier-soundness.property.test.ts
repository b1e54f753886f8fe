// Soundness of the verifier (issue 10): a program it accepts never faults on the interpreter, whatever the input.
//
// Two generators. The first (test/verifier-program-arbitrary.ts) is built for volume: programs the verifier mostly
// accepts, because they check what they access, while making it prove things (ranges of input-derived values refined
// by 64- and 32-bit branches, masked, compared and loop-induced input offsets, pointers spilled and filled, stack
// reads after writes, helper memory arguments, a bpf-to-bpf call), with rare near misses it must refuse; each
// accepted one runs on inputs whose lengths and bytes sit at the program's bounds. The second is the JIT differential
// test's random programs (every ALU operation, LD_ABS/LD_IND, atomics, unguarded stack and input accesses) behind a
// 64-byte guard: the verifier rejects most of them, and the few it accepts run without a fault too. A third runs
// uprobe programs over random pt_regs contexts: context reads, map lookups with their value accesses, map updates and
// helpers, with the maps of examples/counter.bpf.o, in a Collection (the verifier's `kprobe` context rules).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecError } from '../src/errors.js';
import { assemble, type Insn } from '../src/isa/index.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { Collection } from '../src/runtime/collection.js';
import { verifyProgram, verifySpec } from '../src/verifier/index.js';
import { Interpreter } from '../src/vm/index.js';
import { INPUT_SIZE, diffProgram } from './jit-program-arbitrary.js';
import { ROOT } from './helpers.js';
import { ctxProgram, soundnessProgram } from './verifier-program-arbitrary.js';

const GUARD = [`jge %r2, ${INPUT_SIZE}, +2`, 'mov %r0, 0', 'exit'];
/** RUNS is how many programs of the first generator a run checks (SOUNDNESS_RUNS overrides; 500 of the second). */
const RUNS = Number(process.env.SOUNDNESS_RUNS ?? 3000);
const INPUTS = 4;
/** CTX_RUNS is how many uprobe programs the context property checks (SOUNDNESS_CTX_RUNS overrides). */
const CTX_RUNS = Number(process.env.SOUNDNESS_CTX_RUNS ?? 1000);

/** Checker verifies programs and runs the accepted ones on the interpreter, failing on any fault. */
class Checker {
  private readonly vm = new Interpreter({ helpers: ubpfTestHelpers() });
  accepted = 0;
  runs = 0;

  check(text: string, inputs: readonly Uint8Array[]): void {
    const insns: Insn[] = assemble(text);
    if (!verifyProgram(insns, { helpers: ubpfTestHelpers(), maxInsns: 20_000 }).ok) return;
    this.accepted++;
    const prepared = this.vm.load(insns, 'soundness');
    for (const input of inputs) {
      try {
        this.runs++;
        this.vm.run(prepared, { input: input.slice(), budget: 10_000_000 });
      } catch (e) {
        if (e instanceof ExecError) throw new Error(`accepted program faulted on input ${Buffer.from(input).toString('hex') || '(empty)'}: ${e.message}\n${text}`);
        throw e;
      }
    }
  }
}

describe('verifier soundness', () => {
  it(`accepted programs never fault on the interpreter (${RUNS} programs built to pass, ${INPUTS} boundary inputs each)`, () => {
    const c = new Checker();
    const t0 = performance.now();
    fc.assert(
      fc.property(soundnessProgram(INPUTS), (p) => c.check(p.text, p.inputs)),
      { numRuns: RUNS },
    );
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`verifier soundness: ${c.accepted}/${RUNS} programs accepted, ${c.runs} runs without a fault, ${s} s`);
    // Most programs check what they access: a generator that drifts into rejections would test little.
    expect(c.accepted).toBeGreaterThan(RUNS / 2);
  }, 300_000);

  it('accepted random ISA programs never fault either (500 programs, 4 inputs each)', () => {
    const c = new Checker();
    fc.assert(
      fc.property(diffProgram(), fc.array(fc.uint8Array({ minLength: 0, maxLength: INPUT_SIZE + 16 }), { minLength: 3, maxLength: 3 }), (p, inputs) => {
        c.check([...GUARD, p.text].join('\n'), [p.input, ...inputs]);
      }),
      { numRuns: 500 },
    );
    console.log(`verifier soundness: ${c.accepted}/500 random ISA programs accepted and run without a fault`);
    expect(c.accepted).toBeGreaterThan(0);
  }, 120_000);

  it(`accepted uprobe programs never fault on random contexts (${CTX_RUNS} programs, ${INPUTS} contexts each, counter.bpf.o's maps)`, () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(join(ROOT, 'examples', 'counter.bpf.o'))));
    const base = spec.programs[0];
    let accepted = 0;
    const t0 = performance.now();
    fc.assert(
      fc.property(ctxProgram(INPUTS), (p) => {
        const program = { ...base, insns: assemble(p.text), subprograms: [], mapRefs: [], ksyms: [], funcInfo: [], lineInfo: [], coreRelocations: [] };
        if (!verifySpec(program, spec.maps, { maxInsns: 20_000 }).ok) return;
        accepted++;
        const c = new Collection({ ...spec, programs: [program] }, { backend: 'interp', verify: 'off' });
        for (const ctx of p.contexts) {
          try {
            c.program(program.name).run({ ctx });
          } catch (e) {
            if (e instanceof ExecError) throw new Error(`accepted program faulted on context ${Buffer.from(ctx).toString('hex')}: ${e.message}\n${p.text}`);
            throw e;
          }
        }
      }),
      { numRuns: CTX_RUNS },
    );
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`verifier soundness: ${accepted}/${CTX_RUNS} uprobe programs accepted and run on ${INPUTS} random contexts each without a fault, ${s} s`);
    expect(accepted).toBeGreaterThan(CTX_RUNS / 2);
  }, 300_000);
});
