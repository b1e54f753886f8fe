/**
 * A small ELF64 little-endian reader for BPF objects: section headers, section names, the symbol table and REL
 * relocations. No dependency, so it also runs in a browser. Every offset, size and count is checked against the file
 * before use, and every problem is a LoadError naming the section or offset; counts are bounded by the file size, so
 * a hostile header cannot make it allocate or loop without bound.
 */
import { LoadError } from '../errors.js';

/** Section header types used by BPF objects. */
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
/** Section flags. */
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
/** Symbol bindings and types. */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** Special section indexes. */
export const SHN = { UNDEF: 0, ABS: 0xfff1, COMMON: 0xfff2 } as const;
/** BPF relocation types. */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;
/** EM_BPF, the machine of BPF objects. */
export const EM_BPF = 247;
/** EM_NONE, the machine old LLVM versions wrote into BPF objects (libbpf accepts it). */
export const EM_NONE = 0;
/** ET_REL, the type of relocatable objects: what clang -c produces and libbpf loads. */
export const ET_REL = 1;

/** Relocation sections libbpf reads although their target holds no code: map and struct_ops definitions. */
const DATA_RELOCATED = new Set(['.maps', '.struct_ops', '.struct_ops.link']);

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

/** ElfSection is one section header with its name resolved. */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Section contents (empty for NOBITS). A view into the file, not a copy. */
  data: Uint8Array;
}

/** ElfSymbol is one symbol table entry. */
export interface ElfSymbol {
  index: number;
  name: string;
  bind: number;
  type: number;
  /** Section index the symbol is defined in, or a SHN value. */
  shndx: number;
  value: number;
  size: number;
}

/** ElfRel is one REL relocation. */
export interface ElfRel {
  offset: number;
  symbol: number;
  type: number;
}

/** ElfFile is a parsed object file. */
export interface ElfFile {
  /** The whole file (tc names an object's pinning directory by its hash). */
  bytes: Uint8Array;
  machine: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations by the index of the section they apply to. */
  relocations: Map<number, ElfRel[]>;
}

class Reader {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** need checks that [at, at + size) lies inside the file. */
  need(at: number, size: number, what: string): void {
    if (!(at >= 0 && size >= 0 && at + size <= this.bytes.length)) {
      throw new LoadError('elf', `${what} at offset ${at} (${size} bytes) is beyond the end of the file (${this.bytes.length} bytes)`);
    }
  }

  u16(at: number): number {
    return this.dv.getUint16(at, true);
  }

  u32(at: number): number {
    return this.dv.getUint32(at, true);
  }

  /** u64 reads an unsigned 64-bit field that must fit in a JS number. */
  u64(at: number, what: string): number {
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoadError('elf', `${what} 0x${v.toString(16)} is too large`);
    return Number(v);
  }

  /** cstring reads a NUL-terminated string from a string table. */
  cstring(table: Uint8Array, at: number, what: string): string {
    if (at >= table.length) throw new LoadError('elf', `${what}: name offset ${at} is outside its string table (${table.length} bytes)`);
    let end = at;
    while (end < table.length && table[end] !== 0) end++;
    return new TextDecoder().decode(table.subarray(at, end));
  }
}

/** ElfKind says what parseElf accepts: a BPF object (what libbpf loads), or any little-endian ELF64 (a vmlinux for its .BTF). */
export type ElfKind = 'bpf-object' | 'any';

function parseHeader(r: Reader, kind: ElfKind): { machine: number; shoff: number; shnum: number; shstrndx: number } {
  r.need(0, EHDR_SIZE, 'ELF header');
  const b = r.bytes;
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new LoadError('elf', 'not an ELF file (bad magic)');
  if (b[4] !== 2) throw new LoadError('elf', `class ${b[4]} is not ELF64`);
  if (b[5] !== 1) throw new LoadError('elf', `data encoding ${b[5]} is not little-endian`);
  const type = r.u16(16);
  const machine = r.u16(18);
  // As libbpf's bpf_object__elf_init: a relocatable object whose machine is BPF, or none (old LLVM).
  if (kind === 'bpf-object' && type !== ET_REL) throw new LoadError('elf', `type ${type} is not a relocatable object (ET_REL, what clang -c writes)`);
  if (kind === 'bpf-object' && machine !== EM_BPF && machine !== EM_NONE) throw new LoadError('elf', `machine ${machine} is not BPF (${EM_BPF})`);
  const shoff = r.u64(0x28, 'section header offset');
  const shentsize = r.u16(0x3a);
  const shnum = r.u16(0x3c);
  const shstrndx = r.u16(0x3e);
  if (shnum > 0 && shentsize !== SHDR_SIZE) throw new LoadError('elf', `section header size ${shentsize} is not ${SHDR_SIZE}`);
  r.need(shoff, shnum * SHDR_SIZE, 'section header table');
  if (shnum > 0 && shstrndx >= shnum) throw new LoadError('elf', `section name table index ${shstrndx} is out of range`);
  return { machine, shoff, shnum, shstrndx };
}

