/**
 * Live maps (DESIGN.md section 4): every map type bpftime-vm supports, with the kernel's semantics and error codes,
 * storing keys and values in guest memory. `createMap` builds one from a spec; `MapTable` turns program handles back
 * into maps; the per-type classes carry the extra APIs (ring buffer consumer, perf reader, tail call table, map-in-map
 * setters).
 */
export { ArrayMap } from './array-map.js';
export { BaseMap } from './base-map.js';
export { CgroupArrayMap, type CgroupRef } from './cgroup-array.js';
export { BloomFilterMap, bloomBits, bloomHashes } from './bloom-filter.js';
export { CreateFlag, RingbufFlag, RingbufHeader, RingbufQuery, BPF_F_CURRENT_CPU } from './constants.js';
export { createMap } from './create.js';
export { HashMap } from './hash-map.js';
export { LpmTrieMap } from './lpm-trie.js';
export { ArrayOfMapsMap, HashOfMapsMap, innerMismatch, type MapOfMaps } from './map-in-map.js';
export { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, MapTable } from './map-table.js';
export {
  DEFAULT_PERF_PAGES,
  PerfEventArrayMap,
  PerfReader,
  type PerfReaderOptions,
  type PerfSample,
} from './perf-event-array.js';
export { ProgArrayMap } from './prog-array.js';
export { CpuMap, DevHashMap, DevMap, RedirectMap, type RedirectTarget, XskMap } from './redirect-maps.js';
export { FIRST_SOCKET_FD, SockHash, SockMap, SockMapBase, type SocketDirectory } from './sock-maps.js';
export { QueueStackMap } from './queue-stack.js';
export { StackTraceMap, StackIdFlag } from './stack-trace.js';
export { RingBufMap, type RingState } from './ringbuf.js';
export { RingBufConsumer } from './ringbuf-consumer.js';
export { type BpfMap, Errno, type MapContext, MapError, UpdateFlag } from './types.js';
export { SUPPORTED_MAP_TYPES, validateSpec, withLibbpfDefaults } from './validate.js';
