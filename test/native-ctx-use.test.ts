// readsContext (src/native/ctx-use.ts): whether a program may read r1, its context's address, before writing it.
// A program that cannot is run without copying its context into the thread's slot, so a wrong "no" would give it
// stale registers: every case where r1 may flow anywhere must answer yes.
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/assembler.js';
import { readsContext } from '../src/native/ctx-use.js';

const reads = (text: string) => readsContext(assemble(text));

describe('readsContext', () => {
  it('is false when r1 is written before any use on every path', () => {
    expect(reads('mov %r0, 0\nexit')).toBe(false);
    expect(reads('mov %r1, 1\nstxw [%r10-4], %r1\nmov %r0, 0\nexit')).toBe(false);
    expect(reads('lddw %r1, 0x100000000\ncall 1\nexit')).toBe(false);
    expect(reads('ldxdw %r1, [%r10-8]\nmov %r0, %r1\nexit')).toBe(false);
    expect(reads('jeq %r2, 0, +2\nmov %r1, 1\nja +1\nmov %r1, 2\nmov %r0, %r1\nexit')).toBe(false);
  });

  it('is true when r1 is read, stored, passed to a call, or kept on some path', () => {
    expect(reads('ldxdw %r0, [%r1+112]\nexit')).toBe(true);
    expect(reads('mov %r6, %r1\nmov %r0, 0\nexit')).toBe(true);
    expect(reads('stxdw [%r10-8], %r1\nmov %r0, 0\nexit')).toBe(true);
    expect(reads('add %r1, 8\nmov %r0, 0\nexit')).toBe(true);
    expect(reads('call 1\nexit')).toBe(true);
    expect(reads('call local +1\nexit\nmov %r0, 0\nexit')).toBe(true);
    expect(reads('jeq %r2, 0, +1\nmov %r1, 1\nmov %r0, %r1\nexit')).toBe(true);
    expect(reads('jeq %r1, 0, +1\nmov %r1, 1\nmov %r0, 0\nexit')).toBe(true);
    // a loop back to a read of r1 after writing it elsewhere
    expect(reads('mov %r0, 0\nL: add %r0, 1\njgt %r0, 5, +1\nja L\nmov %r0, %r1\nexit')).toBe(true);
  });

  it('treats legacy packet loads as reading the context', () => {
    expect(reads('ldabsb 12\nexit')).toBe(true);
  });
});
