/**
 * Map definitions: the legacy `maps` section (struct bpf_map_def records named by symbols) and BTF-defined maps in
 * `.maps`, where each variable's struct type encodes attributes as libbpf's macros do: `__uint(name, N)` is a pointer
 * to an array of N elements, `__type(name, T)` a pointer to T, `__array(values, T)` a zero-length array of pointers
 * (inner map templates or programs), filled in by relocations in `.maps`.
 */
import { LoadError } from '../errors.js';
import type { Btf } from './btf/parse.js';
import { BtfKind, type BtfComposite, type BtfType } from './btf/types.js';
import { STT, type ElfFile, type ElfRel, type ElfSection } from './elf.js';
import { MAP_TYPES, MapType, type MapEntry, type MapSpec } from './spec.js';
import { sha1Hex } from './sha1.js';

/** Fields of the legacy struct bpf_map_def, in order (u32 each). */
const LEGACY_FIELDS = ['type', 'keySize', 'valueSize', 'maxEntries', 'flags'] as const;
const LEGACY_MIN_SIZE = LEGACY_FIELDS.length * 4;
/** The Linux samples' bpf_load `struct bpf_load_map_def`: libbpf's fields, then inner_map_idx and numa_node. */
const BPF_LOAD_SIZE = 28;
/** iproute2's `struct bpf_elf_map` (tc, cilium): libbpf's fields, then id, pinning, inner_id and inner_idx. */
const BPF_ELF_MAP_SIZE = 36;
/** iproute2's pinning values and where tc pins such maps, relative to the BPF file system. */
const TC_PIN_OBJECT_NS = 1;
const TC_PIN_GLOBAL_NS = 2;
/** BPF_F_NUMA_NODE: the numa_node field of a map definition applies. */
const BPF_F_NUMA_NODE = 1 << 2;

/**
 * LegacyLinks is what legacy definitions say about other maps and programs: bpf_elf_map ids (map-in-map templates by
 * inner_id, inner maps placed at inner_idx, tc's tail-call sections `ID/KEY`) and bpf_load's inner_map_idx.
 */
export interface LegacyLinks {
  /** bpf_elf_map id of each map that has one. */
  ids: Map<string, number>;
  /** Outer maps and the id of their inner map template (bpf_elf_map inner_id). */
  innerIds: Map<string, number>;
  /** Maps with an id and where tc inserts them into the outer map naming that id (bpf_elf_map inner_idx). */
  innerIdx: Map<string, number>;
  /** bpf_load's inner_map_idx: outer map -> index of its template among the section's maps, in offset order. */
  innerMapIdx: Map<string, number>;
  /** The legacy maps in the order of their offsets in the section (what inner_map_idx counts). */
  byOffset: string[];
  /** SHA-1 of the object file, computed when a map is pinned in the object's namespace (tc's directory name). */
  objectHash?: string;
}

/** emptyLinks returns LegacyLinks with nothing in them. */
export function emptyLinks(): LegacyLinks {
  return { ids: new Map(), innerIds: new Map(), innerIdx: new Map(), innerMapIdx: new Map(), byOffset: [] };
}

/** emptyMap returns a MapSpec with defaults for the fields a definition may omit. */
export function emptyMap(name: string, section: string, origin: MapSpec['origin']): MapSpec {
  return {
    name,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    pinning: 0,
    numaNode: 0,
    mapExtra: 0n,
    contents: [],
    origin,
    section,
    readOnly: false,
  };
}

/**
 * legacyMaps reads `maps` sections: one definition per symbol, all of the same size. The size tells the format:
 * libbpf's struct bpf_map_def (20 bytes; longer only with zeros after it), the samples' bpf_load definition
 * (28 bytes) or iproute2's struct bpf_elf_map (36 bytes), whose pinning maps as tc pins: PIN_GLOBAL_NS by name under
 * `tc/globals`, PIN_OBJECT_NS by name under the object's own directory.
 */
