/**
 * From code sections to self-contained programs, as libbpf does it: find the functions of every executable section,
 * classify each relocation (subprogram call, callback pointer, map, global data, extern), and link each entry program
 * with the subprograms it reaches, appended after it, rewriting call and pointer offsets. Map and data references
 * become `lddw map_idx N` / `lddw map_idx_value N, OFF` so a program is plain, runnable data.
 */
import { LoadError } from '../errors.js';
import {
  CALL_LOCAL,
  decodeProgram,
  formatInsn,
  OP_CALL,
  OP_LDDW,
  PSEUDO_FUNC,
  PSEUDO_MAP_IDX,
  PSEUDO_MAP_IDX_VALUE,
  SLOT_SIZE,
  type Insn,
} from '../isa/index.js';
import { R_BPF, SHF, SHN, STT, type ElfFile, type ElfSection, type ElfSymbol } from './elf.js';

/** CodeSection is an executable section decoded into mutable slots. */
export interface CodeSection {
  section: ElfSection;
  insns: Insn[];
  funcs: Func[];
}

/** Func is a function: an entry program or a subprogram, in section-relative slots [start, end). */
export interface Func {
  name: string;
  section: number;
  start: number;
  end: number;
  /** True for entry points (functions in program sections, i.e. anything but .text). */
  entry: boolean;
}

/** Ref is what a relocated lddw refers to; the caller resolves names to map indexes. */
export type Ref =
  | { kind: 'map'; symbol: ElfSymbol }
  | { kind: 'data'; section: number; offset: number }
  | { kind: 'extern'; symbol: ElfSymbol; offset: number }
  | { kind: 'extern-call'; symbol: ElfSymbol }
  | { kind: 'func'; section: number; index: number };

/** Relocated gathers, per section and slot, where calls go and what lddws refer to. */
export interface Relocated {
  code: Map<number, CodeSection>;
  /** Call targets keyed `section:slot` -> `section:slot` of the callee. */
  calls: Map<string, { section: number; index: number }>;
  refs: Map<string, Ref>;
}

const key = (section: number, index: number) => `${section}:${index}`;

/** decodeCode decodes every executable section and finds its functions. */
export function decodeCode(elf: ElfFile): Map<number, CodeSection> {
  const out = new Map<number, CodeSection>();
  for (const s of elf.sections) {
    if ((s.flags & SHF.EXECINSTR) === 0 || s.size === 0) continue;
    const insns = decodeProgram(s.data, s.name);
    const funcs = elf.symbols
      .filter((sym) => sym.type === STT.FUNC && sym.shndx === s.index)
      .map((sym) => {
        if (sym.value % SLOT_SIZE || sym.size % SLOT_SIZE || sym.value + sym.size > s.size) {
          throw new LoadError('bad-symbol', `section ${s.name}: function ${sym.name} [${sym.value}, +${sym.size}) is not slot-aligned inside the section`, { section: s.name });
        }
        return { name: sym.name, section: s.index, start: sym.value / SLOT_SIZE, end: (sym.value + sym.size) / SLOT_SIZE, entry: s.name !== '.text' };
      })
      .sort((a, b) => a.start - b.start);
    // Hand-written objects may have no function symbols: the whole section is then one program.
    if (funcs.length === 0) funcs.push({ name: s.name, section: s.index, start: 0, end: insns.length, entry: s.name !== '.text' });
    out.set(s.index, { section: s, insns, funcs });
  }
  return out;
}

/** relocate classifies every relocation of every code section. */
export function relocate(elf: ElfFile, code: Map<number, CodeSection>, mapSections: Set<number>): Relocated {
  const calls = new Map<string, { section: number; index: number }>();
  const refs = new Map<string, Ref>();
  for (const [index, cs] of code) {
    const where = { section: cs.section.name };
    for (const rel of elf.relocations.get(index) ?? []) {
      const pc = rel.offset / SLOT_SIZE;
      const ins = cs.insns[pc];
      const sym = elf.symbols[rel.symbol];
      const aligned = rel.offset % SLOT_SIZE === 0;
      const fail = (why: string): never => {
        // A misaligned offset has no pc: it is named in bytes.
        const at = aligned ? `pc ${pc}` : `byte offset ${rel.offset}`;
        throw new LoadError('relocation', `section ${cs.section.name}: ${at}: relocation against ${sym.name || 'section ' + sym.shndx}: ${why}`, aligned ? { ...where, pc } : where);
      };
      if (!aligned) fail(`not on an instruction boundary (a multiple of ${SLOT_SIZE} bytes)`);
      if (ins === undefined) fail(`beyond the end of the section (${cs.insns.length} instructions)`);
      if (rel.type === R_BPF.R64_32) {
        if (ins.opcode !== OP_CALL || ins.src !== CALL_LOCAL) fail(`R_BPF_64_32 applies to "${formatInsn(cs.insns, pc)}", not a local call`);
        if (sym.shndx === SHN.UNDEF) {
          // A call to an extern function: a kfunc declared __ksym, resolved against the target BTF.
          refs.set(key(index, pc), { kind: 'extern-call', symbol: sym });
          continue;
        }
        if (!code.has(sym.shndx)) fail('call target is not in a code section');
        calls.set(key(index, pc), { section: sym.shndx, index: sym.value / SLOT_SIZE + ins.imm + 1 });
        continue;
      }
      if (rel.type !== R_BPF.R64_64) fail(`relocation type ${rel.type} is not supported in code`);
      if (ins.opcode !== OP_LDDW) fail(`R_BPF_64_64 applies to "${formatInsn(cs.insns, pc)}", not a lddw`);
      refs.set(key(index, pc), classifyRef(sym, ins, code, mapSections, fail));
    }
    // Calls without a relocation stay inside their section.
    cs.insns.forEach((ins, pc) => {
      if (ins.opcode === OP_CALL && ins.src === CALL_LOCAL && !calls.has(key(index, pc)) && !refs.has(key(index, pc))) {
        calls.set(key(index, pc), { section: index, index: pc + ins.imm + 1 });
      }
    });
  }
  return { code, calls, refs };
}

