// The ELF reader's acceptance rules, as libbpf's (bpf_object__elf_init, bpf_object__elf_collect): a relocatable
// object whose machine is BPF or none; relocation sections of non-code sections (debug info, BTF) are not read, so
// whatever they hold cannot fail a load; errors name a misaligned relocation in bytes and carry one prefix per step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { parseElf } from '../src/loader/elf.js';
import { ROOT, thrownAs } from './helpers.js';

const original = new Uint8Array(readFileSync(join(ROOT, 'examples', 'counter.bpf.o')));

/** patched returns a copy of counter.bpf.o changed by `edit`, which gets the bytes and a DataView of them. */
function patched(edit: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = original.slice();
  edit(b, new DataView(b.buffer));
  return b;
}

const section = (name: string) => parseElf(original).sections.find((s) => s.name === name)!;
const REL_SIZE = 16;
const loadError = (bytes: Uint8Array) => thrownAs(LoadError, () => loadCollectionSpec(bytes)).message;

describe('ELF object header', () => {
  it('requires a relocatable object (ET_REL), as libbpf', () => {
    const exec = patched((_, dv) => dv.setUint16(16, 2, true));
    expect(loadError(exec)).toBe('read ELF: type 2 is not a relocatable object (ET_REL, what clang -c writes)');
  });

  it('accepts machine EM_NONE (old LLVM) like EM_BPF, and refuses others', () => {
    const none = patched((_, dv) => dv.setUint16(18, 0, true));
    expect(loadCollectionSpec(none).programs.map((p) => p.name)).toEqual(['count_add']);
    expect(loadError(patched((_, dv) => dv.setUint16(18, 62, true)))).toBe('read ELF: machine 62 is not BPF (247)');
  });

  it('reads any ELF64 when asked for one (a vmlinux holding .BTF)', () => {
    const x86exec = patched((_, dv) => {
      dv.setUint16(16, 2, true);
      dv.setUint16(18, 62, true);
    });
    expect(parseElf(x86exec, 'any').sections.some((s) => s.name === '.BTF')).toBe(true);
  });

  it('prefixes its errors once, with the loading step', () => {
    expect(loadError(original.subarray(0, 100))).toBe('read ELF: section header table at offset 10696 (1984 bytes) is beyond the end of the file (100 bytes)');
    // The BTF layer's own `BTF: `/`BTF.ext: ` prefix is dropped under the step that names it already.
    const badMagic = (name: string) => patched((_, dv) => dv.setUint16(section(name).offset, 0x1234, true));
    expect(loadError(badMagic('.BTF'))).toBe('load BTF: bad magic 0x1234, want 0xeb9f');
    expect(loadError(badMagic('.BTF.ext'))).toBe('load BTF.ext: bad magic 0x1234, want 0xeb9f');
  });
});

describe('ELF relocations', () => {
  it('skips relocation sections of non-code sections, whatever they hold, as libbpf', () => {
    const rel = section('.rel.debug_info');
    const broken = patched((_, dv) => {
      for (let at = rel.offset; at < rel.offset + rel.size; at += REL_SIZE) dv.setUint32(at + 12, 0xfffff, true); // symbol index
    });
    expect(loadCollectionSpec(broken).programs[0].insns).toEqual(loadCollectionSpec(original).programs[0].insns);
  });

  it('still checks the relocations of code', () => {
    const rel = section('.reluprobe/./target:add');
    const broken = patched((_, dv) => dv.setUint32(rel.offset + 12, 0xfffff, true));
    expect(loadError(broken)).toBe('read ELF: .reluprobe/./target:add: relocation 0 names symbol 1048575, beyond the last symbol');
  });

  it('names a misaligned relocation offset in bytes, not as a fractional pc', () => {
    const rel = section('.reluprobe/./target:add');
    const offset = Number(new DataView(original.buffer).getBigUint64(rel.offset, true));
    const broken = patched((_, dv) => dv.setBigUint64(rel.offset, BigInt(offset + 4), true));
    const message = loadError(broken);
    expect(message).toMatch(new RegExp(`^relocate: section uprobe/\\./target:add: byte offset ${offset + 4}: relocation against \\S+: not on an instruction boundary \\(a multiple of 8 bytes\\)$`));
    expect(message).not.toMatch(/pc \d+\.\d/);
  });
});
