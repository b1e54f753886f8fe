/**
 * Kernel constants the map implementations need, named as in `include/uapi/linux/bpf.h` and `kernel/bpf/*.c`, so no
 * map file spells a bare number with a kernel meaning.
 */
import { MapFlag } from '../../loader/spec.js';

/** CreateFlag lists the BPF_F_* map creation flags, including those `MapFlag` leaves out. */
export const CreateFlag = {
  NO_PREALLOC: MapFlag.noPrealloc,
  NO_COMMON_LRU: MapFlag.noCommonLru,
  NUMA_NODE: 1 << 2,
  RDONLY: MapFlag.rdonly,
  WRONLY: MapFlag.wronly,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: MapFlag.rdonlyProg,
  WRONLY_PROG: MapFlag.wronlyProg,
  CLONE: 1 << 9,
  MMAPABLE: MapFlag.mmapable,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

/** ACCESS_MASK is BPF_F_ACCESS_MASK: the flags that restrict who may read or write a map. */
export const ACCESS_MASK = CreateFlag.RDONLY | CreateFlag.WRONLY | CreateFlag.RDONLY_PROG | CreateFlag.WRONLY_PROG;

/** HASH_CREATE_MASK is hashtab.c's HTAB_CREATE_FLAG_MASK. */
export const HASH_CREATE_MASK =
  CreateFlag.NO_PREALLOC | CreateFlag.NO_COMMON_LRU | CreateFlag.NUMA_NODE | ACCESS_MASK | CreateFlag.ZERO_SEED;
/** ARRAY_CREATE_MASK is arraymap.c's ARRAY_CREATE_FLAG_MASK. */
export const ARRAY_CREATE_MASK =
  CreateFlag.NUMA_NODE | CreateFlag.MMAPABLE | ACCESS_MASK | CreateFlag.PRESERVE_ELEMS | CreateFlag.INNER_MAP;
/** QUEUE_STACK_CREATE_MASK is queue_stack_maps.c's QUEUE_STACK_CREATE_FLAG_MASK. */
export const QUEUE_STACK_CREATE_MASK = CreateFlag.NUMA_NODE | ACCESS_MASK;
/** BLOOM_CREATE_MASK is bloom_filter.c's BLOOM_CREATE_FLAG_MASK. */
export const BLOOM_CREATE_MASK = CreateFlag.NUMA_NODE | CreateFlag.ZERO_SEED | ACCESS_MASK;
/** LPM_CREATE_MASK is lpm_trie.c's LPM_CREATE_FLAG_MASK. */
export const LPM_CREATE_MASK = CreateFlag.NO_PREALLOC | CreateFlag.NUMA_NODE | ACCESS_MASK;
/** RINGBUF_CREATE_MASK is ringbuf.c's RINGBUF_CREATE_FLAG_MASK. */
export const RINGBUF_CREATE_MASK = CreateFlag.NUMA_NODE;
/** Flags a stack trace map accepts (BPF_F_STACK_BUILD_ID is not supported). */
export const STACK_TRACE_CREATE_MASK = CreateFlag.NUMA_NODE | ACCESS_MASK;
/** PERF_MAX_STACK_DEPTH is the deepest stack a stack trace bucket holds. */
export const PERF_MAX_STACK_DEPTH = 127;
/** STACK_IP_SIZE is the size of one instruction pointer in a stack trace. */
export const STACK_IP_SIZE = 8;

/** MAX_BPF_STACK bounds hash keys: programs build keys on their 512-byte stack. */
export const MAX_BPF_STACK = 512;
/** KMALLOC_MAX_SIZE on x86-64 with 4 KiB pages (order-10 allocations); bounds element sizes. */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** PCPU_MIN_UNIT_SIZE bounds per-CPU values (rounded to 8 bytes). */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
/** INT_MAX bounds array value sizes. */
export const INT_MAX = 0x7fff_ffff;
/** U32_MAX is the largest u32. */
export const U32_MAX = 0xffff_ffff;
/** FD_SIZE is the value size of fd-holding maps (prog_array, perf_event_array, map-in-map): one u32. */
export const FD_SIZE = 4;
/** ARRAY_KEY_SIZE: array-like maps are indexed by a u32. */
export const ARRAY_KEY_SIZE = 4;

/** VALUE_ALIGN: the kernel rounds per-CPU values and element slots up to 8 bytes. */
export const VALUE_ALIGN = 8;

/** LPM_PREFIXLEN_SIZE: an LPM key starts with a host-order u32 prefix length. */
export const LPM_PREFIXLEN_SIZE = 4;
/** LPM_DATA_SIZE_MIN is the fewest data bytes an LPM key may have (lpm_trie.c). */
export const LPM_DATA_SIZE_MIN = 1;
/** LPM_DATA_SIZE_MAX is the most data bytes an LPM key may have (lpm_trie.c). */
export const LPM_DATA_SIZE_MAX = 256;

/** BLOOM_HASHES_MASK selects the number of hash functions in map_extra's low 4 bits. */
export const BLOOM_HASHES_MASK = 0xf;
/** BLOOM_DEFAULT_HASHES is the kernel's number of hash functions when map_extra leaves it 0. */
export const BLOOM_DEFAULT_HASHES = 5;

/** RingbufHeader: a ring buffer record starts with u32 len (with these bits) and u32 pg_off. */
export const RingbufHeader = {
  SIZE: 8,
  BUSY_BIT: 0x8000_0000,
  DISCARD_BIT: 0x4000_0000,
} as const;
/** RINGBUF_MAX_RECORD_SZ is the largest sample a ring buffer accepts (UINT_MAX / 4). */
export const RINGBUF_MAX_RECORD_SZ = Math.floor(U32_MAX / 4);
/** RingbufFlag: BPF_RB_* flags of submit/discard/output. */
export const RingbufFlag = { NO_WAKEUP: 1, FORCE_WAKEUP: 2 } as const;
/** RingbufQuery: BPF_RB_* selectors of bpf_ringbuf_query. */
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

/** BPF_F_INDEX_MASK selects the perf event array index in bpf_perf_event_output's flags. */
export const BPF_F_INDEX_MASK = 0xffff_ffff;
/** BPF_F_CURRENT_CPU as an index means "the buffer of the CPU the program runs on". */
export const BPF_F_CURRENT_CPU = 0xffff_ffff;
/** PERF_EVENT_HEADER_SIZE: struct perf_event_header in front of each perf record. */
export const PERF_EVENT_HEADER_SIZE = 8;
/** PERF_RAW_SIZE_FIELD: the u32 size in front of PERF_SAMPLE_RAW data. */
export const PERF_RAW_SIZE_FIELD = 4;
