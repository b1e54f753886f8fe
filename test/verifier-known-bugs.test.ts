// Known soundness bugs of the verifier, kept visible in the suite until they are fixed. Each test states the right
// verdict and is marked `it.fails` while the verifier gets it wrong: when a fix lands, vitest reports the test as
// unexpectedly passing and the marker is removed. The set-back counter of 2026-12-06 is fixed (the case table's
// loop-counter-set-back-* cases, test/verifier-branchy-loops.property.test.ts); this one was found by that property.
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { Interpreter } from '../src/vm/index.js';
import { verifyProgram } from '../src/verifier/index.js';

// The counter steps down from 0 while it is not 2: it wraps to 2^64 - 1 at once and needs 2^64 - 3 more iterations.
// The proof accepts a `!=` bound the counter approaches without passing it; the widened head's range, every value
// from 2^64 - 1 down to 2, says how many iterations that takes, and no budget-free program may take that many.
const WRAP_DOWN = `mov %r6, 0
head:
sub %r6, 1
jne %r6, 2, head
mov %r0, 0
exit`;

describe('verifier: known soundness bugs', () => {
  it('the loop in this file does not end in practice (the interpreter runs out of budget)', () => {
    const vm = new Interpreter();
    expect(() => vm.run(vm.load(assemble(WRAP_DOWN)), { input: new Uint8Array(4), budget: 100_000 })).toThrow(/budget/i);
  });

  it.fails('rejects a counter that wraps past zero to reach a != bound from above (accepted today: the proof bounds the iterations by nothing smaller than the type)', () => {
    expect(verifyProgram(assemble(WRAP_DOWN)).ok).toBe(false);
  });
});