export function legacyMaps(elf: ElfFile, section: ElfSection, links: LegacyLinks = emptyLinks()): MapSpec[] {
  const syms = elf.symbols.filter((s) => s.shndx === section.index && s.type !== STT.SECTION && s.name !== '');
  if (syms.length === 0) return [];
  const size = Math.floor(section.size / syms.length);
  if (size < LEGACY_MIN_SIZE || section.size % syms.length !== 0) {
    throw new LoadError('bad-map', `section ${section.name}: ${section.size} bytes do not divide into ${syms.length} map definitions of at least ${LEGACY_MIN_SIZE} bytes`, { section: section.name });
  }
  const dv = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  links.byOffset.push(...[...syms].sort((a, b) => a.value - b.value).map((x) => x.name));
  return syms.map((sym) => {
    if (sym.value % size !== 0 || sym.value + size > section.size) {
      throw new LoadError('bad-map', `section ${section.name}: map ${sym.name} at offset ${sym.value} is not a whole definition`, { section: section.name });
    }
    const spec = emptyMap(sym.name, section.name, 'maps');
    LEGACY_FIELDS.forEach((f, k) => (spec[f] = dv.getUint32(sym.value + 4 * k, true)));
    const u32 = (k: number) => dv.getUint32(sym.value + 4 * k, true);
    if (size === BPF_ELF_MAP_SIZE) {
      const [id, pinning, innerId, innerIdx] = [u32(5), u32(6), u32(7), u32(8)];
      if (id) links.ids.set(sym.name, id);
      if (id) links.innerIdx.set(sym.name, innerIdx);
      if (innerId) links.innerIds.set(sym.name, innerId);
      if (pinning === TC_PIN_GLOBAL_NS || pinning === TC_PIN_OBJECT_NS) {
        spec.pinning = 1;
        spec.pinPath = pinning === TC_PIN_GLOBAL_NS ? 'tc/globals' : `tc/${(links.objectHash ??= sha1Hex(elf.bytes))}`;
      } else if (pinning !== 0) {
        // tc looks other values up in /etc/iproute2/bpf_pinning; keep the number for whoever pins.
        spec.pinning = 1;
        spec.pinPath = `tc/pinning-${pinning}`;
      }
      return spec;
    }
    if (size === BPF_LOAD_SIZE) {
      if (spec.type === MapType.array_of_maps || spec.type === MapType.hash_of_maps) links.innerMapIdx.set(sym.name, u32(5));
      if (spec.flags & BPF_F_NUMA_NODE) spec.numaNode = u32(6);
      return spec;
    }
    for (let b = LEGACY_MIN_SIZE; b < size; b++) {
      // libbpf accepts longer definitions only when the extra bytes are zero.
      if (section.data[sym.value + b] !== 0) {
        throw new LoadError('bad-map', `map ${sym.name}: legacy definition has unknown non-zero field at byte ${b}`, { section: section.name });
      }
    }
    return spec;
  });
}

/** uintAttr reads `__uint(name, N)`: a pointer to an array of N elements. */
function uintAttr(btf: Btf, typeId: number, what: string): number {
  const ptr = btf.type(btf.resolve(typeId));
  const arr = ptr.kind === BtfKind.PTR ? btf.type(btf.resolve(ptr.type)) : undefined;
  if (!arr || arr.kind !== BtfKind.ARRAY) throw new LoadError('bad-map', `${what} is not an __uint() attribute`);
  return arr.nelems;
}

/** typeAttr reads `__type(name, T)`: a pointer to T; returns T's id. */
function typeAttr(btf: Btf, typeId: number, what: string): number {
  const ptr = btf.type(btf.resolve(typeId));
  if (ptr.kind !== BtfKind.PTR) throw new LoadError('bad-map', `${what} is not a __type() attribute`);
  return ptr.type;
}

