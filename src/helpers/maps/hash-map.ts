/**
 * Hash maps (hashtab.c): hash, percpu_hash, lru_hash and lru_percpu_hash. Elements are preallocated slots (see
 * SlotStore); a full map refuses new keys with -E2BIG, except LRU maps, which evict the least recently used element.
 * Program lookups and updates refresh recency; syscall-side lookups do not (the kernel's `lookup_elem_sys` skips the
 * reference bit). Updating an existing key rewrites its value in place.
 *
 * A plain hash map keeps its key index's table in guest memory (KeyIndex `place`, for keys of up to 8 bytes), so
 * that JIT code can look keys up and rewrite existing values without calling the helpers (`inlineLayout`); per-CPU
 * and LRU maps cannot (a lookup picks the CPU's copy, or refreshes recency), so they keep it in the index.
 */
import { MapType, type MapSpec } from '../../loader/spec.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { BaseMap, updateMode } from './base-map.js';
import type { IndexLayout } from './key-index.js';
import { LruList } from './lru-list.js';
import { SlotStore } from './slot-store.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';
import {
  acceptsUserValue,
  readUserValue,
  userValueSize,
  type ValueLayout,
  writeProgValue,
  writeUserValue,
} from './values.js';

/**
 * HashLayout is what code outside the map needs to find keys and rewrite existing values itself, with the helpers'
 * results (src/jit-wasm/inline-map.ts): the map's handle, its key index (IndexLayout) and its values.
 */
export interface HashLayout extends IndexLayout {
  /** The handle programs hold for the map (a helper's first argument). */
  readonly handle: number;
  /** Guest address of slot 0's value; slot s's is `values + s * valueStride`. */
  readonly values: number;
  readonly valueStride: number;
  readonly valueSize: number;
  /** Whether programs may write the values (false: updates are EPERM, BPF_F_RDONLY_PROG). */
  readonly writable: boolean;
}

