// Differential property test of inline hash map operations (src/jit-wasm/inline-map.ts): random sequences of
// lookups, updates (every flag), deletes, copies between elements and lookups through unusual key pointers, on
// random key sizes, value sizes and capacities, give the same r0 or error, steps and map contents on the interpreter
// and both JIT tiers. INLINE_MAP_RUNS raises the case count.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend, type BackendName } from '../src/runtime/backends.js';
import { Driver, type Op, type OpName } from './jit-inline-map-support.js';

const RUNS = Number(process.env.INLINE_MAP_RUNS ?? 100);
const ENGINES: BackendName[] = ['interp', 'wasm-fast', 'wasm-opt'];
/**
 * Keys range over a few more than the largest capacity, so maps fill up and lookups miss; some differ only in their
 * high word (8-byte keys), and some only above the key's size.
 */
const KEYS = 16;
const key = fc.oneof(fc.integer({ min: 0, max: KEYS - 1 }), fc.integer({ min: 0, max: 3 }).map((k) => (BigInt(k) << 32n) | 1n), fc.constantFrom(1n << 56n, 0x1_0000n));

const op: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom<OpName>('lookup', 'lookup', 'update', 'update', 'delete', 'copy', 'ctxKey', 'rawKey', 'otherMap'),
  key,
  value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  flags: fc.constantFrom(0n, 0n, 1n, 2n, 3n, 4n, 6n, 8n, 1n << 32n),
  key2: fc.oneof(fc.bigInt({ min: 0n, max: BigInt(KEYS - 1) }), fc.constantFrom(0n, 1n << 40n, 2n ** 64n - 1n)),
  shift: fc.constantFrom(0, 0, 4, 8),
});

describe('inline hash map operations agree with the interpreter', () => {
  beforeAll(() => prepareBackend('wasm-opt'));
  it(`on ${RUNS} random operation sequences (r0 or error, steps, map contents)`, () => {
    fc.assert(
      fc.property(
        fc.record({
          keySize: fc.integer({ min: 1, max: 8 }),
          valueSize: fc.constantFrom(4, 8, 12, 16),
          maxEntries: fc.integer({ min: 1, max: 12 }),
        }),
        fc.array(op, { maxLength: 60 }),
        (map, ops) => {
          const [ref, ...others] = ENGINES.map((e) => {
            const d = new Driver(e, map);
            return [...ops.map((o) => d.run(o)), ...d.contents()];
          });
          for (const o of others) expect(o).toEqual(ref);
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);
});
