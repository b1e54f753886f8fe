// The facts the verifier hands the JIT (src/verifier/facts.ts), checked by hand on small programs: which load and
// store pcs are proved in bounds (input, stack, map values, helper memory; never the context) and termination.
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { verifyProgram, type VerifyOptions } from '../src/verifier/index.js';

const facts = (text: string, opts: VerifyOptions = {}) => {
  const r = verifyProgram(assemble(text), opts);
  expect(r.error?.message).toBeUndefined();
  return { inBounds: [...r.facts.inBounds].sort((a, b) => a - b), terminates: r.facts.terminates };
};

const HASH = { name: 'h', type: 1, keySize: 4, valueSize: 8, maxEntries: 16 };
const RINGBUF = { name: 'rb', type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 };

describe('verifier facts', () => {
  it('input reads after a length check are in bounds; the check itself is no access', () => {
    expect(facts('mov %r0, 0\njlt %r2, 2, +3\nldxb %r0, [%r1]\nldxb %r3, [%r1+1]\nadd %r0, %r3\nexit')).toEqual({ inBounds: [2, 3], terminates: true });
  });

  it('a byte loop over the input bounded by r2: its load is in bounds and the program terminates', () => {
    const text = [
      'mov %r0, 0', 'mov %r3, 0', // 0, 1
      'loop:', 'jge %r3, %r2, out', // 2
      'mov %r4, %r1', 'add %r4, %r3', 'ldxb %r5, [%r4]', // 3, 4, 5
      'add %r0, %r5', 'add %r3, 1', 'ja loop', // 6, 7, 8
      'out:', 'exit', // 9
    ].join('\n');
    expect(facts(text)).toEqual({ inBounds: [5], terminates: true });
  });

  it('stack stores and loads, and a stack read through a copied frame pointer', () => {
    expect(facts('stdw [%r10-8], 7\nmov %r2, %r10\nstxdw [%r2-16], %r1\nldxdw %r0, [%r10-8]\nexit', { type: 'kprobe' })).toEqual({ inBounds: [0, 2, 3], terminates: true });
  });

  it('map value accesses after the null check are in bounds; context reads are not vouched for', () => {
    const text = [
      'ldxw %r6, [%r1+0]', // 0: ctx (socket_filter: __sk_buff len)
      'stw [%r10-4], 0', // 1: stack
      'lddw %r1, map_fd 0', // 2-3
      'mov %r2, %r10', 'add %r2, -4', // 4, 5
      'call 1', // 6: map_lookup_elem
      'jeq %r0, 0, +2', // 7
      'ldxdw %r1, [%r0+0]', // 8: map value
      'stxdw [%r0+0], %r6', // 9: map value
      'mov %r0, 0', 'exit', // 10, 11
    ].join('\n');
    expect(facts(text, { type: 'socket_filter', maps: [HASH] })).toEqual({ inBounds: [1, 8, 9], terminates: true });
  });

  it('a ring buffer record written before its submit', () => {
    const text = [
      'lddw %r1, map_fd 0', 'mov %r2, 16', 'mov %r3, 0', 'call 131', // 0-1, 2, 3, 4: ringbuf_reserve
      'jeq %r0, 0, +5', // 5
      'stdw [%r0+8], 1', // 6: helper memory
      'mov %r1, %r0', 'mov %r2, 0', 'call 132', // 7, 8, 9: ringbuf_submit
      'mov %r0, 0', 'exit', // 10, 11
    ].join('\n');
    expect(facts(text, { type: 'kprobe', maps: [RINGBUF] })).toEqual({ inBounds: [6], terminates: true });
  });

  it('context reads are apart: in ctxInBounds (for hosts with a fixed context layout), not in inBounds', () => {
    const r = verifyProgram(assemble('ldxdw %r0, [%r1+112]\nstdw [%r10-8], 1\nexit'), { type: 'kprobe' });
    expect([...r.facts.inBounds]).toEqual([1]);
    expect([...r.facts.ctxInBounds]).toEqual([0]);
  });

  it('atomics are proved aligned too: a misaligned one on a map value is rejected (the JIT drops the trap of proved ones)', () => {
    const lookup = ['stw [%r10-4], 0', 'mov %r2, %r10', 'add %r2, -4', 'lddw %r1, map_fd 0', 'call 1', 'jeq %r0, 0, out', 'mov %r1, 1'];
    const ok = verifyProgram(assemble([...lookup, 'lock add [%r0+0], %r1', 'out:', 'mov %r0, 0', 'exit'].join('\n')), { type: 'kprobe', maps: [HASH] });
    expect(ok.facts.inBounds.has(8)).toBe(true); // the lddw takes two slots
    const bad = verifyProgram(assemble([...lookup, 'lock add32 [%r0+2], %r1', 'out:', 'mov %r0, 0', 'exit'].join('\n')), { type: 'kprobe', maps: [HASH] });
    expect(bad.error?.message).toMatch(/misaligned atomic access: 4 bytes at offset 2 of the value of map "h"/);
  });

  it('a rejected program proves nothing', () => {
    const r = verifyProgram(assemble('ldxb %r0, [%r1]\nexit'));
    expect(r.ok).toBe(false);
    expect(r.facts).toEqual({ inBounds: new Set(), terminates: false, ctxInBounds: new Set() });
  });
});
