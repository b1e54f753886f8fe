/**
 * Preallocated element storage for keyed maps: keys and values in guest memory (so programs and callbacks get real
 * addresses), an index from key bytes to slot, and a free list of slots. Slot order is iteration order; deleted slots
 * are reused last-freed first.
 *
 * The index (KeyIndex) hashes and compares keys where they lie in guest memory. User-side keys are copied to a scratch
 * slot after the last one, so the index works on guest addresses only.
 */
import type { GuestMemory, Region } from '../../memory/guest-memory.js';
import { roundUp8 } from './base-map.js';
import { type IndexLayout, KeyIndex } from './key-index.js';

/** SlotLayout says how big a store is and how its regions are mapped. */
export interface SlotLayout {
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Copies of each value (ncpus for per-CPU maps, else 1). */
  copies: number;
  keys: (bytes: number) => Region;
  values: (bytes: number) => Region;
  /** Maps a region for the key index's table, to place it in guest memory (KeyIndex); absent: the index keeps it. */
  index?: (bytes: number) => Region;
}

/** SlotStore maps keys to slots whose keys and values live in guest memory. */
export class SlotStore {
  readonly keySize: number;
  readonly keyStride: number;
  /** Bytes of one value copy (valueSize rounded up to 8). */
  readonly valueStride: number;
  /** Bytes of one element's values (every copy). */
  readonly elemStride: number;
  readonly keyBase: number;
  readonly valueBase: number;
  readonly capacity: number;
  private readonly index: KeyIndex;
  /** Guest address where user-side keys are copied for lookups. */
  private readonly scratch: number;
  /** 1 for a used slot. */
  private readonly used: Uint8Array;
  private readonly free: Int32Array;
  private freeTop: number;
  private size = 0;
  /** One past the highest slot ever used: iteration stops there. */
  private highWater = 0;

  constructor(
    private readonly mem: GuestMemory,
    layout: SlotLayout,
  ) {
    this.keySize = layout.keySize;
    this.capacity = layout.maxEntries;
    this.keyStride = roundUp8(layout.keySize);
    this.valueStride = roundUp8(layout.valueSize);
    this.elemStride = this.valueStride * layout.copies;
    this.keyBase = layout.keys(this.keyStride * (this.capacity + 1)).start;
    this.scratch = this.keyAddr(this.capacity);
    this.valueBase = layout.values(this.elemStride * this.capacity).start;
    this.index = new KeyIndex(mem, this.capacity, this.keySize, this.keyBase, this.keyStride, layout.index);
    this.used = new Uint8Array(this.capacity);
    this.free = new Int32Array(this.capacity);
    // Popped from the top, so slots are handed out from 0 upwards.
    for (let i = 0; i < this.capacity; i++) this.free[i] = this.capacity - 1 - i;
    this.freeTop = this.capacity;
  }

  /** count is the number of used slots. */
  get count(): number {
    return this.size;
  }

  /** indexLayout is where the key index's table lies in guest memory, when it was placed there. */
  indexLayout(): IndexLayout | undefined {
    return this.index.layout();
  }

  /** find returns the slot of the key at guest address `at`, or -1; the caller has checked the access. */
  find(at: number): number {
    return this.index.find(at);
  }

  /** findBytes returns the slot of a user-side key, or -1. */
  findBytes(key: Uint8Array): number {
    return this.find(this.stage(key));
  }

  /** alloc takes a free slot and stores the (absent) key at guest address `at` in it; -1 when full. */
  alloc(at: number): number {
    if (this.freeTop === 0) return -1;
    const slot = this.free[--this.freeTop];
    const keyAddr = this.keyAddr(slot);
    this.mem.copy(keyAddr, at, this.keySize);
    this.used[slot] = 1;
    this.size++;
    this.index.insert(slot, keyAddr);
    if (slot >= this.highWater) this.highWater = slot + 1;
    return slot;
  }

  /** release returns a used slot to the free list. */
  release(slot: number): void {
    this.index.remove(slot);
    this.used[slot] = 0;
    this.size--;
    this.free[this.freeTop++] = slot;
  }

  /** stage copies a user-side key to the scratch slot and returns its guest address. */
  stage(key: Uint8Array): number {
    this.mem.u8.set(key, this.scratch);
    return this.scratch;
  }

  /** keyAddr is the guest address of a slot's key. */
  keyAddr(slot: number): number {
    return this.keyBase + slot * this.keyStride;
  }

  /** keyBytes copies a slot's key out. */
  keyBytes(slot: number): Uint8Array {
    const at = this.keyAddr(slot);
    return this.mem.u8.slice(at, at + this.keySize);
  }

  /** valueAddr is the guest address of a slot's value copy for `cpu`. */
  valueAddr(slot: number, cpu: number): number {
    return this.valueBase + slot * this.elemStride + cpu * this.valueStride;
  }

  /**
   * nextKeyAfter is get_next_key over slot order: the key of the first used slot after `key`'s slot; an absent or
   * undefined key starts from the first slot, as the kernel's does.
   */
  nextKeyAfter(key: Uint8Array | undefined): Uint8Array | undefined {
    const slot = key === undefined ? -1 : this.findBytes(key);
    const next = this.nextUsed(slot + 1);
    return next < 0 ? undefined : this.keyBytes(next);
  }

  /** nextUsed returns the first used slot at or after `from`, or -1. */
  nextUsed(from: number): number {
    for (let s = from; s < this.highWater; s++) if (this.used[s] === 1) return s;
    return -1;
  }
}
