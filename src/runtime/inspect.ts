/**
 * Reading a collection's state for people: map contents (like `bpftool map dump`, values decoded with BTF where the
 * map declares types, global-data sections by variable), and the records programs sent through ring buffers and perf
 * buffers (decoded with BTF when the record type is known or can be guessed, hex otherwise).
 */
import type { BpfMap } from '../helpers/maps/types.js';
import type { MapOfMaps } from '../helpers/maps/map-in-map.js';
import { ProgArrayMap } from '../helpers/maps/prog-array.js';
import { RingBufMap } from '../helpers/maps/ringbuf.js';
import { formatValue, type FormattedValue } from '../loader/btf/format.js';
import type { Btf } from '../loader/btf/parse.js';
import { BtfKind } from '../loader/btf/types.js';
import { MAP_TYPES, MapType } from '../loader/spec.js';
import type { Collection } from './collection.js';

/** hex prints bytes as a space-separated hex string. */
export const hexBytes = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

const PERCPU = new Set<number>([MapType.percpu_array, MapType.percpu_hash, MapType.lru_percpu_hash]);
/** Output maps: their data is records, shown apart, not elements. */
const NOT_DUMPED = new Set<number>([MapType.ringbuf, MapType.perf_event_array]);
const MAP_OF_MAPS = new Set<number>([MapType.array_of_maps, MapType.hash_of_maps]);

/** referenceEntries lists what a program array or map of maps holds: the program or the inner map, by name. */
function referenceEntries(map: DumpableMap, btf: Btf | undefined): MapDump['entries'] {
  const out: MapDump['entries'] = [];
  for (let k = map.nextKey(undefined); k; k = map.nextKey(k)) {
    const index = k.length === 4 ? new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true) : undefined;
    // Arrays of references are indexed by u32 whether or not BTF says so.
    const key = map.spec.btfKeyTypeId === undefined && index !== undefined ? index : decode(btf, map.spec.btfKeyTypeId, k);
    if (map instanceof ProgArrayMap) {
      const p = map.program(index!) as { spec?: { name: string } } | undefined;
      if (p?.spec) out.push({ key, value: { program: p.spec.name } });
    } else {
      const inner = (map as unknown as MapOfMaps).inner(k);
      if (inner) out.push({ key, value: { map: inner.spec.name } });
    }
  }
  return out;
}

function decode(btf: Btf | undefined, typeId: number | undefined, bytes: Uint8Array): FormattedValue {
  if (btf && typeId) {
    try {
      return formatValue(btf, typeId, bytes);
    } catch {
      // Fall back to bytes when the BTF does not describe them (size mismatch).
    }
  }
  return hexBytes(bytes);
}

/** MapDump is one map's contents, decoded. */
export interface MapDump {
  name: string;
  type: string;
  entries: { key: FormattedValue; value: FormattedValue }[];
}

/** DumpableMap is what dumpMap reads: a map's spec and elements (a TypeScript map, or a shared-memory one). */
export type DumpableMap = Pick<BpfMap, 'spec' | 'entries' | 'nextKey'>;

/** dumpMap decodes every element; per-CPU values become one value per CPU. Keyless and output maps have no entries. */
export function dumpMap(map: DumpableMap, btf: Btf | undefined, ncpus: number): MapDump {
  const spec = map.spec;
  const type = MAP_TYPES[spec.type] ?? String(spec.type);
  const dump: MapDump = { name: spec.name, type, entries: [] };
  if (spec.keySize === 0 || NOT_DUMPED.has(spec.type)) return dump;
  if (map instanceof ProgArrayMap || MAP_OF_MAPS.has(spec.type)) return { ...dump, entries: referenceEntries(map, btf) };
  for (const [key, value] of map.entries()) {
    const k = decode(btf, spec.btfKeyTypeId, key);
    if (PERCPU.has(spec.type)) {
      const stride = Math.ceil(spec.valueSize / 8) * 8;
      const values = Array.from({ length: ncpus }, (_, cpu) => decode(btf, spec.btfValueTypeId, value.subarray(cpu * stride, cpu * stride + spec.valueSize)));
      dump.entries.push({ key: k, value: values });
    } else dump.entries.push({ key: k, value: decode(btf, spec.btfValueTypeId, value) });
  }
  return dump;
}

/** guessRecordType picks the struct a ring or perf buffer record most likely is: the one named struct of that size. */
export function guessRecordType(btf: Btf | undefined, size: number): number | undefined {
  if (!btf) return undefined;
  const fits: number[] = [];
  btf.types.forEach((t, id) => {
    if (t.kind === BtfKind.STRUCT && t.name !== '' && t.size === size) fits.push(id);
  });
  if (fits.length === 1) return fits[0];
  const named = fits.filter((id) => /event|record|sample|data/i.test(btf.types[id].name));
  return named.length === 1 ? named[0] : undefined;
}

/** OutputRecord is one record a program sent to user space. */
export interface OutputRecord {
  map: string;
  cpu?: number;
  /** Decoded with BTF, or hex. */
  value: FormattedValue;
  size: number;
}

/**
 * recordDecoder returns how the records of an output map are shown: as the BTF struct named for the map in
 * `recordTypes` (`MAP=STRUCT`, from --record-type), else the one struct of the record's size, else hex.
 */
export function recordDecoder(btf: Btf | undefined, recordTypes: ReadonlyMap<string, string> = new Map()): (map: string, bytes: Uint8Array) => FormattedValue {
  const typeOf = (map: string, size: number): number | undefined => {
    const named = recordTypes.get(map);
    if (named !== undefined && btf) return btf.findByName(named.replace(/^struct\s+/, ''), BtfKind.STRUCT)[0];
    return guessRecordType(btf, size);
  };
  return (map, bytes) => decode(btf, typeOf(map, bytes.length), bytes);
}

/** drainRecords reads every ring buffer and perf buffer record produced since the last call. */
export function drainRecords(c: Collection, btf: Btf | undefined, recordTypes: ReadonlyMap<string, string> = new Map()): OutputRecord[] {
  const show = recordDecoder(btf, recordTypes);
  const out: OutputRecord[] = [];
  for (const [name, map] of c.maps) {
    if (!(map instanceof RingBufMap)) continue;
    for (const r of map.consumer().drain()) out.push({ map: name, value: show(name, r), size: r.length });
  }
  for (const [name, reader] of c.perfReaders) {
    for (const s of reader.read()) out.push({ map: name, cpu: s.cpu, value: show(name, s.data), size: s.data.length });
  }
  return out;
}
