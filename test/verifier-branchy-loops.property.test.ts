// Termination of loops whose body branches (issue 10): a loop the verifier accepts ends on every input. The verifier
// widens such a loop and prunes one side of the branch against the other's finished state (src/verifier/
// proof-transfer.ts); these programs try to break that: on some input bytes one side of the branch may set the
// counter back, step it back, leave it, or copy another counter into it, and the step after the branch may be missing
// or only on one side (a counter stepped back from 0 wraps past the end of the type: the case table's
// loop-counter-wraps-past-zero-to-its-bound was found so). Every accepted program runs on the interpreter on inputs
// full of the bytes the branch tests, under a budget no terminating program here comes near: running out of it (or
// any other fault) fails the property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { verifyProgram } from '../src/verifier/index.js';
import { Interpreter } from '../src/vm/index.js';
import { acceptedLoopsEnd, inputOf } from './verifier-loops-end.js';

/** RUNS is how many programs a run checks (BRANCHY_RUNS overrides). */
const RUNS = Number(process.env.BRANCHY_RUNS ?? 100);
/** BUDGET bounds a run: at most a few hundred iterations of a few instructions when the program ends. */
const BUDGET = 1_000_000;

/** Action is what one side of the branch does to the counter r6 (or to the second counter r7). */
type Action = 'step' | 'none' | 'reset' | 'mid' | 'back' | 'copy' | 'copy-step' | 'step7';

const action: fc.Arbitrary<Action> = fc.constantFrom<Action>('step', 'step', 'none', 'reset', 'mid', 'back', 'copy', 'copy-step', 'step7');

function lines(a: Action, step: number, n: number): string[] {
  return {
    step: [`add %r6, ${step}`],
    none: [],
    reset: ['mov %r6, 0'],
    mid: [`mov %r6, ${n >> 1}`],
    back: ['sub %r6, 1'],
    copy: ['mov %r6, %r7'],
    'copy-step': ['mov %r6, %r7', `add %r6, ${step}`],
    step7: [`add %r7, ${step}`],
  }[a];
}

/**
 * branchy builds: r6 from 0 by `step` while `r6 cond n`, r7 a second counter; each iteration reads the input byte at
 * r6 & 63 and runs side `a` when it equals `byte`, side `b` otherwise, then the common tail.
 */
const branchy = fc.record({
  n: fc.integer({ min: 2, max: 40 }),
  step: fc.constantFrom(1, 2),
  cond: fc.constantFrom('jlt', 'jne'),
  byte: fc.constantFrom(0, 1, 0xff),
  a: fc.array(action, { maxLength: 2 }),
  b: fc.array(action, { maxLength: 2 }),
  tail: fc.constantFrom<Action[]>(['step'], ['step', 'step7'], [], ['step7']),
  checkFirst: fc.boolean(),
}).map(({ n, step, cond, byte, a, b, tail, checkFirst }) => {
  const exitCheck = cond === 'jlt' ? `jge %r6, ${n}, out` : `jeq %r6, ${n}, out`;
  return [
    'jge %r2, 64, +2', 'mov %r0, 0', 'exit',
    'mov %r9, %r1', 'mov %r6, 0', 'mov %r7, 0', 'mov %r0, 0',
    'head:',
    // A check before the branch (the shape of a top-tested loop), or only the one at the bottom.
    ...(checkFirst ? [exitCheck] : []),
    'mov %r4, %r6', 'and %r4, 63', 'add %r4, %r9', 'ldxb %r2, [%r4+0]', 'add %r0, %r2',
    `jeq %r2, ${byte}, alt`,
    ...b.flatMap((x) => lines(x, step, n)),
    'ja join',
    'alt:',
    ...a.flatMap((x) => lines(x, step, n)),
    'join:',
    ...tail.flatMap((x) => lines(x, step, n)),
    `${cond} %r6, ${n}, head`,
    'out:',
    'exit',
  ].join('\n');
});

/** input is 64 bytes or more, most of them the bytes the branch tests. */
const input = inputOf([0, 1, 0xff, 0x41]);

/** The loop of issue 10's known bug: the counter set back to 10 whenever the input's length is odd. */
const SET_BACK = `mov %r6, 0
head:
mov %r3, %r2
and %r3, 1
jne %r3, 0, reset
ja p
reset:
mov %r6, 10
p:
add %r6, 1
jlt %r6, 64, head
mov %r0, 0
exit`;

describe('verifier: loops whose body branches', () => {
  it('rejects a loop whose counter one path sets back (the interpreter runs out of budget on such an input)', () => {
    const vm = new Interpreter();
    const p = vm.load(assemble(SET_BACK));
    expect(vm.run(p, { input: new Uint8Array(4), budget: 100_000 }).r0).toBe(0n);
    expect(() => vm.run(p, { input: new Uint8Array(3), budget: 100_000 })).toThrow(/budget/i);
    const r = verifyProgram(assemble(SET_BACK));
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/infinite loop/);
  });

  it(`accepted branchy loops end on every input (${RUNS} programs, 3 inputs each, budget ${BUDGET})`, () => {
    const accepted = acceptedLoopsEnd(branchy, input, RUNS, BUDGET);
    console.log(`verifier branchy loops: ${accepted}/${RUNS} programs accepted and ended on 3 inputs each`);
    expect(accepted).toBeGreaterThan(RUNS / 20);
  }, 300_000);
});
