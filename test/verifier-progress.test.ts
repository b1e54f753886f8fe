// VerifyOptions.onProgress: a call every `progressEvery` instructions processed, with the statistics so far, that
// changes nothing of the verification (the CLI's `verify` uses it to turn V8's optimising compiler back on).
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { verifyProgram, type VerifyStats } from '../src/verifier/index.js';
import { generate } from '../bench/compile.js';

const PROGRAM = assemble(generate(1000));
const without = (s: VerifyStats) => ({ ...s, ms: 0 });

describe('verifier: progress reports', () => {
  it('calls onProgress at each multiple of progressEvery, with the count processed so far, and changes no verdict', () => {
    const plain = verifyProgram(PROGRAM);
    expect(plain.ok).toBe(true);
    const seen: number[] = [];
    const r = verifyProgram(PROGRAM, { progressEvery: 500, onProgress: (s) => seen.push(s.insnsProcessed) });
    expect(without(r.stats)).toEqual(without(plain.stats));
    expect(seen.length).toBe(Math.floor((plain.stats.insnsProcessed - 1) / 500));
    seen.forEach((n, i) => expect(n).toBe(501 + 500 * i));
  });

  it('never calls it for a verification shorter than one period', () => {
    let calls = 0;
    expect(verifyProgram(PROGRAM, { progressEvery: 1_000_000, onProgress: () => calls++ }).ok).toBe(true);
    expect(calls).toBe(0);
  });

  it('keeps the complexity limit exact: the same rejection at the same count, reports up to it', () => {
    const plain = verifyProgram(PROGRAM, { maxInsns: 1234 });
    const seen: number[] = [];
    const r = verifyProgram(PROGRAM, { maxInsns: 1234, progressEvery: 400, onProgress: (s) => seen.push(s.insnsProcessed) });
    expect(plain.ok).toBe(false);
    expect(r.error?.message).toBe(plain.error?.message);
    expect(r.error?.message).toMatch(/more than 1234 instructions processed/);
    expect(without(r.stats)).toEqual(without(plain.stats));
    expect(seen).toEqual([401, 801, 1201]);
  });
});
