/**
 * loadCollectionSpec: an ELF object to a CollectionSpec in fixed, named steps (ELF, license, BTF, maps, data
 * sections, code, relocations, externs, CO-RE, linking). Each step prefixes its errors with its name, so a failure
 * reads `load maps: map "events": unknown attribute "foo"`. Deterministic and free of I/O: the caller supplies the
 * bytes, the target BTF and the kernel configuration.
 */
import { BpfError, LoadError } from '../errors.js';
import type { Btf } from './btf/parse.js';
import { parseBtf } from './btf/parse.js';
import { parseBtfExt, type BtfExt } from './btf/ext.js';
import { fixupDatasecs } from './btf/datasec.js';
import { applyCoreRelocations, type CoreOutcome } from './core-apply.js';
import { configureSpec, type ConfigureOptions } from './configure.js';
import { dataKind, dataMap, kconfigMap, type KconfigOptions } from './data.js';
import { parseElf, SHN, STB, STT, type ElfFile } from './elf.js';
import { decodeCode, link, relocate, type Func, type Linked, type MapResolver, type Resolved } from './link.js';
import { ksymNames, POISON_CALL_KFUNC_BASE, resolveKsyms, type Ksym } from './ksyms.js';
import { CALL_HELPER, CALL_KFUNC, PSEUDO_BTF_ID, PSEUDO_IMM64 } from '../isa/index.js';
import { btfMaps, emptyLinks, legacyMaps, linkLegacyMaps, tailCallSections, type LegacyLinks } from './maps.js';
import { parseSection } from './sections.js';
import type { CollectionSpec, CoreRelocation, FuncInfo, LineInfo, MapSpec, ProgramSpec } from './spec.js';

/** LoadOptions supplies what resolving an object needs from outside, and the settings applied before load (globals, map sizes). */
export interface LoadOptions extends KconfigOptions, ConfigureOptions {
  /** BTF of the kernel (or process) to resolve CO-RE relocations against; a function is called only if needed. */
  targetBtf?: Btf | (() => Btf | undefined);
}

/** LoadedCollection is a spec plus the object's own BTF (for pretty-printing values and records). */
export interface LoadedCollection extends CollectionSpec {
  btf?: Btf;
}

/**
 * step runs one named loading step, prefixing any error with the step's name. A message that starts with the input
 * the step already names (`BTF: ` under `load BTF`, `CO-RE: ` under `apply CO-RE relocations`) loses that prefix, so
 * one context is said once.
 */