/** HashMap is a hash, percpu_hash, lru_hash or lru_percpu_hash map. */
export class HashMap extends BaseMap implements ValueLayout {
  readonly store: SlotStore;
  readonly percpu: boolean;
  readonly valueSize: number;
  readonly valueStride: number;
  readonly copies: number;
  private readonly keySize: number;
  private readonly mem: GuestMemory;
  /** Recency order; undefined for non-LRU maps. */
  private readonly lru: LruList | undefined;
  /** Set by `slotFor`: whether the returned slot was just allocated. */
  private fresh = false;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.percpu = spec.type === MapType.percpu_hash || spec.type === MapType.lru_percpu_hash;
    const isLru = spec.type === MapType.lru_hash || spec.type === MapType.lru_percpu_hash;
    this.copies = this.percpu ? ctx.ncpus : 1;
    this.store = new SlotStore(ctx.mem, {
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.maxEntries,
      copies: this.copies,
      keys: (n) => this.region('keys', n, false),
      values: (n) => this.region('values', n, this.progWritable),
      // Read-only for programs: only the index writes its table.
      ...(spec.type === MapType.hash ? { index: (n: number) => this.region('index', n, false) } : {}),
    });
    this.valueSize = spec.valueSize;
    this.keySize = spec.keySize;
    this.mem = ctx.mem;
    this.valueStride = this.store.valueStride;
    this.lru = isLru ? new LruList(spec.maxEntries) : undefined;
  }

  /** inlineLayout is where a plain hash map's index and values lie, for inline lookups; undefined for other maps. */
  inlineLayout(): HashLayout | undefined {
    const index = this.store.indexLayout();
    if (index === undefined) return undefined;
    const { valueBase: values, elemStride: valueStride } = this.store;
    return { ...index, handle: this.handle, values, valueStride, valueSize: this.valueSize, writable: this.progWritable };
  }

  /** lookupElem is bpf_map_lookup_elem: the running CPU's value address, or 0. */
  override lookupElem(keyAddr: number): number {
    const slot = this.findGuest(keyAddr);
    if (slot < 0) return 0;
    if (this.lru !== undefined) this.lru.touch(slot);
    const store = this.store;
    const at = store.valueBase + slot * store.elemStride;
    return this.percpu ? at + this.ctx.currentCpu() * store.valueStride : at;
  }

  override lookupPercpuElem(keyAddr: number, cpu: number): number {
    if (!this.percpu || !(cpu >= 0 && cpu < this.copies)) return 0;
    const slot = this.findGuest(keyAddr);
    if (slot < 0) return 0;
    if (this.lru !== undefined) this.lru.touch(slot);
    return this.store.valueAddr(slot, cpu);
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    const mem = this.mem;
    mem.check(keyAddr, this.keySize, false);
    mem.check(valueAddr, this.valueSize, false);
    if (!this.progWritable) return -Errno.EPERM;
    const slot = this.slotFor(keyAddr, flags);
    if (slot < 0) return slot;
    const at = this.store.valueBase + slot * this.store.elemStride;
    if (!this.percpu) mem.copy(at, valueAddr, this.valueSize);
    else writeProgValue(mem, at, this, valueAddr, this.ctx.currentCpu(), this.fresh);
    return 0;
  }

  override deleteElem(keyAddr: number): number {
    if (!this.progWritable) return -Errno.EPERM;
    const slot = this.findGuest(keyAddr);
    if (slot < 0) return -Errno.ENOENT;
    this.remove(slot);
    return 0;
  }

  /** forEachElem visits elements in slot order with the running CPU's value; the callback may delete them. */
  override forEachElem(fn: (keyAddr: number, valueAddr: number) => boolean): number {
    const cpu = this.percpu ? this.ctx.currentCpu() : 0;
    let visited = 0;
    for (let s = this.store.nextUsed(0); s >= 0; s = this.store.nextUsed(s + 1)) {
      visited++;
      if (!fn(this.store.keyAddr(s), this.store.valueAddr(s, cpu))) break;
    }
    return visited;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    this.checkKey(key);
    const slot = this.store.findBytes(key);
    if (slot < 0) return undefined;
    return readUserValue(this.ctx.mem.u8, this.store.valueAddr(slot, 0), this);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkKey(key);
    if (!acceptsUserValue(this, value.length)) this.checkValue(value, userValueSize(this));
    const slot = this.slotFor(this.store.stage(key), flags);
    this.fail(slot, 'update');
    writeUserValue(this.ctx.mem.u8, this.store.valueAddr(slot, 0), this, value);
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const slot = this.store.findBytes(key);
    if (slot < 0) throw this.error(Errno.ENOENT, 'delete: no such element');
    this.remove(slot);
  }

  /** nextKey follows slot order; an absent key restarts from the first, as the kernel's get_next_key does. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    return this.store.nextKeyAfter(key);
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    const u8 = this.ctx.mem.u8;
    for (let s = this.store.nextUsed(0); s >= 0; s = this.store.nextUsed(s + 1)) {
      out.push([this.store.keyBytes(s), readUserValue(u8, this.store.valueAddr(s, 0), this)]);
    }
    return out;
  }

  /** size is the number of elements. */
  get size(): number {
    return this.store.count;
  }

  private findGuest(keyAddr: number): number {
    this.mem.check(keyAddr, this.keySize, false);
    return this.store.find(keyAddr);
  }

  /**
   * slotFor returns the slot an update of the key at guest address `at` writes, allocating (and, for LRU maps,
   * evicting) when the key is new, or -errno, checking flags in the kernel's order: invalid flags, then
   * NOEXIST/EXIST, then a full map.
   */
  private slotFor(at: number, flags: number): number {
    const mode = updateMode(flags);
    if (mode < 0) return -Errno.EINVAL;
    const store = this.store;
    let slot = store.find(at);
    if (slot >= 0) {
      if (mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (this.lru !== undefined) this.lru.touch(slot);
      this.fresh = false;
      return slot;
    }
    if (mode === UpdateFlag.EXIST) return -Errno.ENOENT;
    slot = store.alloc(at);
    if (slot < 0) {
      if (this.lru === undefined) return -Errno.E2BIG;
      this.remove(this.lru.oldest());
      slot = store.alloc(at);
    }
    if (this.lru !== undefined) this.lru.insert(slot);
    this.fresh = true;
    return slot;
  }

  private remove(slot: number): void {
    this.store.release(slot);
    if (this.lru !== undefined) this.lru.remove(slot);
  }
}
