/**
 * Map spec validation with the kernel's rules and errno values (each type's `map_alloc_check`): EINVAL for sizes,
 * entry counts and flags a type does not accept, E2BIG for sizes beyond the kernel's allocation limits, ENOTSUPP for
 * LRU maps without preallocation. Messages name the map: `map "counts": value size 0 is invalid for a hash map`.
 */
import { NotSupportedError } from '../../errors.js';
import { MapType, type MapSpec } from '../../loader/spec.js';
import { PAGE_SIZE } from '../../memory/guest-memory.js';
import { aMap, mapError, roundUp8, typeName } from './base-map.js';
import {
  ARRAY_CREATE_MASK,
  ARRAY_KEY_SIZE,
  BLOOM_CREATE_MASK,
  BLOOM_HASHES_MASK,
  CreateFlag,
  FD_SIZE,
  HASH_CREATE_MASK,
  INT_MAX,
  KMALLOC_MAX_SIZE,
  LPM_CREATE_MASK,
  LPM_DATA_SIZE_MAX,
  LPM_DATA_SIZE_MIN,
  LPM_PREFIXLEN_SIZE,
  MAX_BPF_STACK,
  PCPU_MIN_UNIT_SIZE,
  QUEUE_STACK_CREATE_MASK,
  RINGBUF_CREATE_MASK,
  PERF_MAX_STACK_DEPTH,
  STACK_IP_SIZE,
  STACK_TRACE_CREATE_MASK,
  U32_MAX,
} from './constants.js';
import { Errno } from './types.js';

const HASH_TYPES: number[] = [
  MapType.hash,
  MapType.percpu_hash,
  MapType.lru_hash,
  MapType.lru_percpu_hash,
  MapType.hash_of_maps,
];
const ARRAY_TYPES: number[] = [
  MapType.array,
  MapType.percpu_array,
  MapType.prog_array,
  MapType.perf_event_array,
  MapType.cgroup_array,
  MapType.array_of_maps,
];
const FD_TYPES: number[] = [MapType.prog_array, MapType.perf_event_array, MapType.cgroup_array, MapType.array_of_maps, MapType.hash_of_maps];
const PERCPU_TYPES: number[] = [MapType.percpu_hash, MapType.lru_percpu_hash, MapType.percpu_array];
const LRU_TYPES: number[] = [MapType.lru_hash, MapType.lru_percpu_hash];

/** SUPPORTED_MAP_TYPES lists the map type ids `createMap` implements. */
export const SUPPORTED_MAP_TYPES: readonly number[] = Object.values(MapType);

