/** fast-check generators shared by the property tests: 64-bit values biased to edge cases, valid instructions. */
import fc from 'fast-check';

const EDGES_64 = [
  0n, 1n, 2n, 7n, 31n, 32n, 63n, 64n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
  0xffffffffffffffffn, 0xfffffffffffffffen, 0xffffffff80000000n, 0xffffffff00000000n,
];
const EDGES_32 = [0, 1, -1, 2, -2, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0xffff, -0x8000, 0x7f, -0x80];

/** u64 generates unsigned 64-bit values, often edge values. */
export const u64 = (): fc.Arbitrary<bigint> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...EDGES_64) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -1000n, max: 1000n }).map((v) => BigInt.asUintN(64, v)) },
  );

/** i32 generates signed 32-bit immediates, often edge values. */
export const i32 = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...EDGES_32) },
    { weight: 2, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
    { weight: 1, arbitrary: fc.integer({ min: -100, max: 100 }) },
  );
