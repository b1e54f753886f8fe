// The BTF layer returns data or throws LoadError for any input, and never hangs (STYLE.md 10): valid .BTF and
// .BTF.ext blobs are mutated (truncations, bit flips, bogus counts, offsets, lengths and type ids) and then parsed,
// and whatever parses is queried, printed, formatted and CO-RE-relocated.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { insn, type Insn } from '../src/isa/index.js';
import {
  calcCoreRelo,
  formatTypeC,
  formatValue,
  isComposite,
  parseBtf,
  parseBtfExt,
  patchCoreInsn,
  type Btf,
} from '../src/loader/btf/index.js';
import { BtfBuilder, buildBtfExt } from './fixtures/btf/builder.js';
import { compileFixture, hasClang } from './fixtures/btf/toolchain.js';

/** A seed: a .BTF blob and a .BTF.ext that goes with it. */
interface Seed {
  btf: Uint8Array;
  ext: Uint8Array;
}

function builtSeed(littleEndian: boolean): Seed {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true }); // 1
  const ch = b.int('char', 1, { signed: true }); // 2
  const arr = b.array(ch, int, 8); // 3
  const s = b.struct('s', 24, [['a', int, 0], ['bits', int, 32, 5], ['name', arr, 64], ['next', 5, 128]]); // 4
  b.ptr(s); // 5
  const u = b.struct('', 8, [['x', int, 0], ['y', 1, 0]], true); // 6
  b.struct('outer', 32, [['', u, 0], ['s', s, 64]]); // 7
  b.enum('e', 4, [['A', 1], ['B', -1]], true); // 8
  b.enum64('w', 8, [['BIG', 1n << 40n]]); // 9
  const proto = b.funcProto(int, [['p', 5], ['', 0]]); // 10
  b.func('f', proto); // 11
  b.typedef('s_t', s); // 12
  b.const(12); // 13
  b.volatile(13); // 14
  b.typeTag('user', 5); // 15
  b.var('v', s); // 16
  b.datasec('.data', 24, [[16, 0, 24]]); // 17
  b.float('float', 4); // 18
  b.declTag('tag', s, 0); // 19
  b.fwd('later'); // 20
  const strs = { sec: b.str('prog'), file: b.str('/x.c'), line: b.str('\treturn 0;'), access: b.str('0:2:3'), zero: b.str('0') };
  const btf = b.build(littleEndian);
  const ext = buildBtfExt(
    {
      func: { recSize: 8, sections: [{ name: strs.sec, records: [[0, 11]] }] },
      line: { recSize: 16, sections: [{ name: strs.sec, records: [[0, strs.file, strs.line, (3 << 10) | 2], [8, strs.file, 0, 4 << 10]] }] },
      core: {
        recSize: 16,
        sections: [
          {
            name: strs.sec,
            records: [
              [0, 4, strs.access, 0],
              [8, 12, strs.zero, 9],
              [16, 8, strs.zero, 11],
              [24, 7, strs.zero, 12],
            ],
          },
        ],
      },
    },
    { littleEndian },
  );
  return { btf, ext };
}

const seeds: Seed[] = [builtSeed(true), builtSeed(false)];
if (hasClang) {
  for (const name of ['kinds', 'core-local']) {
    const c = compileFixture(name);
    seeds.push({ btf: c.btf, ext: c.ext });
  }
}

type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'word'; at: number; value: number }
  | { op: 'header'; field: number; value: number };

// Small values (type ids, counts, offsets near the real ones) keep many blobs parseable, so the queries on the
// result get exercised too; the extremes probe the bounds checks.
const interesting = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 4 },
  { arbitrary: fc.constantFrom(0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000000, 0x84000000), weight: 2 },
  { arbitrary: fc.nat(), weight: 1 },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('word' as const), at: fc.nat(), value: interesting }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('header' as const), field: fc.integer({ min: 1, max: 7 }), value: interesting }), weight: 1 },
);

function mutate(bytes: Uint8Array, ms: Mutation[], le: boolean): Uint8Array {
  let out = bytes.slice();
  for (const m of ms) {
    if (out.length === 0) break;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    switch (m.op) {
      case 'truncate':
        out = out.slice(0, m.at % (out.length + 1));
        break;
      case 'flip':
        out[m.at % out.length] ^= 1 << m.bit;
        break;
      case 'word': {
        const words = Math.floor(out.length / 4);
        if (words > 0) view.setUint32((m.at % words) * 4, m.value >>> 0, le);
        break;
      }
      case 'header':
        if (m.field * 4 + 4 <= out.length) view.setUint32(m.field * 4, m.value >>> 0, le);
        break;
    }
  }
  return out;
}