/** validateSpec throws MapError (or NotSupportedError for types bpftime-vm lacks) unless the kernel would accept it. */
export function validateSpec(spec: MapSpec): void {
  const t = spec.type;
  if (!SUPPORTED_MAP_TYPES.includes(t)) {
    throw new NotSupportedError('map-type', `map "${spec.name}": map type ${typeName(t)} is not supported`);
  }
  const invalid = (what: string): never => {
    throw mapError(spec, Errno.EINVAL, `${what} is invalid for ${aMap(t)}`);
  };
  const tooBig = (what: string, max: number): never => {
    throw mapError(spec, Errno.E2BIG, `${what} is too big for ${aMap(t)} (limit ${max})`);
  };
  for (const [name, v] of [
    ['key size', spec.keySize],
    ['value size', spec.valueSize],
    ['max_entries', spec.maxEntries],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= U32_MAX)) invalid(`${name} ${v}`);
  }
  const f = spec.flags;
  const flagsIn = (mask: number) => (f & ~mask) === 0 || invalid(`flags 0x${f.toString(16)}`);
  if ((f & CreateFlag.RDONLY && f & CreateFlag.WRONLY) || (f & CreateFlag.RDONLY_PROG && f & CreateFlag.WRONLY_PROG)) {
    invalid(`flags 0x${f.toString(16)} (read-only and write-only)`);
  }
  const percpu = PERCPU_TYPES.includes(t);
  if (percpu && roundUp8(spec.valueSize) > PCPU_MIN_UNIT_SIZE) {
    tooBig(`value size ${spec.valueSize}`, PCPU_MIN_UNIT_SIZE);
  }
  if (FD_TYPES.includes(t) && spec.valueSize !== FD_SIZE) invalid(`value size ${spec.valueSize}`);
  if ((t === MapType.array_of_maps || t === MapType.hash_of_maps) && spec.innerMap === undefined) {
    invalid('a missing inner map template');
  }

  if (HASH_TYPES.includes(t)) {
    const lru = LRU_TYPES.includes(t);
    flagsIn(HASH_CREATE_MASK);
    if (!lru && f & CreateFlag.NO_COMMON_LRU) invalid('flag BPF_F_NO_COMMON_LRU');
    if (lru && f & CreateFlag.NO_PREALLOC) {
      throw mapError(spec, Errno.ENOTSUPP, `flag BPF_F_NO_PREALLOC is not supported for ${aMap(t)}`);
    }
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize === 0) invalid('key size 0');
    if (spec.valueSize === 0) invalid('value size 0');
    if (spec.keySize > MAX_BPF_STACK) tooBig(`key size ${spec.keySize}`, MAX_BPF_STACK);
    if (spec.keySize + spec.valueSize >= KMALLOC_MAX_SIZE) tooBig(`element size`, KMALLOC_MAX_SIZE);
  } else if (ARRAY_TYPES.includes(t)) {
    flagsIn(ARRAY_CREATE_MASK);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize !== ARRAY_KEY_SIZE) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize === 0) invalid('value size 0');
    if (t !== MapType.array && f & (CreateFlag.MMAPABLE | CreateFlag.INNER_MAP)) invalid(`flags 0x${f.toString(16)}`);
    if (t !== MapType.perf_event_array && f & CreateFlag.PRESERVE_ELEMS) invalid('flag BPF_F_PRESERVE_ELEMS');
    if (spec.valueSize > INT_MAX) tooBig(`value size ${spec.valueSize}`, INT_MAX);
  } else if (t === MapType.queue || t === MapType.stack) {
    flagsIn(QUEUE_STACK_CREATE_MASK);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize !== 0) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize === 0) invalid('value size 0');
    if (spec.valueSize > KMALLOC_MAX_SIZE) tooBig(`value size ${spec.valueSize}`, KMALLOC_MAX_SIZE);
  } else if (t === MapType.bloom_filter) {
    flagsIn(BLOOM_CREATE_MASK);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize !== 0) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize === 0) invalid('value size 0');
    if ((spec.mapExtra & ~BigInt(BLOOM_HASHES_MASK)) !== 0n) invalid(`map_extra ${spec.mapExtra}`);
  } else if (t === MapType.lpm_trie) {
    flagsIn(LPM_CREATE_MASK);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if ((f & CreateFlag.NO_PREALLOC) === 0) invalid('a map without BPF_F_NO_PREALLOC');
    const minKey = LPM_PREFIXLEN_SIZE + LPM_DATA_SIZE_MIN;
    const maxKey = LPM_PREFIXLEN_SIZE + LPM_DATA_SIZE_MAX;
    if (spec.keySize < minKey || spec.keySize > maxKey) invalid(`key size ${spec.keySize} (${minKey} to ${maxKey})`);
    if (spec.valueSize === 0) invalid('value size 0');
    if (spec.valueSize > KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX) tooBig(`value size ${spec.valueSize}`, KMALLOC_MAX_SIZE);
  } else if (t === MapType.stack_trace) {
    flagsIn(STACK_TRACE_CREATE_MASK);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize !== ARRAY_KEY_SIZE) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize < STACK_IP_SIZE || spec.valueSize % STACK_IP_SIZE !== 0) invalid(`value size ${spec.valueSize}`);
    if (spec.valueSize / STACK_IP_SIZE > PERF_MAX_STACK_DEPTH) tooBig(`value size ${spec.valueSize}`, PERF_MAX_STACK_DEPTH * STACK_IP_SIZE);
  } else if (t === MapType.devmap || t === MapType.devmap_hash || t === MapType.cpumap || t === MapType.xskmap) {
    flagsIn(t === MapType.cpumap ? CreateFlag.NUMA_NODE : CreateFlag.NUMA_NODE | CreateFlag.RDONLY | CreateFlag.WRONLY);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (spec.keySize !== ARRAY_KEY_SIZE) invalid(`key size ${spec.keySize}`);
    const values = t === MapType.xskmap ? [4] : [4, 8];
    if (!values.includes(spec.valueSize)) invalid(`value size ${spec.valueSize}`);
  } else if (t === MapType.sockmap || t === MapType.sockhash) {
    // sock_map_alloc and sock_hash_alloc: values are socket fds (u32 or u64); SOCK_CREATE_FLAG_MASK.
    flagsIn(CreateFlag.NUMA_NODE | CreateFlag.RDONLY | CreateFlag.WRONLY);
    if (spec.maxEntries === 0) invalid('max_entries 0');
    if (t === MapType.sockmap ? spec.keySize !== ARRAY_KEY_SIZE : spec.keySize === 0) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize !== 4 && spec.valueSize !== 8) invalid(`value size ${spec.valueSize}`);
    if (t === MapType.sockhash && spec.keySize > MAX_BPF_STACK) tooBig(`key size ${spec.keySize}`, MAX_BPF_STACK);
  } else if (t === MapType.ringbuf) {
    flagsIn(RINGBUF_CREATE_MASK);
    if (spec.keySize !== 0) invalid(`key size ${spec.keySize}`);
    if (spec.valueSize !== 0) invalid(`value size ${spec.valueSize}`);
    const n = spec.maxEntries;
    if (n === 0 || !Number.isInteger(Math.log2(n)) || n % PAGE_SIZE !== 0) {
      invalid(`size ${n} (not a power of two multiple of ${PAGE_SIZE})`);
    }
  }
}

/**
 * withLibbpfDefaults fills what libbpf fills before creating a map: a perf event array's key and value sizes default
 * to 4 and its max_entries to the number of CPUs. Returns the spec itself when nothing changes.
 */
export function withLibbpfDefaults(spec: MapSpec, ncpus: number): MapSpec {
  if (spec.type !== MapType.perf_event_array) return spec;
  if (spec.keySize !== 0 && spec.valueSize !== 0 && spec.maxEntries !== 0) return spec;
  return {
    ...spec,
    keySize: spec.keySize || ARRAY_KEY_SIZE,
    valueSize: spec.valueSize || FD_SIZE,
    maxEntries: spec.maxEntries || ncpus,
  };
}
