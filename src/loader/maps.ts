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

/** Fields of the legacy struct bpf_map_def, in order (u32 each). */
const LEGACY_FIELDS = ['type', 'keySize', 'valueSize', 'maxEntries', 'flags'] as const;
const LEGACY_MIN_SIZE = LEGACY_FIELDS.length * 4;

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

/** legacyMaps reads `maps` sections: one struct bpf_map_def per symbol, all of the same size. */
export function legacyMaps(elf: ElfFile, section: ElfSection): MapSpec[] {
  const syms = elf.symbols.filter((s) => s.shndx === section.index && s.type !== STT.SECTION && s.name !== '');
  if (syms.length === 0) return [];
  const size = Math.floor(section.size / syms.length);
  if (size < LEGACY_MIN_SIZE || section.size % syms.length !== 0) {
    throw new LoadError('bad-map', `section ${section.name}: ${section.size} bytes do not divide into ${syms.length} map definitions of at least ${LEGACY_MIN_SIZE} bytes`, { section: section.name });
  }
  const dv = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
  return syms.map((sym) => {
    if (sym.value % size !== 0 || sym.value + size > section.size) {
      throw new LoadError('bad-map', `section ${section.name}: map ${sym.name} at offset ${sym.value} is not a whole definition`, { section: section.name });
    }
    const spec = emptyMap(sym.name, section.name, 'maps');
    LEGACY_FIELDS.forEach((f, k) => (spec[f] = dv.getUint32(sym.value + 4 * k, true)));
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
