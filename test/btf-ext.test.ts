// parseBtfExt: func_info, line_info and CO-RE records per ELF section from clang objects (checked against the C
// source), forward-compatible record sizes, and a LoadError naming the block, section and record for bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { BtfKind, CoreReloKind, parseBtf, parseBtfExt } from '../src/loader/btf/index.js';
import { BtfBuilder, buildBtfExt } from './fixtures/btf/builder.js';
import { CLANG_SKIP, FIXTURES, compileFixture, hasClang } from './fixtures/btf/toolchain.js';
import { thrownAs } from './helpers.js';

const loadError = (f: () => unknown): LoadError => thrownAs(LoadError, f);

/** world builds a BTF with one function and the strings the crafted .BTF.ext records use. */
function world(littleEndian = true) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const proto = b.funcProto(int, []);
  const func = b.func('main_func', proto);
  const s = b.struct('s', 8, [['a', int, 0], ['b', int, 32]]);
  const strs = {
    sec: b.str('uprobe/x'),
    text: b.str('.text'),
    file: b.str('/src/x.c'),
    line: b.str('\treturn s->b;'),
    access: b.str('0:1'),
  };
  return { btf: parseBtf(b.build(littleEndian)), func, int, s, strs };
}

describe('parseBtfExt on built sections', () => {
  it('decodes records, stepping by a record size larger than known', () => {
    const w = world();
    const bytes = buildBtfExt({
      func: { recSize: 12, sections: [{ name: w.strs.sec, records: [[0, w.func, 0xdead]] }] },
      line: { recSize: 20, sections: [{ name: w.strs.sec, records: [[8, w.strs.file, w.strs.line, (12 << 10) | 5, 0xbeef], [16, w.strs.file, 0, 13 << 10]] }] },
      core: { recSize: 24, sections: [{ name: w.strs.text, records: [[24, w.s, w.strs.access, CoreReloKind.FIELD_BYTE_OFFSET, 7, 7]] }] },
    });
    const ext = parseBtfExt(bytes, w.btf);
    expect([...ext.funcInfo]).toEqual([['uprobe/x', [{ insn: 0, typeId: w.func, name: 'main_func' }]]]);
    expect(ext.lineInfo.get('uprobe/x')).toEqual([
      { insn: 1, file: '/src/x.c', text: '\treturn s->b;', line: 12, column: 5 },
      { insn: 2, file: '/src/x.c', text: '', line: 13, column: 0 },
    ]);
    expect(ext.coreRelos.get('.text')).toEqual([{ insn: 3, typeId: w.s, access: '0:1', kind: 0 }]);
    // The same section as a view at an odd offset of a larger buffer (as an ELF reader hands it over).
    const big = new Uint8Array(bytes.length + 5);
    big.set(bytes, 1);
    expect(parseBtfExt(big.subarray(1, 1 + bytes.length), w.btf)).toEqual(ext);
  });

  it('merges repeated sections, reads big-endian sections and short headers', () => {
    const w = world(false);
    const rec = { recSize: 8, sections: [{ name: w.strs.sec, records: [[0, w.func]] }, { name: w.strs.sec, records: [[16, w.func]] }] };
    const ext = parseBtfExt(buildBtfExt({ func: rec }, { littleEndian: false, hdrLen: 24 }), w.btf);
    expect(ext.funcInfo.get('uprobe/x')?.map((f) => f.insn)).toEqual([0, 2]);
    expect(ext.coreRelos.size).toBe(0);
    expect(ext.lineInfo.size).toBe(0);
  });

  it('reports malformed input with the block, section and record', () => {
    const w = world();
    const err = (bytes: Uint8Array, btf = w.btf): string => loadError(() => parseBtfExt(bytes, btf)).message;
    const func = (records: number[][], recSize = 8) => buildBtfExt({ func: { recSize, sections: [{ name: w.strs.sec, records }] } });
    const good = func([[0, w.func]]);
    const patch = (at: number, value: number, bytes = good): Uint8Array => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(at, value, true);
      return copy;
    };
    expect(err(good.subarray(0, 20))).toBe('BTF.ext: header needs 24 bytes, the section has 20');
    expect(err(patch(0, 0x1234))).toBe('BTF.ext: bad magic 0x1234, want 0xeb9f');
    expect(err(good, world(false).btf)).toBe('BTF.ext: byte order differs from the .BTF section');
    expect(err(patch(0, 0x2eb9f))).toBe('BTF.ext: unsupported version 2');
    expect(err(patch(4, 300))).toBe(`BTF.ext: header length 300 is outside 24..${good.length}`);
    expect(err(patch(12, 400))).toBe(`BTF.ext: func_info [0, 400) is beyond the ${good.length - 32} bytes after the header`);
    expect(err(patch(12, 4, patch(8, 2)))).toBe('BTF.ext: func_info offset 2 is not 4-byte aligned');
    expect(err(func([[0, w.func]], 4))).toBe('BTF.ext: func_info: record size 4 is below 8 or not a multiple of 4');
    expect(err(patch(12, 2))).toBe('BTF.ext: func_info: block of 2 bytes has no record size');
    expect(err(patch(12, 8))).toBe('BTF.ext: func_info: section header at offset 4 is truncated');
    expect(err(patch(32 + 8, 5))).toBe('BTF.ext: func_info: section uprobe/x: 5 records of 8 bytes overrun the block');
    expect(err(patch(32 + 4, 9999))).toBe('BTF.ext: func_info: section header at offset 4: section name offset 9999 is beyond the BTF string section');
    expect(err(func([[4, w.func]]))).toBe('BTF.ext: func_info: section uprobe/x: record 0: instruction offset 4 is not a multiple of 8');
    expect(err(func([[0, w.int]]))).toBe(`BTF.ext: func_info: section uprobe/x: record 0: type ${w.int} is a INT, not a FUNC`);
    expect(err(func([[0, 77]]))).toBe('BTF.ext: func_info: section uprobe/x: record 0: type 77 is beyond the last type 4');
    const line = buildBtfExt({ line: { recSize: 16, sections: [{ name: w.strs.sec, records: [[8, 5000, 0, 0]] }] } });
    const e = loadError(() => parseBtfExt(line, w.btf));
    expect(e.message).toBe('BTF.ext: line_info: section uprobe/x: record 0: file name offset 5000 is beyond the BTF string section');
    expect(e.location).toEqual({ section: 'uprobe/x', pc: 1 });
    const core = buildBtfExt({ core: { recSize: 16, sections: [{ name: w.strs.sec, records: [[0, 99, w.strs.access, 0]] }] } });
    expect(err(core)).toBe('BTF.ext: core_relo: section uprobe/x: record 0: type 99 is beyond the last type 4');
  });
});

