// formatValue (bpftool-shaped JSON values) and formatTypeC (C declarations): every kind of value from clang's BTF in
// both byte orders and from built blobs for what clang 14 does not emit, plus the bounds and budget errors.
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { BtfKind, fixupDatasecs, formatTypeC, formatValue, parseBtf, type Btf } from '../src/loader/btf/index.js';
import { BtfBuilder } from './fixtures/btf/builder.js';
import { CLANG_SKIP, compileFixture, hasClang } from './fixtures/btf/toolchain.js';
import { thrownAs } from './helpers.js';

const loadError = (f: () => unknown): LoadError => thrownAs(LoadError, f);

/** recordBytes fills a `struct record` of kinds.c (152 bytes) in either byte order. */
function recordBytes(le: boolean): Uint8Array {
  const buf = new Uint8Array(152);
  const v = new DataView(buf.buffer);
  v.setInt32(0, -5, le);
  buf.set(new TextEncoder().encode('hello\0'), 4);
  buf.set([1, 2, 3, 4], 20);
  v.setBigInt64(24, -1n, le);
  v.setBigInt64(24 + 5 * 8, 1n << 60n, le);
  v.setUint32(80, 0x0002_0001, le);
  v.setUint32(84, 5, le);
  v.setFloat32(88, 1.5, le);
  v.setFloat64(96, -2.25, le);
  v.setBigUint64(104, 0xffff_8880_1234_5678n, le);
  return buf;
}

const recordCommon = {
  id: -5,
  name: 'hello',
  bytes: [1, 2, 3, 4],
  counts: [
    [-1, 0, 0],
    [0, 0, '1152921504606846976'],
  ],
  raw: 0x20001,
  color: 'GREEN',
  ratio: 1.5,
  weight: -2.25,
  opaque: '0xffff888012345678',
  cv: '0x0',
  cp: '0x0',
  uptr: '0x0',
  handler: '0x0',
  matrix: '0x0',
};