function classifyRef(sym: ElfSymbol, ins: Insn, code: Map<number, CodeSection>, mapSections: Set<number>, fail: (why: string) => never): Ref {
  if (sym.shndx === SHN.UNDEF) return { kind: 'extern', symbol: sym, offset: ins.imm };
  if (code.has(sym.shndx)) {
    const byte = sym.value + ins.imm;
    if (byte % SLOT_SIZE) fail(`function pointer offset ${byte} is not slot-aligned`);
    return { kind: 'func', section: sym.shndx, index: byte / SLOT_SIZE };
  }
  if (mapSections.has(sym.shndx)) {
    if (sym.type === STT.SECTION) fail('map reference through a section symbol');
    return { kind: 'map', symbol: sym };
  }
  if (sym.shndx >= SHN.ABS) fail('absolute or common symbol');
  return { kind: 'data', section: sym.shndx, offset: (sym.type === STT.SECTION ? 0 : sym.value) + ins.imm };
}

/** Resolved is what a reference becomes: a map (index, offset into its value) or a kernel symbol (the instruction fields to set). */
export type Resolved =
  | { map: number; offset: number; name: string }
  | { ksym: string; src: number; imm: number; imm2: number };

/** MapResolver turns a non-function reference into the map or kernel symbol to encode. */
export type MapResolver = (ref: Exclude<Ref, { kind: 'func' }>, where: string) => Resolved;

/** Linked is one entry program with its subprograms appended. */
export interface Linked {
  func: Func;
  insns: Insn[];
  /** Every placed function and its first slot in `insns`. */
  placed: { func: Func; pc: number }[];
  mapRefs: { pc: number; map: string }[];
  /** Kernel symbols referenced: kfunc calls and symbol addresses. */
  ksyms: { pc: number; name: string; kind: 'call' | 'address' }[];
}

function funcAt(r: Relocated, section: number, index: number): Func | undefined {
  return r.code.get(section)?.funcs.find((f) => f.start === index);
}

/** link builds the self-contained code of one entry program. */
export function link(r: Relocated, entry: Func, resolve: MapResolver): Linked {
  const placed: { func: Func; pc: number }[] = [{ func: entry, pc: 0 }];
  const index = new Map<Func, number>([[entry, 0]]);
  const out: Insn[] = [];
  const mapRefs: { pc: number; map: string }[] = [];
  const ksyms: Linked['ksyms'] = [];
  const place = (f: Func): number => {
    let at = index.get(f);
    if (at === undefined) {
      at = placed.reduce((n, p) => n + (p.func.end - p.func.start), 0);
      index.set(f, at);
      placed.push({ func: f, pc: at });
    }
    return at;
  };
  // Placing a function may place more; iterate until every placed function is emitted.
  for (let k = 0; k < placed.length; k++) {
    const { func, pc: base } = placed[k];
    const cs = r.code.get(func.section)!;
    for (let i = func.start; i < func.end; i++) {
      const ins = { ...cs.insns[i] };
      const at = base + (i - func.start);
      const where = `${cs.section.name}: pc ${i}`;
      const call = r.calls.get(key(func.section, i));
      const ref = r.refs.get(key(func.section, i));
      if (call) {
        const callee = funcAt(r, call.section, call.index);
        if (!callee) throw new LoadError('bad-call', `${where}: call target slot ${call.index} of section ${r.code.get(call.section)?.section.name} is not the start of a function`, { section: cs.section.name, pc: i });
        ins.imm = place(callee) - (at + 1);
      } else if (ref?.kind === 'func') {
        const callee = funcAt(r, ref.section, ref.index);
        if (!callee) throw new LoadError('bad-call', `${where}: function pointer to slot ${ref.index} is not the start of a function`, { section: cs.section.name, pc: i });
        ins.src = PSEUDO_FUNC;
        ins.imm = place(callee) - (at + 1);
      } else if (ref?.kind === 'extern-call') {
        const k = resolve(ref, where);
        if (!('ksym' in k)) throw new LoadError('bad-call', `${where}: call to ${ref.symbol.name}, which is not a function`, { section: cs.section.name, pc: i });
        ins.src = k.src;
        ins.imm = k.imm;
        ksyms.push({ pc: at, name: k.ksym, kind: 'call' });
      } else if (ref) {
        const m = resolve(ref, where);
        if ('ksym' in m) {
          out[at] = { ...ins, src: m.src, imm: m.imm };
          out[at + 1] = { ...cs.insns[i + 1], imm: m.imm2 };
          ksyms.push({ pc: at, name: m.ksym, kind: 'address' });
          i++;
          continue;
        }
        ins.src = ref.kind === 'map' ? PSEUDO_MAP_IDX : PSEUDO_MAP_IDX_VALUE;
        ins.imm = m.map;
        mapRefs.push({ pc: at, map: m.name });
        out[at] = ins;
        out[at + 1] = { ...cs.insns[i + 1], imm: ref.kind === 'map' ? 0 : m.offset };
        i++;
        continue;
      }
      out[at] = ins;
    }
  }
  return { func: entry, insns: out, placed, mapRefs, ksyms };
}