/** onlyLoadError runs f; anything thrown must be a LoadError. */
function onlyLoadError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    return undefined;
  }
}

const MAX_TYPES_EXERCISED = 400;

/** exercise calls every query on every type (up to a cap) and formats a value of each. */
function exercise(btf: Btf, bytes: Uint8Array): void {
  const n = Math.min(btf.types.length, MAX_TYPES_EXERCISED);
  for (let id = 0; id < n; id++) {
    onlyLoadError(() => btf.typeName(id));
    onlyLoadError(() => btf.sizeOf(id));
    onlyLoadError(() => btf.alignOf(id));
    onlyLoadError(() => btf.resolve(id));
    onlyLoadError(() => formatTypeC(btf, id));
    onlyLoadError(() => formatValue(btf, id, bytes));
    if (isComposite(btf.types[id])) onlyLoadError(() => btf.members(id));
    onlyLoadError(() => btf.findByName(btf.types[id].name));
  }
}

const RUN_TIME_LIMIT_MS = 3000;
const valueBytes = fc.uint8Array({ minLength: 0, maxLength: 96 });

describe('BTF layer under mutated input', () => {
  it('parseBtf returns or throws LoadError, and what it returns can be used safely', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), valueBytes, (pick, ms, value) => {
        const seed = seeds[pick % seeds.length];
        const le = seed.btf[0] === 0x9f;
        const t0 = performance.now();
        const btf = onlyLoadError(() => parseBtf(mutate(seed.btf, ms, le)));
        if (btf) {
          exercise(btf, value);
          const ext = onlyLoadError(() => parseBtfExt(seed.ext, btf));
          for (const relos of ext?.coreRelos.values() ?? []) {
            for (const r of relos) onlyLoadError(() => calcCoreRelo(btf, r, btf));
          }
          // The seed's own relocations against the mutated blob as a target.
          const valid = parseBtf(seed.btf);
          for (const relos of onlyLoadError(() => parseBtfExt(seed.ext, valid))?.coreRelos.values() ?? []) {
            for (const r of relos) onlyLoadError(() => calcCoreRelo(valid, r, btf));
          }
        }
        expect(performance.now() - t0).toBeLessThan(RUN_TIME_LIMIT_MS);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseBtfExt returns or throws LoadError, and its relocations can be computed and applied safely', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (pick, ms) => {
        const seed = seeds[pick % seeds.length];
        const le = seed.btf[0] === 0x9f;
        const btf = parseBtf(seed.btf);
        const t0 = performance.now();
        const ext = onlyLoadError(() => parseBtfExt(mutate(seed.ext, ms, le), btf));
        for (const relos of ext?.coreRelos.values() ?? []) {
          for (const r of relos) {
            const insns: Insn[] = Array.from({ length: 130 }, (_, i) => insn(i % 2 ? 0x61 : 0xb7, 1, 2, 0, 0));
            const result = onlyLoadError(() => calcCoreRelo(btf, r, btf));
            if (result) onlyLoadError(() => patchCoreInsn(insns, r.insn, result));
            onlyLoadError(() => calcCoreRelo(btf, r, undefined));
          }
        }
        for (const lines of ext?.lineInfo.values() ?? []) for (const l of lines) expect(l.column).toBeLessThan(1024);
        expect(performance.now() - t0).toBeLessThan(RUN_TIME_LIMIT_MS);
      }),
      { numRuns: 1000 },
    );
  });

  it('never hangs on self-referencing counts in a valid-looking header', () => {
    for (const seed of seeds) {
      const le = seed.btf[0] === 0x9f;
      // A type section that claims the whole blob, a string section of one byte.
      const a = mutate(seed.btf, [{ op: 'header', field: 3, value: seed.btf.length - 24 }], le);
      expect(onlyLoadError(() => parseBtf(a))).toBeUndefined();
      const b = mutate(seed.btf, [{ op: 'header', field: 5, value: 1 }], le);
      onlyLoadError(() => parseBtf(b));
    }
  });
});