function parseSections(r: Reader, shoff: number, shnum: number, shstrndx: number): ElfSection[] {
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const type = r.u32(at + 4);
    const offset = r.u64(at + 0x18, `section ${i} offset`);
    const size = r.u64(at + 0x20, `section ${i} size`);
    if (type !== SHT.NOBITS && type !== SHT.NULL) r.need(offset, size, `section ${i} contents`);
    raw.push({
      index: i,
      nameOff: r.u32(at),
      type,
      flags: r.u64(at + 8, `section ${i} flags`),
      offset,
      size,
      link: r.u32(at + 0x28),
      info: r.u32(at + 0x2c),
      entsize: r.u64(at + 0x38, `section ${i} entry size`),
    });
  }
  const names = raw.length ? r.bytes.subarray(raw[shstrndx].offset, raw[shstrndx].offset + raw[shstrndx].size) : new Uint8Array(0);
  return raw.map((s) => ({
    index: s.index,
    name: s.index === 0 ? '' : r.cstring(names, s.nameOff, `section ${s.index}`),
    type: s.type,
    flags: s.flags,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    entsize: s.entsize,
    data: s.type === SHT.NOBITS || s.type === SHT.NULL ? new Uint8Array(0) : r.bytes.subarray(s.offset, s.offset + s.size),
  }));
}

function parseSymbols(r: Reader, sections: ElfSection[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  if (!symtab) return [];
  if (symtab.link >= sections.length) throw new LoadError('elf', `${symtab.name}: string table index ${symtab.link} is out of range`);
  const strtab = sections[symtab.link].data;
  const count = Math.floor(symtab.size / SYM_SIZE);
  const out: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * SYM_SIZE;
    const info = r.bytes[at + 4];
    out.push({
      index: i,
      name: r.cstring(strtab, r.u32(at), `symbol ${i}`),
      bind: info >> 4,
      type: info & 0xf,
      shndx: r.u16(at + 6),
      value: r.u64(at + 8, `symbol ${i} value`),
      size: r.u64(at + 16, `symbol ${i} size`),
    });
  }
  return out;
}

/**
 * parseRelocations reads the REL sections of code and of the sections libbpf relocates besides code (.maps,
 * struct_ops); like libbpf, it skips the others (.rel.debug_*, .rel.BTF...), which loading never applies, so their
 * contents cannot fail a load.
 */
function parseRelocations(r: Reader, sections: ElfSection[], symbolCount: number): Map<number, ElfRel[]> {
  const out = new Map<number, ElfRel[]>();
  for (const s of sections) {
    if (s.type !== SHT.REL && s.type !== SHT.RELA) continue;
    if (s.info >= sections.length) throw new LoadError('elf', `${s.name}: target section ${s.info} is out of range`);
    const target = sections[s.info];
    if ((target.flags & SHF.EXECINSTR) === 0 && !DATA_RELOCATED.has(target.name)) continue;
    if (s.type === SHT.RELA) throw new LoadError('elf', `${s.name}: RELA relocations are not used by BPF objects`);
    const rels: ElfRel[] = [];
    for (let i = 0; i < Math.floor(s.size / REL_SIZE); i++) {
      const at = s.offset + i * REL_SIZE;
      const symbol = r.u32(at + 12);
      if (symbol >= symbolCount) throw new LoadError('elf', `${s.name}: relocation ${i} names symbol ${symbol}, beyond the last symbol`);
      rels.push({ offset: r.u64(at, `${s.name} relocation ${i} offset`), symbol, type: r.u32(at + 8) });
    }
    out.set(s.info, [...(out.get(s.info) ?? []), ...rels]);
  }
  return out;
}

/** parseElf reads a BPF ELF object (or, with kind `any`, any ELF64 little-endian file); any structural problem is a LoadError. */
export function parseElf(bytes: Uint8Array, kind: ElfKind = 'bpf-object'): ElfFile {
  const r = new Reader(bytes);
  const { machine, shoff, shnum, shstrndx } = parseHeader(r, kind);
  const sections = parseSections(r, shoff, shnum, shstrndx);
  const symbols = parseSymbols(r, sections);
  return { bytes, machine, sections, symbols, relocations: parseRelocations(r, sections, symbols.length) };
}

/** isElf reports whether bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** ELF64_LE_IDENT is the start of a little-endian 64-bit ELF header (magic, class, data, version). */
const ELF64_LE_IDENT = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1];

/**
 * embeddedBpfObjects finds the BPF objects inside another file, such as a program whose libbpf skeleton embeds its
 * object's bytes (the tools of libbpf-tools and bpftool-generated skeletons do): each little-endian 64-bit ELF header
 * whose machine is EM_BPF, sized by its section header table. Candidates that do not fit the file are skipped.
 */
export function embeddedBpfObjects(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = bytes.indexOf(0x7f); k >= 0 && k + EHDR_SIZE <= bytes.length; k = bytes.indexOf(0x7f, k + 1)) {
    if (!ELF64_LE_IDENT.every((b, i) => bytes[k + i] === b) || dv.getUint16(k + 18, true) !== EM_BPF) continue;
    const shoff = Number(dv.getBigUint64(k + 40, true));
    const end = k + shoff + dv.getUint16(k + 58, true) * dv.getUint16(k + 60, true);
    if (shoff > 0 && end <= bytes.length) out.push(bytes.subarray(k, end));
  }
  return out;
}
