// src/vm/int64.ts against BigInt arithmetic, function by function.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as I from '../src/vm/int64.js';
import { u64 } from './arbitraries.js';

const M = 2n ** 64n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const pair = (v: bigint) => {
  const P = new Int32Array(2);
  I.setU64(P, 0, v);
  return P;
};
const words = (v: bigint): [number, number] => {
  const P = pair(v);
  return [P[0], P[1]];
};

type Binary = (P: Int32Array, i: number, bl: number, bh: number) => void;
const binaries: [string, Binary, (a: bigint, b: bigint) => bigint][] = [
  ['add64', I.add64, (a, b) => a + b],
  ['sub64', I.sub64, (a, b) => a - b],
  ['mul64', I.mul64, (a, b) => a * b],
  ['divU64', I.divU64, (a, b) => (b === 0n ? 0n : a / b)],
  ['modU64', I.modU64, (a, b) => (b === 0n ? a : a % b)],
  ['sdiv64', I.sdiv64, (a, b) => (b === 0n ? 0n : s64(a) / s64(b))],
  ['smod64', I.smod64, (a, b) => (b === 0n ? a : s64(a) % s64(b))],
];

describe('int64', () => {
  it.each(binaries)('%s', (_name, fn, ref) => {
    fc.assert(
      fc.property(u64(), u64(), (a, b) => {
        const P = pair(a);
        fn(P, 0, ...words(b));
        expect(I.toU64(P, 0)).toBe(BigInt.asUintN(64, ref(a, b)));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['lsh64', I.lsh64, (a: bigint, n: bigint) => a << n],
    ['rsh64', I.rsh64, (a: bigint, n: bigint) => a >> n],
    ['ashr64', I.ashr64, (a: bigint, n: bigint) => s64(a) >> n],
  ] as const)('%s masks the count to 6 bits', (_name, fn, ref) => {
    fc.assert(
      fc.property(u64(), fc.integer({ min: -300, max: 300 }), (a, n) => {
        const P = pair(a);
        fn(P, 0, n);
        expect(I.toU64(P, 0)).toBe(BigInt.asUintN(64, ref(a, BigInt(n & 63))));
      }),
      { numRuns: 5000 },
    );
  });

  it('neg64, bswap64 and the comparisons', () => {
    fc.assert(
      fc.property(u64(), u64(), (a, b) => {
        const P = pair(a);
        I.neg64(P, 0);
        expect(I.toU64(P, 0)).toBe((M - a) % M);
        const Q = pair(a);
        I.bswap64(Q, 0);
        let swapped = 0n;
        for (let k = 0; k < 8; k++) swapped = (swapped << 8n) | ((a >> BigInt(8 * k)) & 0xffn);
        expect(I.toU64(Q, 0)).toBe(swapped);
        expect(I.ltU64(...words(a), ...words(b))).toBe(a < b);
        expect(I.ltS64(...words(a), ...words(b))).toBe(s64(a) < s64(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('mulHiU32 is the high word of a 32x32 product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b) => {
        expect(I.mulHiU32(a, b) >>> 0).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }),
      { numRuns: 5000 },
    );
  });

  it('32-bit division and remainder follow the eBPF zero and overflow rules', () => {
    expect(I.divU32(7, 0)).toBe(0);
    expect(I.modU32(7, 0)).toBe(7);
    expect(I.sdiv32(-0x80000000, -1)).toBe(-0x80000000);
    expect(I.smod32(-0x80000000, -1)).toBe(0);
    expect(I.sdiv32(-7, 2)).toBe(-3);
    expect(I.smod32(-7, 2)).toBe(-1);
    expect(I.divU32(-1, 2)).toBe(0x7fffffff);
  });

  it('setNumber sign-extends safe integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const P = new Int32Array(2);
        I.setNumber(P, 0, n);
        expect(I.toS64(P, 0)).toBe(BigInt(n));
      }),
      { numRuns: 2000 },
    );
  });
});
