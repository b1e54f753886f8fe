// The .data reader as the official runner parses since bpf_conformance#242 (2024): a `#` comment is removed from
// every line before directives are looked for, so `--` inside a comment switches nothing and comments add nothing to
// raw slots, memory or results. And `bpftime-vm conformance DIR` finds tests in subdirectories.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConformanceFile, programOf } from '../conformance/reader.js';
import { cli } from './helpers.js';

const parse = (text: string) => parseConformanceFile('t.data', text);

describe('.data comments', () => {
  it('do not make directives: `--` in a comment switches no section', () => {
    const t = parse('# runs before -- mem\n-- asm\nmov %r0, 1 # not -- result 5\nexit\n-- result\n0x1\n');
    expect(t.skip).toBeUndefined();
    expect(t.asm.split('\n').map((l) => l.trim())).toEqual(['mov %r0, 1', 'exit']);
    expect(t.result).toBe(1n);
    expect(t.mem).toEqual(new Uint8Array(0));
  });

  it('add no slots to -- raw', () => {
    const t = parse('-- raw\n0x0000002a000000b7 # mov %r0, 42\n# a whole-line comment\n0x0000000000000095\n-- result\n0x2a\n');
    expect(t.raw).toEqual([0x2a000000b7n, 0x95n]);
    expect(programOf(t)).toHaveLength(2);
  });

  it('do not cut -- mem short', () => {
    const t = parse('-- asm\nldxb %r0, [%r1+3]\nexit\n-- mem\n00 01 # the first two\n# more:\n02 03\n-- result\n0x3\n');
    expect(t.mem).toEqual(Uint8Array.of(0, 1, 2, 3));
  });

  it('end a result line, and keep the bpftime-vm options of header comments', () => {
    const t = parse('# bpftime-vm: budget 5\n-- asm\nmov %r0, 5\nexit\n-- result\n0x5 # five\n');
    expect(t.result).toBe(5n);
    expect(t.options).toEqual({ budget: 5 });
  });
});

describe('bpftime-vm conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-vm-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scans directories recursively and names tests by their path below the directory', () => {
    mkdirSync(join(dir, 'alu', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'top.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n');
    writeFileSync(join(dir, 'alu', 'deep', 'add.data'), '-- asm\nmov %r0, 1\nadd %r0, 2\nexit\n-- result\n0x3\n');
    writeFileSync(join(dir, 'alu', 'notes.txt'), 'not a test');
    const r = cli(['conformance', dir]);
    expect(r.stdout).toBe('PASS alu/deep/add.data\nPASS top.data\n2 passed, 0 failed\n');
    expect(r.code).toBe(0);
  });
});