/** parseMapStruct reads one BTF map definition struct into `spec`; returns the `values` member, if any. */
function parseMapStruct(btf: Btf, def: BtfComposite, spec: MapSpec): { offset: number; target: BtfType } | undefined {
  let values: { offset: number; target: BtfType } | undefined;
  for (const m of def.members) {
    const what = `map "${spec.name}": attribute ${m.name}`;
    switch (m.name) {
      case 'type': spec.type = uintAttr(btf, m.type, what); break;
      case 'max_entries': spec.maxEntries = uintAttr(btf, m.type, what); break;
      case 'map_flags': spec.flags = uintAttr(btf, m.type, what); break;
      case 'numa_node': spec.numaNode = uintAttr(btf, m.type, what); break;
      case 'pinning': spec.pinning = uintAttr(btf, m.type, what); break;
      case 'map_extra': spec.mapExtra = BigInt(uintAttr(btf, m.type, what)); break;
      case 'key_size': spec.keySize = uintAttr(btf, m.type, what); break;
      case 'value_size': spec.valueSize = uintAttr(btf, m.type, what); break;
      case 'key':
        spec.btfKeyTypeId = typeAttr(btf, m.type, what);
        spec.keySize = btf.sizeOf(spec.btfKeyTypeId);
        break;
      case 'value':
        spec.btfValueTypeId = typeAttr(btf, m.type, what);
        spec.valueSize = btf.sizeOf(spec.btfValueTypeId);
        spec.spinLockOffset = spinLockOffset(btf, spec.btfValueTypeId);
        break;
      case 'values': {
        const arr = btf.type(btf.resolve(m.type));
        const ptr = arr.kind === BtfKind.ARRAY ? btf.type(btf.resolve(arr.type)) : undefined;
        if (!ptr || ptr.kind !== BtfKind.PTR) throw new LoadError('bad-map', `${what} is not an __array() attribute`);
        values = { offset: m.bitOffset / 8, target: btf.type(btf.resolve(ptr.type)) };
        break;
      }
      default:
        throw new LoadError('bad-map', `map "${spec.name}": unknown attribute "${m.name}"`);
    }
  }
  return values;
}

/**
 * spinLockOffset finds the offset of the `struct bpf_spin_lock` member of a map value type (BTF), or -1 when it has
 * none: the one place bpf_spin_lock/unlock may point to, and bytes the program may not touch directly.
 */
export function spinLockOffset(btf: Btf, valueTypeId: number): number {
  const t = btf.type(btf.resolve(valueTypeId));
  if (t.kind !== BtfKind.STRUCT) return -1;
  for (const member of t.members) {
    const mt = btf.type(btf.resolve(member.type));
    if (mt.kind === BtfKind.STRUCT && mt.name === 'bpf_spin_lock') return member.bitOffset / 8;
  }
  return -1;
}

/** btfMaps reads the `.maps` section through its BTF DATASEC, including inner maps and `.values` relocations. */
export function btfMaps(elf: ElfFile, section: ElfSection, btf: Btf | undefined): MapSpec[] {
  if (!btf) throw new LoadError('no-btf', `section ${section.name}: BTF-defined maps need the object's .BTF section (compile with -g)`, { section: section.name });
  const dsId = btf.findByName(section.name, BtfKind.DATASEC)[0];
  if (dsId === undefined) throw new LoadError('bad-map', `section ${section.name}: no BTF DATASEC describes it`, { section: section.name });
  const ds = btf.type(dsId);
  if (ds.kind !== BtfKind.DATASEC) throw new LoadError('bad-map', `BTF type ${dsId} is not a DATASEC`);
  const rels = elf.relocations.get(section.index) ?? [];
  return ds.vars.map((v) => {
    const variable = btf.type(v.type);
    if (variable.kind !== BtfKind.VAR) throw new LoadError('bad-map', `${section.name}: DATASEC entry ${v.type} is not a variable`);
    const spec = emptyMap(variable.name, section.name, 'maps');
    const def = btf.type(btf.resolve(variable.type));
    if (def.kind !== BtfKind.STRUCT) throw new LoadError('bad-map', `map "${spec.name}": definition is not a struct`);
    const values = parseMapStruct(btf, def, spec);
    if (values) {
      const inner = values.target;
      if (spec.type === MapType.array_of_maps || spec.type === MapType.hash_of_maps) {
        if (inner.kind !== BtfKind.STRUCT) throw new LoadError('bad-map', `map "${spec.name}": values of a map-in-map must be map definitions`);
        spec.innerMap = emptyMap(`${spec.name}.inner`, section.name, 'maps');
        parseMapStruct(btf, inner, spec.innerMap);
        spec.valueSize = 4;
      } else if (spec.type === MapType.prog_array) {
        if (inner.kind !== BtfKind.FUNC_PROTO) throw new LoadError('bad-map', `map "${spec.name}": values of a prog_array must be programs`);
        spec.valueSize = 4;
      } else {
        throw new LoadError('bad-map', `map "${spec.name}": ${MAP_TYPES[spec.type] ?? spec.type} maps cannot have .values`);
      }
      spec.contents = valuesFromRelocations(elf, rels, v.offset + values.offset, v.offset + v.size, spec);
    }
    return spec;
  });
}