describe.skipIf(!hasClang)(`formatValue on clang's BTF${CLANG_SKIP ? ` (${CLANG_SKIP})` : ''}`, () => {
  it('formats a struct like bpftool, flattening anonymous members and decoding bitfields', () => {
    const btf = parseBtf(compileFixture('kinds').btf);
    const rec = btf.findByName('record', BtfKind.STRUCT)[0];
    const bytes = recordBytes(true);
    bytes[72] = 0b1010_1101; // a = 0b101, b = 0b10101
    bytes.set([0x45, 0x23, 0x01, 0, 0], 73); // wide = 0x12345
    bytes[78] = 1;
    expect(formatValue(btf, rec, bytes)).toEqual({ ...recordCommon, fl: { a: 5, b: -11, wide: 0x12345, on: true }, lo: 1, hi: 2 });
    // The same value inside a larger buffer.
    const padded = new Uint8Array(200);
    padded.set(bytes, 30);
    expect(formatValue(btf, rec, padded, 30)).toEqual(formatValue(btf, rec, bytes));
    expect(JSON.parse(JSON.stringify(formatValue(btf, rec, bytes)))).toEqual(formatValue(btf, rec, bytes));
  });

  it('formats big-endian values, bitfields numbered from the top', () => {
    const btf = parseBtf(compileFixture('kinds', 'bpfeb').btf);
    const rec = btf.findByName('record', BtfKind.STRUCT)[0];
    const bytes = recordBytes(false);
    bytes[72] = 0b1011_0101; // a = 0b101 (top bits), b = 0b10101
    bytes.set([0, 0, 0x01, 0x23, 0x45], 73);
    bytes[78] = 0;
    expect(formatValue(btf, rec, bytes)).toEqual({ ...recordCommon, fl: { a: 5, b: -11, wide: 0x12345, on: false }, lo: 2, hi: 1 });
  });

  it('formats variables and sections once their layout is fixed up from the ELF file', () => {
    const btf = parseBtf(compileFixture('kinds').btf);
    const data = btf.findByName('.data', BtfKind.DATASEC)[0];
    const symbols: Record<string, number> = { counter: 0, big_value: 4, limit: 0, scratch: 0, records: 0, LICENSE: 0 };
    fixupDatasecs(btf, { sectionSize: (name) => ({ '.data': 8, '.rodata': 4, '.bss': 8, '.maps': 32, license: 4 })[name], symbolOffset: (n) => symbols[n] });
    expect(btf.type(data)).toMatchObject({ size: 8, vars: [{ offset: 0 }, { offset: 4 }] });
    const bytes = Uint8Array.from([7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(formatValue(btf, data, bytes)).toEqual({ '.data': [{ counter: 7 }, { big_value: 'HUGE' }] });
    const limit = btf.findByName('limit', BtfKind.VAR)[0];
    expect(formatValue(btf, limit, Uint8Array.from([100, 0, 0, 0]))).toEqual({ limit: 100 });
    const missing = parseBtf(compileFixture('kinds').btf);
    expect(loadError(() => fixupDatasecs(missing, { sectionSize: () => 8, symbolOffset: () => undefined })).message).toMatch(
      /^BTF: type \d+: section \.bss: variable scratch has no ELF symbol$/,
    );
  });
});

describe('formatValue on built BTF', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true }); // 1
  const u64 = b.int('unsigned long long', 8); // 2
  const s64 = b.int('long long', 8, { signed: true }); // 3
  const i128 = b.int('__int128', 16, { signed: true }); // 4
  const ch = b.int('char', 1, { signed: true }); // 5
  const chEnc = b.int('uchar', 1, { char: true }); // 6
  const bool = b.int('_Bool', 1, { bool: true }); // 7
  const half = b.float('_Float16', 2); // 8
  const sEnum = b.enum('sign', 4, [['NEG', -1], ['POS', 1]], true); // 9
  const byteEnum = b.enum('small', 1, [['ALL', 0xff]]); // 10
  const e64 = b.enum64('wide', 8, [['TOP', 1n << 63n]]); // 11
  const str = b.array(ch, int, 4); // 12
  const chTypedef = b.typedef('mychar', ch); // 13
  const typedefArr = b.array(chTypedef, int, 3); // 14
  const empty = b.array(ch, int, 0); // 15
  const odd = b.int('odd', 2, { bits: 12, offset: 2 }); // 16
  const proto = b.struct('weird', 4, [['__proto__', int, 0]]); // 17
  const fwd = b.fwd('opaque'); // 18
  const nothing = b.struct('nothing', 0, []); // 19
  const many = b.array(nothing, int, 1 << 21); // 20
  const bits = b.struct('bits', 8, [['e', sEnum, 0, 2], ['u', int, 2, 30], ['big', u64, 32, 32]]); // 21
  const btf: Btf = parseBtf(b.build());
  const le = (n: bigint, size: number) => {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = Number((BigInt.asUintN(size * 8, n) >> BigInt(8 * i)) & 0xffn);
    return out;
  };

  it('formats integers exactly, as numbers when safe and strings beyond 2^53', () => {
    expect(formatValue(btf, u64, le(2n ** 53n - 1n, 8))).toBe(2 ** 53 - 1);
    expect(formatValue(btf, u64, le(2n ** 64n - 1n, 8))).toBe('18446744073709551615');
    expect(formatValue(btf, s64, le(-(2n ** 63n), 8))).toBe('-9223372036854775808');
    expect(formatValue(btf, s64, le(-3n, 8))).toBe(-3);
    expect(formatValue(btf, i128, le((1n << 100n) + 5n, 16))).toBe('0x10000000000000000000000005');
    expect(formatValue(btf, ch, le(-2n, 1))).toBe(-2);
    expect(formatValue(btf, chEnc, Uint8Array.of(0x41))).toBe('A');
    expect(formatValue(btf, bool, Uint8Array.of(0))).toBe(false);
    expect(formatValue(btf, bool, Uint8Array.of(1))).toBe(true);
    expect(formatValue(btf, odd, le(0b1111_1111_1111_01n, 2))).toBe(0xfff);
  });

  it('formats enums by name when a value matches', () => {
    expect(formatValue(btf, sEnum, le(-1n, 4))).toBe('NEG');
    expect(formatValue(btf, sEnum, le(-7n, 4))).toBe(-7);
    expect(formatValue(btf, byteEnum, Uint8Array.of(0xff))).toBe('ALL');
    expect(formatValue(btf, e64, le(1n << 63n, 8))).toBe('TOP');
    expect(formatValue(btf, e64, le(3n, 8))).toBe(3);
    expect(formatValue(btf, bits, le((0x5n << 32n) | (7n << 2n) | 0b11n, 8))).toEqual({ e: 'NEG', u: 7, big: 5 });
  });

  it('formats floats, strings and arrays', () => {
    expect(formatValue(btf, half, le(0x3c00n, 2))).toBe(1);
    expect(formatValue(btf, half, le(0xc000n, 2))).toBe(-2);
    expect(formatValue(btf, half, le(0x7c00n, 2))).toBe('Infinity');
    expect(formatValue(btf, half, le(0x7e00n, 2))).toBe('NaN');
    expect(formatValue(btf, str, Uint8Array.from([104, 105, 0, 9]))).toBe('hi');
    expect(formatValue(btf, str, Uint8Array.from([104, 105, 106, 107]))).toEqual([104, 105, 106, 107]);
    expect(formatValue(btf, str, Uint8Array.from([104, 10, 0, 0]))).toEqual([104, 10, 0, 0]);
    expect(formatValue(btf, typedefArr, Uint8Array.from([104, 0, 0]))).toEqual([104, 0, 0]);
    expect(formatValue(btf, empty, new Uint8Array(0))).toEqual([]);
    const v = formatValue(btf, proto, le(9n, 4)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(JSON.stringify(v)).toBe('{"__proto__":9}');
  });

  it('reports what it cannot format', () => {
    expect(loadError(() => formatValue(btf, int, Uint8Array.of(1, 2))).message).toBe('BTF: type 1: value needs bytes [0, 4), the buffer has 2');
    expect(loadError(() => formatValue(btf, int, new Uint8Array(8), 6)).message).toBe('BTF: type 1: value needs bytes [6, 10), the buffer has 8');
    expect(loadError(() => formatValue(btf, fwd, new Uint8Array(8))).message).toBe('BTF: type 18: cannot format a value of kind FWD');
    expect(loadError(() => formatValue(btf, 0, new Uint8Array(8))).message).toBe('BTF: type 0: cannot format a value of kind UNKN');
    expect(loadError(() => formatValue(btf, many, new Uint8Array(0))).message).toBe('BTF: type 19: value has more than 1048576 parts');
  });
});