describe.skipIf(!hasClang)(`parseBtfExt on clang output${CLANG_SKIP ? ` (${CLANG_SKIP})` : ''}`, () => {
  it('finds the functions and the source lines of each section', () => {
    const { btf: btfBytes, ext: extBytes } = compileFixture('kinds');
    const btf = parseBtf(btfBytes);
    const ext = parseBtfExt(extBytes, btf);
    const id = (name: string) => btf.findByName(name, BtfKind.FUNC)[0];
    expect(Object.fromEntries(ext.funcInfo)).toEqual({
      'uprobe/kinds': [{ insn: 0, typeId: id('kinds_prog'), name: 'kinds_prog' }],
      '.text': [{ insn: 0, typeId: id('helper'), name: 'helper' }],
    });
    const source = readFileSync(join(FIXTURES, 'kinds.c'), 'utf8').split('\n');
    expect([...ext.lineInfo.keys()].sort()).toEqual(['.text', 'uprobe/kinds']);
    for (const [, lines] of ext.lineInfo) {
      expect(lines.length).toBeGreaterThan(2);
      lines.forEach((l, i) => {
        expect(l.file.endsWith('kinds.c')).toBe(true);
        if (i > 0) expect(l.insn).toBeGreaterThan(lines[i - 1].insn);
        // clang records the line's text as written; line 0 marks compiler-made code.
        if (l.line > 0) {
          expect(l.text).toBe(source[l.line - 1]);
          expect(l.column).toBeLessThanOrEqual(source[l.line - 1].length + 1);
        }
      });
    }
    expect(ext.lineInfo.get('uprobe/kinds')![0]).toMatchObject({ insn: 0, text: 'int kinds_prog(struct record *r)' });
    expect(ext.coreRelos.size).toBe(0);
  });

  it('lists CO-RE relocations with their access strings', () => {
    const { btf: btfBytes, ext: extBytes } = compileFixture('core-local');
    const btf = parseBtf(btfBytes);
    const relos = parseBtfExt(extBytes, btf).coreRelos.get('raw_tracepoint/core')!;
    expect(relos).toHaveLength(33);
    const task = btf.findByName('task', BtfKind.STRUCT)[0];
    expect(relos[0]).toEqual({ insn: 1, typeId: task, access: '0:11:2', kind: CoreReloKind.FIELD_BYTE_OFFSET });
    expect(relos.map((r) => r.kind).sort((a, b) => a - b)[32]).toBe(CoreReloKind.ENUMVAL_VALUE);
  });

  it('reads big-endian objects to the same functions and lines', () => {
    const le = compileFixture('kinds');
    const be = compileFixture('kinds', 'bpfeb');
    const a = parseBtfExt(le.ext, parseBtf(le.btf));
    const b = parseBtfExt(be.ext, parseBtf(be.btf));
    expect(b.funcInfo).toEqual(a.funcInfo);
    // Code generation differs a little between the byte orders (bitfield access), so compare the lines only.
    const lines = (m: typeof a.lineInfo) => [...m].map(([sec, ls]) => [sec, [...new Set(ls.map((l) => `${l.line}:${l.text}`))]]);
    expect(lines(b.lineInfo)).toEqual(lines(a.lineInfo));
  });
});
