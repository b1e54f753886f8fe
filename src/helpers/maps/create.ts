/**
 * The map factory: validate a spec like the kernel's map_create, build the live map for its type with an id and
 * handle from the table, and write its byte-valued initial contents.
 */
import { MapType, type MapSpec } from '../../loader/spec.js';
import { ArrayMap } from './array-map.js';
import type { BaseMap } from './base-map.js';
import { StackTraceMap } from './stack-trace.js';
import { CgroupArrayMap } from './cgroup-array.js';
import { BloomFilterMap } from './bloom-filter.js';
import { HashMap } from './hash-map.js';
import { LpmTrieMap } from './lpm-trie.js';
import { ArrayOfMapsMap, HashOfMapsMap } from './map-in-map.js';
import type { MapTable } from './map-table.js';
import { PerfEventArrayMap } from './perf-event-array.js';
import { ProgArrayMap } from './prog-array.js';
import { QueueStackMap } from './queue-stack.js';
import { RingBufMap } from './ringbuf.js';
import { CpuMap, DevHashMap, DevMap, XskMap } from './redirect-maps.js';
import { SockHash, SockMap } from './sock-maps.js';
import type { BpfMap, MapContext } from './types.js';
import { validateSpec, withLibbpfDefaults } from './validate.js';

/**
 * createMap builds the live map a spec describes and registers it in `table`. It applies libbpf's perf event array
 * defaults (see `withLibbpfDefaults`), throws MapError for a spec the kernel would reject and NotSupportedError for
 * map types bpftime-vm lacks, and writes the spec's byte-valued contents; program and map references in the contents
 * are left to the caller (`ProgArrayMap.setProgram`, `MapOfMaps.setInner`). Maps of frozen data (`.rodata`) are not
 * frozen here, so the caller can still write `.kconfig` values: call `freeze()` when done.
 */
export function createMap(spec: MapSpec, ctx: MapContext, table: MapTable): BpfMap {
  const s = withLibbpfDefaults(spec, ctx.ncpus);
  validateSpec(s);
  const map = table.add((handle, id) => construct(s, ctx, handle, id, table));
  map.initialize(s.contents);
  return map;
}

function construct(spec: MapSpec, ctx: MapContext, handle: number, id: number, table: MapTable): BaseMap {
  switch (spec.type) {
    case MapType.hash:
    case MapType.percpu_hash:
    case MapType.lru_hash:
    case MapType.lru_percpu_hash:
      return new HashMap(spec, ctx, handle, id);
    case MapType.array:
    case MapType.percpu_array:
      return new ArrayMap(spec, ctx, handle, id);
    case MapType.prog_array:
      return new ProgArrayMap(spec, ctx, handle, id);
    case MapType.perf_event_array:
      return new PerfEventArrayMap(spec, ctx, handle, id);
    case MapType.lpm_trie:
      return new LpmTrieMap(spec, ctx, handle, id);
    case MapType.array_of_maps:
      return new ArrayOfMapsMap(spec, ctx, handle, id, table);
    case MapType.hash_of_maps:
      return new HashOfMapsMap(spec, ctx, handle, id, table);
    case MapType.queue:
    case MapType.stack:
      return new QueueStackMap(spec, ctx, handle, id);
    case MapType.ringbuf:
      return new RingBufMap(spec, ctx, handle, id);
    case MapType.bloom_filter:
      return new BloomFilterMap(spec, ctx, handle, id);
    case MapType.stack_trace:
      return new StackTraceMap(spec, ctx, handle, id);
    case MapType.cgroup_array:
      return new CgroupArrayMap(spec, ctx, handle, id);
    case MapType.devmap:
      return new DevMap(spec, ctx, handle, id);
    case MapType.devmap_hash:
      return new DevHashMap(spec, ctx, handle, id);
    case MapType.cpumap:
      return new CpuMap(spec, ctx, handle, id);
    case MapType.xskmap:
      return new XskMap(spec, ctx, handle, id);
    case MapType.sockmap:
      return new SockMap(spec, ctx, handle, id);
    case MapType.sockhash:
      return new SockHash(spec, ctx, handle, id);
    default:
      // validateSpec has rejected every other type.
      throw new Error(`unreachable: map type ${spec.type}`);
  }
}
