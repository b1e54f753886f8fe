// Robustness of the loader: mutated objects (truncations, bit flips, bogus offsets, sizes and counts written over
// header fields) give a spec or a typed LoadError, never another exception, an internal error, or a long run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { parseElf } from '../src/loader/elf.js';
import { ROOT } from './helpers.js';
import { buildExamples, HAS_CLANG } from './toolchain.js';

const seeds = [new Uint8Array(readFileSync(join(ROOT, 'examples', 'counter.bpf.o')))];
if (HAS_CLANG) {
  for (const name of ['events', 'tailcall']) seeds.push(new Uint8Array(readFileSync(join(buildExamples(), `${name}.bpf.o`))));
}

/** Offsets of header fields worth corrupting: ELF header, section headers, symbols, and the BTF header. */
function interesting(bytes: Uint8Array): number[] {
  const out = [0x20, 0x28, 0x3a, 0x3c, 0x3e];
  const elf = parseElf(bytes);
  const shoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0x28, true));
  elf.sections.forEach((s, i) => {
    for (const f of [0x4, 0x18, 0x20, 0x28, 0x2c]) out.push(shoff + i * 64 + f);
    if (s.name === '.BTF' || s.name === '.BTF.ext') for (let k = 4; k < 32; k += 4) out.push(s.offset + k);
    if (s.name === '.symtab') for (let k = 0; k < Math.min(s.size, 24 * 8); k += 4) out.push(s.offset + k);
  });
  return out.filter((o) => o + 8 <= bytes.length);
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: { at: number; bit: number }[] }
  | { kind: 'field'; which: number; value: number; wide: boolean };

const mutation = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 12 }) }),
    fc.record({
      kind: fc.constant('field' as const),
      which: fc.nat(),
      value: fc.oneof(fc.constantFrom(0, 1, 7, 8, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000), fc.nat()),
      wide: fc.boolean(),
    }),
  );

function apply(seed: Uint8Array, m: Mutation): Uint8Array {
  if (m.kind === 'truncate') return seed.slice(0, m.at % seed.length);
  const b = seed.slice();
  if (m.kind === 'flip') {
    for (const { at, bit } of m.bits) b[at % b.length] ^= 1 << bit;
    return b;
  }
  const offsets = interesting(seed);
  const at = offsets[m.which % offsets.length];
  const dv = new DataView(b.buffer);
  if (m.wide) dv.setBigUint64(at, BigInt(m.value) * 0x10001n, true);
  else dv.setUint32(at, m.value >>> 0, true);
  return b;
}

describe('loader robustness', () => {
  it('returns a spec or a LoadError for mutated objects, quickly', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), mutation(), (s, m) => {
        const bytes = apply(seeds[s], m);
        const started = performance.now();
        try {
          loadCollectionSpec(bytes);
        } catch (e) {
          if (!(e instanceof LoadError) || e.code === 'internal') {
            throw new Error(`mutation ${JSON.stringify(m)} of seed ${s}: ${e instanceof Error ? e.stack : String(e)}`);
          }
        }
        expect(performance.now() - started).toBeLessThan(2000);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1500) },
    );
  });
});
