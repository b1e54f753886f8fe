// Paths meeting outside loops are merged (src/verifier/merge.ts): a chain of independent branches costs linear work,
// paths stay apart below the bound (a flag tested later is decided per path), and what a merged path may do is still
// checked (a merge joins values, it never drops one).
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { verifyProgram } from '../src/verifier/index.js';

const verify = (text: string, maxInsns = 100_000) => verifyProgram(assemble(text), { maxInsns });

/** chain builds `n` if-then blocks on the input length r2, each setting one more bit of r3 on one side. */
function chain(n: number): string[] {
  const out = ['mov %r3, 0'];
  for (let i = 0; i < n; i++) out.push('lsh %r3, 1', `jgt %r2, ${i * 3}, +1`, 'or %r3, 1');
  return out;
}

describe('verifier: paths merged where they meet', () => {
  it('40 independent branches (2^40 paths) cost work linear in the program', () => {
    const text = [...chain(40), 'and %r3, 63', 'mov %r0, %r3', 'exit'].join('\n');
    const r = verify(text);
    expect(r.error?.message).toBeUndefined();
    expect(r.stats.insnsProcessed).toBeLessThan(1000);
    expect(r.stats.statesJoined).toBeGreaterThan(0);
  });

  it('a flag set under a condition still decides a later access on its own path', () => {
    // The read of byte 8 is safe only where r2 > 10 was seen, which only the flag remembers.
    const text = [
      'mov %r6, 0', 'jle %r2, 10, +1', 'mov %r6, 1',
      'mov %r7, 0', 'jle %r2, 3, +1', 'mov %r7, 1',
      'mov %r0, 0', 'jne %r6, 1, +1', 'ldxb %r0, [%r1+8]', 'exit',
    ].join('\n');
    const r = verify(text);
    expect(r.error?.message).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  it('a merged path keeps every value: the one combination that reads out of bounds is found', () => {
    // Only the path taking all ten branches (r3 = 1023) reads byte 100 without a bounds check.
    const text = [...chain(10), 'mov %r0, 0', 'jne %r3, 1023, +1', 'ldxb %r0, [%r1+100]', 'exit'].join('\n');
    const r = verify(text);
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe('packet-bounds');
  });

  it('paths are not merged inside a loop, where a merged state could stand in for its own iterations', () => {
    // Two branches per iteration inside a loop bounded by r4: the loop still needs its termination proof.
    const body = ['mov %r4, 0', 'loop:', 'jgt %r2, 5, +1', 'add %r3, 1', 'jgt %r2, 9, +1', 'add %r3, 2', 'add %r4, 1', 'jlt %r4, 16, loop'];
    const ok = verify(['mov %r3, 0', ...body, 'mov %r0, 0', 'exit'].join('\n'));
    expect(ok.error?.message).toBeUndefined();
    // Without the increment r4 stays 0: the loop never ends, whatever r3 (which differs per path) does.
    const endless = verify(['mov %r3, 0', ...body.filter((l) => l !== 'add %r4, 1'), 'mov %r0, 0', 'exit'].join('\n'), 5000);
    expect(endless.ok).toBe(false);
    expect(['infinite-loop', 'loop-termination', 'too-complex']).toContain(endless.error!.code);
  });
});

describe('verifier: a widening that loses what a rule needs', () => {
  it('explores the loop exactly instead: two counters stepping together index a map value', () => {
    // 16 iterations (more than the 8 unrolled before widening): r6 = 8 * r8, so r6 stays below 128; widened, the two
    // are unrelated ranges and the read looks out of bounds, so the loop is explored again exactly. The kernel (as
    // root: without CAP_PERFMON it refuses the variable pointer arithmetic) accepts this and rejects the 17-iteration one.
    const text = [
      'stw [%r10-4], 0', 'mov %r2, %r10', 'add %r2, -4', 'lddw %r1, map_fd 0', 'call 1', 'jeq %r0, 0, out',
      'mov %r6, 0', 'mov %r8, 0',
      'loop:', 'mov %r1, %r0', 'add %r1, %r6', 'ldxdw %r2, [%r1+0]', 'add %r6, 8', 'add %r8, 1', 'jlt %r8, 16, loop',
      'out:', 'mov %r0, 0', 'exit',
    ].join('\n');
    const maps = [{ name: 'values', type: 2, keySize: 4, valueSize: 128, maxEntries: 1 }];
    const ok = verifyProgram(assemble(text), { type: 'socket_filter', maps, privileged: true });
    expect(ok.error?.message).toBeUndefined();
    // One more iteration reads past the value: exact exploration finds it on the 17th.
    const bad = verifyProgram(assemble(text.replace('jlt %r8, 16', 'jlt %r8, 17')), { type: 'socket_filter', maps, privileged: true });
    expect(bad.ok).toBe(false);
    expect(bad.error!.message).toMatch(/outside the value of map "values"/);
  });
});
