// Termination of nested loops (issue 10): a program with a loop inside a loop that the verifier accepts ends on every
// input. The verifier widens the inner loop inside each outer iteration and keeps the outer counter's relation to the
// outer loop's head across that widening (src/verifier/loops.ts, `Sym.outer`); these programs try to break that: the
// inner loop or the code after it may, on some input bytes, set the outer counter back, step it the wrong way or set
// the inner counter back, and the counters may step past a `!=` bound. Every accepted program runs on the interpreter
// on inputs full of the bytes those conditions test, under a budget no terminating program here comes near: running
// out of it (or any other fault) fails the property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedLoopsEnd, inputOf } from './verifier-loops-end.js';

/** RUNS is how many programs a run checks (NESTED_RUNS overrides). */
const RUNS = Number(process.env.NESTED_RUNS ?? 200);
/** BUDGET bounds a run: at most 20 x 40 iterations of a few instructions when the program ends. */
const BUDGET = 2_000_000;

/** Tamper is what a path may do to a counter when the input byte it read equals `byte`. */
type Tamper = { what: 'none' } | { what: 'reset-outer' | 'mid-outer' | 'back-outer' | 'skip-outer' | 'reset-inner'; byte: number; after: boolean };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant<Tamper>({ what: 'none' }),
  fc.record({ what: fc.constantFrom('reset-outer', 'mid-outer', 'back-outer', 'skip-outer', 'reset-inner') as fc.Arbitrary<'reset-outer'>, byte: fc.constantFrom(0, 1, 0xff), after: fc.boolean() }),
);

/**
 * tamperLines changes a counter (outer r3, inner r5) when r2 (the byte read last) is `t.byte`; `mid-outer` sets the
 * outer counter to the middle of its range, inside what a widening of the outer loop covers.
 */
function tamperLines(t: Tamper, on: number): string[] {
  if (t.what === 'none') return [];
  const op = { 'reset-outer': 'mov %r3, 0', 'mid-outer': `mov %r3, ${on >> 1}`, 'back-outer': 'sub %r3, 1', 'skip-outer': 'add %r3, 1', 'reset-inner': 'mov %r5, 0' }[t.what];
  return [`jne %r2, ${t.byte}, +1`, op];
}

/** nested builds: r3 from 0 by `os` while `r3 oc on`, around r5 from 0 by 1 while `r5 ic in`, reading input bytes. */
const nested = fc.record({
  on: fc.integer({ min: 2, max: 20 }),
  os: fc.constantFrom(1, 2),
  oc: fc.constantFrom('jlt', 'jne'),
  inn: fc.integer({ min: 2, max: 40 }),
  ic: fc.constantFrom('jlt', 'jne'),
  early: fc.boolean(),
  t: tamper,
}).map(({ on, os, oc, inn, ic, early, t }) => {
  const lines = [
    'jge %r2, 64, +2', 'mov %r0, 0', 'exit',
    'mov %r9, %r1', 'mov %r6, 0', 'mov %r3, 0',
    'outer:', 'mov %r5, 0',
    'inner:', 'mov %r4, %r5', 'and %r4, 63', 'add %r4, %r9', 'ldxb %r2, [%r4+0]', 'add %r6, %r2',
    // An early exit on a byte (the strcmp shape of the bench suite) or none.
    ...(early ? ['jeq %r2, 0x7f, next'] : []),
    ...(t.what !== 'none' && !t.after ? tamperLines(t, on) : []),
    'add %r5, 1', `${ic} %r5, ${inn}, inner`,
    'next:',
    ...(t.what !== 'none' && t.after ? tamperLines(t, on) : []),
    `add %r3, ${os}`, `${oc} %r3, ${on}, outer`,
    'mov %r0, %r6', 'exit',
  ];
  return lines.join('\n');
});

/** input is 64 bytes or more, most of them the bytes the tampering tests. */
const input = inputOf([0, 1, 0xff, 0x7f, 0x41]);

describe('verifier: nested loops', () => {
  it(`accepted nested loops end on every input (${RUNS} programs, 3 inputs each, budget ${BUDGET})`, () => {
    const accepted = acceptedLoopsEnd(nested, input, RUNS, BUDGET);
    console.log(`verifier nested loops: ${accepted}/${RUNS} programs accepted and ended on 3 inputs each`);
    expect(accepted).toBeGreaterThan(RUNS / 10);
  }, 300_000);
});
