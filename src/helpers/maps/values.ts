/**
 * Copying values between user byte arrays, program memory and element storage, with the per-CPU layout the bpf()
 * syscall uses: one value per possible CPU, each padded to 8 bytes.
 */
import type { GuestMemory } from '../../memory/guest-memory.js';

/** ValueLayout describes one element's value storage. */
export interface ValueLayout {
  readonly valueSize: number;
  /** valueSize rounded up to 8. */
  readonly valueStride: number;
  /** Number of copies: ncpus for per-CPU maps, else 1. */
  readonly copies: number;
  readonly percpu: boolean;
}

/** userValueSize is the size of a value as the syscall side sees it. */
export function userValueSize(l: ValueLayout): number {
  return l.percpu ? l.valueStride * l.copies : l.valueSize;
}

/** readUserValue copies an element's value(s) out; padding after each per-CPU value reads as zero. */
export function readUserValue(u8: Uint8Array, elemAddr: number, l: ValueLayout): Uint8Array {
  if (!l.percpu) return u8.slice(elemAddr, elemAddr + l.valueSize);
  const out = new Uint8Array(l.valueStride * l.copies);
  for (let cpu = 0; cpu < l.copies; cpu++) {
    const src = elemAddr + cpu * l.valueStride;
    out.set(u8.subarray(src, src + l.valueSize), cpu * l.valueStride);
  }
  return out;
}

/**
 * writeUserValue stores a syscall-side value: every CPU's copy from the padded per-CPU array, or, as a convenience,
 * the same `valueSize` bytes into every copy. The caller has checked the size with `acceptsUserValue`.
 */
export function writeUserValue(u8: Uint8Array, elemAddr: number, l: ValueLayout, value: Uint8Array): void {
  for (let cpu = 0; cpu < l.copies; cpu++) {
    const dst = elemAddr + cpu * l.valueStride;
    const from = cpu * l.valueStride;
    const src = value.length === l.valueSize ? value : value.subarray(from, from + l.valueSize);
    u8.set(src, dst);
    u8.fill(0, dst + l.valueSize, dst + l.valueStride);
  }
}

/** acceptsUserValue tells whether a syscall-side value has a size `writeUserValue` takes. */
export function acceptsUserValue(l: ValueLayout, size: number): boolean {
  return size === userValueSize(l) || (l.percpu && size === l.valueSize);
}

/**
 * writeProgValue stores a value from program memory into the running CPU's copy. A new per-CPU element gets zeros in
 * the other CPUs' copies, as the kernel's `pcpu_init_value` does for updates from programs.
 */
export function writeProgValue(
  mem: GuestMemory,
  elemAddr: number,
  l: ValueLayout,
  srcAddr: number,
  cpu: number,
  fresh: boolean,
): void {
  if (fresh && l.percpu) mem.u8.fill(0, elemAddr, elemAddr + l.valueStride * l.copies);
  mem.copy(elemAddr + cpu * l.valueStride, srcAddr, l.valueSize);
}