describe.skipIf(!hasClang)(`formatTypeC${CLANG_SKIP ? ` (${CLANG_SKIP})` : ''}`, () => {
  it('prints C declarations one level deep', () => {
    const btf = parseBtf(compileFixture('kinds').btf);
    const id = (name: string, kind: number) => btf.findByName(name, kind)[0];
    expect(formatTypeC(btf, id('record', BtfKind.STRUCT))).toBe(
      [
        'struct record {',
        '\tint id;',
        '\tchar name[16];',
        '\tunsigned char bytes[4];',
        '\tlong long counts[2][3];',
        '\tstruct flags fl;',
        '\tunion {...};',
        '\tenum color color;',
        '\tfloat ratio;',
        '\tdouble weight;',
        '\tstruct fwd_only *opaque;',
        '\tconst volatile int *cv;',
        '\tint *const cp;',
        '\tchar *uptr;',
        '\thandler_t handler;',
        '\tint (*matrix)[4];',
        '};',
      ].join('\n'),
    );
    expect(formatTypeC(btf, id('flags', BtfKind.STRUCT))).toBe(
      'struct flags {\n\tunsigned int a: 3;\n\tint b: 5;\n\tunsigned long long wide: 40;\n\t_Bool on;\n};',
    );
    expect(formatTypeC(btf, id('color', BtfKind.ENUM))).toBe('enum color {\n\tRED = 0,\n\tGREEN = 5,\n\tBLUE = 4294967295,\n};');
    expect(formatTypeC(btf, id('handler_t', BtfKind.TYPEDEF))).toBe('typedef int (*handler_t)(int, const char *);');
    expect(formatTypeC(btf, id('helper', BtfKind.FUNC))).toBe('static int helper(int x, ...);');
    expect(formatTypeC(btf, id('kinds_prog', BtfKind.FUNC))).toBe('int kinds_prog(struct record *r);');
    expect(formatTypeC(btf, id('limit', BtfKind.VAR))).toBe('const volatile int limit;');
    expect(formatTypeC(btf, id('fwd_only', BtfKind.FWD))).toBe('struct fwd_only;');
    expect(formatTypeC(btf, id('.data', BtfKind.DATASEC))).toBe(
      'SEC(".data") {\n\tint counter; /* offset 0, size 4 */\n\tenum big big_value; /* offset 0, size 4 */\n};',
    );
    expect(formatTypeC(btf, id('record_tag', BtfKind.DECL_TAG))).toMatch(/^__attribute__\(\(btf_decl_tag\("record_tag"\)\)\) \/\* on type \d+ \(STRUCT\) \*\/$/);
    expect(formatTypeC(btf, btf.resolve(id('handler_t', BtfKind.TYPEDEF)))).toBe('int (*)(int, const char *)');
  });
});