function valuesFromRelocations(elf: ElfFile, rels: ElfRel[], from: number, to: number, spec: MapSpec): MapEntry[] {
  const out: (MapEntry & { index: number })[] = [];
  for (const rel of rels) {
    if (rel.offset < from || rel.offset >= to) continue;
    if ((rel.offset - from) % 8) throw new LoadError('bad-map', `map "${spec.name}": .values relocation at ${rel.offset} is not slot-aligned`);
    const index = (rel.offset - from) / 8;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index, true);
    const sym = elf.symbols[rel.symbol];
    out.push({ index, key, value: spec.type === MapType.prog_array ? { program: sym.name } : { map: sym.name } });
  }
  return out.sort((a, b) => a.index - b.index).map(({ key, value }) => ({ key, value }));
}

/**
 * linkLegacyMaps applies what legacy definitions say about each other: a map-in-map gets its inner template (by
 * bpf_elf_map inner_id, or bpf_load's inner_map_idx), and maps carrying an id are placed in the outer map that names it
 * at their inner_idx, as tc does after creating them.
 */
export function linkLegacyMaps(maps: MapSpec[], links: LegacyLinks): void {
  const byName = new Map(maps.map((m) => [m.name, m]));
  const legacy = maps.filter((m) => m.origin === 'maps' && (m.section === 'maps' || m.section.startsWith('maps/')));
  for (const outer of legacy) {
    const innerId = links.innerIds.get(outer.name);
    const idx = links.innerMapIdx.get(outer.name);
    let template: MapSpec | undefined;
    if (innerId !== undefined) {
      const members = [...links.ids].filter(([, id]) => id === innerId).map(([name]) => byName.get(name)!);
      if (members.length === 0) throw new LoadError('bad-map', `map "${outer.name}": inner_id ${innerId} names no map of the object`);
      template = members[0];
      for (const inner of members) {
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, links.innerIdx.get(inner.name) ?? 0, true);
        outer.contents.push({ key, value: { map: inner.name } });
      }
    } else if (idx !== undefined) {
      template = byName.get(links.byOffset[idx]);
      if (!template) throw new LoadError('bad-map', `map "${outer.name}": inner_map_idx ${idx} is not a map of the section`);
    }
    if (template) outer.innerMap = { ...template, name: `${outer.name}.inner`, contents: [] };
  }
}

/**
 * tailCallSections places programs in tc's tail-call sections (`ID/KEY`, iproute2's __section_tail) into the program
 * array whose bpf_elf_map id is ID, at KEY, as tc does when it loads the object.
 */
export function tailCallSections(maps: MapSpec[], links: LegacyLinks, programs: { name: string; section: string }[]): void {
  for (const p of programs) {
    const m = /^(\d+)\/(\d+)$/.exec(p.section);
    if (!m) continue;
    const name = [...links.ids].find(([, id]) => id === Number(m[1]))?.[0];
    const map = name === undefined ? undefined : maps.find((x) => x.name === name);
    if (!map || map.type !== MapType.prog_array) continue;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, Number(m[2]), true);
    map.contents.push({ key, value: { program: p.name } });
  }
}
