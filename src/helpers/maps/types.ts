/**
 * The contract between maps and everything that uses them (helpers, the runtime, the CLI). A live map keeps its keys
 * and values in guest memory, so a program reads and writes a looked-up value in place, and helpers and callbacks get
 * real guest addresses. Two faces: the program side works on guest addresses and returns addresses or -errno, as the
 * kernel's helpers do; the user side works on byte arrays and throws `MapError`, as the bpf() syscall does.
 */
import { BpfError } from '../../errors.js';
import type { MapSpec } from '../../loader/spec.js';
import type { GuestMemory } from '../../memory/guest-memory.js';

/** Kernel errno values maps return (negated) or report. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EAGAIN: 11,
  EFAULT: 14,
  ENOMEM: 12,
  EBADF: 9,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

/** Update flags of bpf_map_update_elem. */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, LOCK: 4 } as const;

/** MapError is a failed user-side map operation; `errno` is the kernel's (positive) error number. */
export class MapError extends BpfError {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super('map-' + (Object.entries(Errno).find(([, v]) => v === errno)?.[0] ?? String(errno)).toLowerCase(), message);
  }
}

/** MapContext is what maps need from the machine: guest memory and the CPU model for per-CPU values. */
export interface MapContext {
  readonly mem: GuestMemory;
  /** Number of possible CPUs; per-CPU maps keep this many values per key. */
  readonly ncpus: number;
  /** The CPU the running program is on (0..ncpus-1). */
  currentCpu(): number;
}

/** BpfMap is a live map. Operations a map type does not support return -EINVAL (program side) or throw. */
export interface BpfMap {
  readonly spec: MapSpec;
  /** Opaque 64-bit value programs hold for this map (lddw map_idx loads it); see MapTable. */
  readonly handle: number;

  // Program side: addresses in guest memory.
  /** Address of the value for the key at `keyAddr` (this CPU's copy for per-CPU maps), or 0. Map-in-map: the inner map's handle. */
  lookupElem(keyAddr: number): number;
  /** Address of `cpu`'s copy of a per-CPU value, or 0 (bpf_map_lookup_percpu_elem). */
  lookupPercpuElem(keyAddr: number, cpu: number): number;
  /** 0 or -errno. */
  updateElem(keyAddr: number, valueAddr: number, flags: number): number;
  /** 0 or -errno. */
  deleteElem(keyAddr: number): number;
  /** Queue, stack, bloom filter: 0 or -errno. */
  pushElem(valueAddr: number, flags: number): number;
  popElem(valueAddr: number): number;
  peekElem(valueAddr: number): number;
  /**
   * Calls `fn(keyAddr, valueAddr)` for each element until it returns false (bpf_for_each_map_elem); returns how many
   * elements were visited.
   */
  forEachElem(fn: (keyAddr: number, valueAddr: number) => boolean): number;

  // User side: copies.
  /** Value bytes, or undefined. Per-CPU maps return every CPU's value, each padded to 8 bytes, as the syscall does. */
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** Throws MapError (EEXIST, ENOENT, E2BIG, EINVAL...). */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** Throws MapError(ENOENT) when the key is absent. */
  delete(key: Uint8Array): void;
  /** The key after `key` in iteration order (the first key when `key` is undefined), or undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  /** Every key and value, in iteration order (values as `lookup` returns them). */
  entries(): [Uint8Array, Uint8Array][];
}