function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) {
      const Cls = e.constructor as new (code: string, message: string, location: object, options: object) => BpfError;
      const first = /^([^\s:]+): /.exec(e.message);
      const message = first && name.split(' ').includes(first[1]) ? e.message.slice(first[0].length) : e.message;
      throw new Cls(e.code, `${name}: ${message}`, e.location, { cause: e });
    }
    throw new LoadError('internal', `${name}: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

function readBtf(elf: ElfFile): { btf?: Btf; ext?: BtfExt } {
  const sec = elf.sections.find((s) => s.name === '.BTF');
  if (!sec) return {};
  const btf = step('load BTF', () => {
    const parsed = parseBtf(sec.data);
    fixupDatasecs(parsed, {
      sectionSize: (name) => elf.sections.find((s) => s.name === name)?.size,
      symbolOffset: (name) => elf.symbols.find((s) => s.name === name && s.type === STT.OBJECT)?.value,
    });
    return parsed;
  });
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
  const ext = extSec ? step('load BTF.ext', () => parseBtfExt(extSec.data, btf)) : undefined;
  return { btf, ext };
}

function readMaps(elf: ElfFile, btf: Btf | undefined): { maps: MapSpec[]; mapSections: Set<number>; links: LegacyLinks } {
  const maps: MapSpec[] = [];
  const mapSections = new Set<number>();
  const links = emptyLinks();
  for (const s of elf.sections) {
    if (s.name === 'maps' || s.name.startsWith('maps/')) {
      mapSections.add(s.index);
      maps.push(...step('load legacy maps', () => legacyMaps(elf, s, links)));
    } else if (s.name === '.maps') {
      mapSections.add(s.index);
      maps.push(...step('load BTF maps', () => btfMaps(elf, s, btf)));
    }
  }
  for (const s of elf.sections) {
    if (dataKind(s) && s.size > 0) maps.push(step('load data sections', () => dataMap(s, btf)));
  }
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new LoadError('duplicate-map', `load maps: two maps are named "${m.name}"`);
    seen.add(m.name);
  }
  step('load legacy maps', () => linkLegacyMaps(maps, links));
  return { maps, mapSections, links };
}

/** remap carries section-relative BTF.ext records of the placed functions over to program slots. */
function remap<T extends { insn: number }>(linked: Linked, records: Map<string, T[]> | undefined, sectionName: (index: number) => string): (T & { pc: number })[] {
  const out: (T & { pc: number })[] = [];
  for (const { func, pc } of linked.placed) {
    for (const r of records?.get(sectionName(func.section)) ?? []) {
      if (r.insn >= func.start && r.insn < func.end) out.push({ ...r, pc: pc + r.insn - func.start });
    }
  }
  return out.sort((a, b) => a.pc - b.pc);
}

function buildProgram(linked: Linked, elf: ElfFile, ext: BtfExt | undefined, core: CoreOutcome, license: string, ksyms: Map<string, Ksym>): ProgramSpec {
  const name = (i: number) => elf.sections[i].name;
  const section = name(linked.func.section);
  const info = parseSection(section);
  const funcInfo: FuncInfo[] = remap(linked, ext?.funcInfo, name).map((f) => ({ pc: f.pc, name: f.name, typeId: f.typeId }));
  const lineInfo: LineInfo[] = remap(linked, ext?.lineInfo, name).map((l) => ({ pc: l.pc, file: l.file, line: l.line, column: l.column, text: l.text }));
  const coreRelocations: CoreRelocation[] = remap(linked, core.records, name).map((c) => ({
    pc: c.pc,
    kind: c.kind,
    access: c.access,
    value: c.value,
    found: c.found,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
  }));
  return {
    name: linked.func.name,
    section,
    type: info.type,
    attachType: info.attachType,
    attach: info.attach,
    sleepable: info.sleepable,
    insns: linked.insns,
    subprograms: linked.placed.slice(1).map((p) => ({ name: p.func.name, pc: p.pc })),
    mapRefs: linked.mapRefs,
    ksyms: linked.ksyms.map((k) => ({ ...k, btfId: ksyms.get(k.name)?.targetId ?? 0, symbol: ksyms.get(k.name)?.kind ?? 'func' })),
    funcInfo,
    lineInfo,
    coreRelocations,
    license,
  };
}

/** loadCollectionSpec reads a BPF ELF object into a CollectionSpec (plus its BTF); errors are located LoadErrors. */
export function loadCollectionSpec(bytes: Uint8Array, opts: LoadOptions = {}): LoadedCollection {
  const elf = step('read ELF', () => parseElf(bytes));
  const section = (name: string) => elf.sections.find((s) => s.name === name);
  const license = step('read license', () => cString(section('license')?.data ?? new Uint8Array(0)));
  const kernelVersion = step('read version', () => {
    const v = section('version');
    if (!v) return 0;
    if (v.size !== 4) throw new LoadError('bad-version', `section version has ${v.size} bytes, not 4`);
    return new DataView(v.data.buffer, v.data.byteOffset, 4).getUint32(0, true);
  });
  const { btf, ext } = readBtf(elf);
  const { maps, mapSections, links } = readMaps(elf, btf);
  const code = step('decode programs', () => decodeCode(elf));
  const relocated = step('relocate', () => relocate(elf, code, mapSections));

  const externs = [...relocated.refs.values()].flatMap((r) => (r.kind === 'extern' || r.kind === 'extern-call' ? [r.symbol] : []));
  const unique = [...new Map(externs.map((s) => [s.name, { name: s.name, weak: s.bind === STB.WEAK }])).values()];
  const ksymKinds = ksymNames(btf);
  const target = typeof opts.targetBtf === 'function' ? opts.targetBtf : () => opts.targetBtf as Btf | undefined;
  const ksyms = step('resolve externs', () => (btf ? resolveKsyms(btf, unique, target) : new Map<string, Ksym>()));
  const kconfig = step('resolve externs', () => kconfigMap(btf, unique.filter((e) => !ksymKinds.has(e.name)), opts));
  if (kconfig) maps.push(kconfig.spec);
  const core = step('apply CO-RE relocations', () => applyCoreRelocations(code, ext, btf, target));

  const mapIndex = new Map(maps.map((m, i) => [m.name, i]));
  const resolve: MapResolver = (ref, where) => {
    if (ref.kind === 'map') {
      const i = mapIndex.get(ref.symbol.name);
      if (i === undefined) throw new LoadError('unknown-map', `${where}: reference to unknown map ${ref.symbol.name}`);
      return { map: i, offset: 0, name: ref.symbol.name };
    }
    if (ref.kind === 'data') {
      const name = elf.sections[ref.section]?.name;
      const i = name === undefined ? undefined : mapIndex.get(name);
      if (i === undefined) throw new LoadError('unknown-map', `${where}: reference into section ${name ?? ref.section}, which holds no data`);
      return { map: i, offset: ref.offset, name };
    }
    const k = ksyms.get(ref.symbol.name);
    if (k) return ksymRef(k, ref.kind === 'extern-call', where);
    if (ref.kind === 'extern-call') throw new LoadError('unknown-extern', `${where}: call to extern ${ref.symbol.name}, which is not declared __ksym`);
    const v = kconfig?.vars.get(ref.symbol.name);
    if (!v || ref.symbol.shndx !== SHN.UNDEF) throw new LoadError('unknown-extern', `${where}: unresolved extern ${ref.symbol.name}`);
    return { map: mapIndex.get('.kconfig')!, offset: v.offset + ref.offset, name: '.kconfig' };
  };

  const entries: Func[] = [...code.values()].flatMap((c) => c.funcs.filter((f) => f.entry));
  const programs = entries.map((f) =>
    step(`link program "${f.name}"`, () => buildProgram(link(relocated, f, resolve), elf, ext, core, license, ksyms)),
  );
  step('load legacy maps', () => tailCallSections(maps, links, programs));
  step('check map contents', () => checkReferences(maps, programs));
  const loaded: LoadedCollection = { programs, maps, license, kernelVersion, btf };
  if (opts.globals || opts.mapSizes || opts.mapValueSizes) step('configure', () => configureSpec(loaded, opts));
  return loaded;
}

/** ksymRef encodes a kernel symbol reference as libbpf does (see ksyms.ts). */
function ksymRef(k: Ksym, call: boolean, where: string): Resolved {
  if (call) {
    if (k.kind !== 'func') throw new LoadError('bad-call', `${where}: call to ${k.name}, a kernel variable`);
    return k.targetId ? { ksym: k.name, src: CALL_KFUNC, imm: k.targetId, imm2: 0 } : { ksym: k.name, src: CALL_HELPER, imm: POISON_CALL_KFUNC_BASE + k.index, imm2: 0 };
  }
  return k.targetId ? { ksym: k.name, src: PSEUDO_BTF_ID, imm: k.targetId, imm2: 0 } : { ksym: k.name, src: PSEUDO_IMM64, imm: 0, imm2: 0 };
}

function checkReferences(maps: MapSpec[], programs: ProgramSpec[]): void {
  const progNames = new Set(programs.map((p) => p.name));
  const mapNames = new Set(maps.map((m) => m.name));
  for (const m of maps) {
    for (const e of m.contents) {
      if (e.value instanceof Uint8Array) continue;
      if ('program' in e.value && !progNames.has(e.value.program)) {
        throw new LoadError('unknown-program', `map "${m.name}": .values names ${e.value.program}, which is not a program`);
      }
      if ('map' in e.value && !mapNames.has(e.value.map)) {
        throw new LoadError('unknown-map', `map "${m.name}": .values names ${e.value.map}, which is not a map`);
      }
    }
  }
}
