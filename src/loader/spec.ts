/**
 * The loader's output: plain, deterministic data describing what an object file contains. Nothing here executes or
 * allocates guest memory; `src/runtime` turns a spec into live maps and programs.
 */
import type { Insn } from '../isa/index.js';

/** MAP_TYPES maps kernel `BPF_MAP_TYPE_*` ids to the names bpftool prints. */
export const MAP_TYPES: Record<number, string> = {
  0: 'unspec',
  1: 'hash',
  2: 'array',
  3: 'prog_array',
  4: 'perf_event_array',
  5: 'percpu_hash',
  6: 'percpu_array',
  7: 'stack_trace',
  8: 'cgroup_array',
  9: 'lru_hash',
  10: 'lru_percpu_hash',
  11: 'lpm_trie',
  12: 'array_of_maps',
  13: 'hash_of_maps',
  14: 'devmap',
  15: 'sockmap',
  16: 'cpumap',
  17: 'xskmap',
  18: 'sockhash',
  19: 'cgroup_storage',
  20: 'reuseport_sockarray',
  21: 'percpu_cgroup_storage',
  22: 'queue',
  23: 'stack',
  24: 'sk_storage',
  25: 'devmap_hash',
  26: 'struct_ops',
  27: 'ringbuf',
  28: 'inode_storage',
  29: 'task_storage',
  30: 'bloom_filter',
  31: 'user_ringbuf',
  32: 'cgrp_storage',
  33: 'arena',
};

/** Kernel map type ids used by name in code. */
export const MapType = {
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  queue: 22,
  stack: 23,
  devmap_hash: 25,
  ringbuf: 27,
  bloom_filter: 30,
} as const;

/** Map flags (BPF_F_*) that change semantics in userspace. */
export const MapFlag = {
  noPrealloc: 1 << 0,
  noCommonLru: 1 << 1,
  rdonly: 1 << 3,
  wronly: 1 << 4,
  rdonlyProg: 1 << 7,
  wronlyProg: 1 << 8,
  mmapable: 1 << 10,
} as const;

/** MapEntryValue is the value of an initial map entry: bytes, or a reference resolved when the maps are created. */
export type MapEntryValue = Uint8Array | { program: string } | { map: string };

/** MapEntry is one initial key/value pair of a map. */
export interface MapEntry {
  key: Uint8Array;
  value: MapEntryValue;
}

/** MapSpec describes one map as the object file declares it. */
export interface MapSpec {
  name: string;
  /** Kernel BPF_MAP_TYPE_* id; `MAP_TYPES[type]` is its name. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* map flags. */
  flags: number;
  /** LIBBPF_PIN_NONE (0) or LIBBPF_PIN_BY_NAME (1). */
  pinning: number;
  /**
   * Where a pinned map goes, relative to the BPF file system, when its definition says (iproute2's bpf_elf_map:
   * `tc/globals` for PIN_GLOBAL_NS, `tc/<SHA-1 of the object file>` for PIN_OBJECT_NS, as tc pins them); libbpf's
   * default (the root, or the loader's pin_root_path) otherwise.
   */
  pinPath?: string;
  numaNode: number;
  /** map_extra (the number of hash functions of a bloom filter, in its low 4 bits). */
  mapExtra: bigint;
  /** BTF type ids of key and value in the collection's BTF, when declared with `__type`. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** Offset of the value's `struct bpf_spin_lock` member (BTF-declared maps whose value has one). */
  spinLockOffset?: number;
  /** The inner map template of array_of_maps / hash_of_maps. */
  innerMap?: MapSpec;
  /** Initial contents (global data, `.values` of prog_array and map-in-map). */
  contents: MapEntry[];
  /** Where the map comes from: a declared map, global data (`.data`, `.rodata`...), or `.kconfig` externs. */
  origin: 'maps' | 'data' | 'kconfig';
  /** ELF section that declared or holds the map. */
  section: string;
  /** Programs may not write it (frozen `.rodata` and `.kconfig`). */
  readOnly: boolean;
}

/** AttachSpec is what a program's section name says about where it attaches. */
export interface AttachSpec {
  /** uprobe/uretprobe/usdt: the binary path, or '' when the section does not name one. */
  binary?: string;
  /** uprobe/uretprobe/kprobe: function name (or offset text), possibly with `+offset`. */
  func?: string;
  offset?: number;
  /** usdt provider and probe name. */
  provider?: string;
  probe?: string;
  /** tracepoint category and name; raw_tracepoint/tp_btf name. */
  category?: string;
  name?: string;
  /** Whether bpftime-vm can attach it in userspace (kprobes cannot). */
  attachable: boolean;
  /** Why it cannot be attached, when it cannot. */
  reason?: string;
}

/** LineInfo maps an instruction to its C source line (from .BTF.ext). */
export interface LineInfo {
  pc: number;
  file: string;
  line: number;
  column: number;
  /** The source text of the line, as recorded by clang. */
  text: string;
}

/** FuncInfo names the function that starts at an instruction (from .BTF.ext). */
export interface FuncInfo {
  pc: number;
  name: string;
  typeId: number;
}

/** CoreRelocation records one applied CO-RE relocation, for listings and errors. */
export interface CoreRelocation {
  pc: number;
  kind: string;
  /** The access path, e.g. `struct task_struct.pid` or `struct s::a.b[2]`. */
  access: string;
  /** The value patched into the instruction. */
  value: bigint;
  /** False when the relocation could not be resolved and its instruction was poisoned. */
  found: boolean;
  /** Why it could not be resolved. */
  reason?: string;
}

/** ProgramSpec describes one program: its code, with subprograms linked after it and map references resolved. */
export interface ProgramSpec {
  /** Function name (the ELF symbol). */
  name: string;
  /** ELF section the program lives in. */
  section: string;
  /** Program type derived from the section name (`uprobe`, `tracepoint`, `xdp`, ...). */
  type: string;
  /** Expected attach type or section prefix as libbpf names it (`uprobe`, `uretprobe`, `tp`, ...). */
  attachType: string;
  attach: AttachSpec;
  /** Sleepable variant (`uprobe.s`, ...). */
  sleepable: boolean;
  /**
   * Instruction slots. Map references are `lddw map_idx N` (src 5) and `lddw map_idx_value N, OFF` (src 6) where N
   * indexes `CollectionSpec.maps`; calls to subprograms point at their linked copies.
   */
  insns: Insn[];
  /** Subprograms linked after the main function: name and first slot. */
  subprograms: { name: string; pc: number }[];
  /** Map used at each lddw that references one. */
  mapRefs: { pc: number; map: string }[];
  /**
   * Kernel symbols (`__ksym` externs) used: kfunc calls (`call` with src 2 and imm = the target BTF id) and symbol
   * addresses (`lddw` with src BPF_PSEUDO_BTF_ID). `btfId` is 0 for a weak symbol the target lacks: its address loads
   * 0 and its call is poisoned (helper id POISON_CALL_KFUNC_BASE + index, as libbpf does).
   */
  ksyms?: { pc: number; name: string; kind: 'call' | 'address'; btfId: number; symbol?: 'func' | 'var' }[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelocations: CoreRelocation[];
  license: string;
}

/** CollectionSpec is everything an object file declares. */
export interface CollectionSpec {
  programs: ProgramSpec[];
  maps: MapSpec[];
  license: string;
  /** Value of the `version` section (legacy kernel version), 0 when absent. */
  kernelVersion: number;
}
