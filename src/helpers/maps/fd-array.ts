/**
 * What arrays of references share (the kernel's fd arrays: prog_array, array_of_maps): u32 indexes below
 * max_entries, slots set only from user space with BPF_ANY (other flags -EINVAL, an index out of range -E2BIG),
 * syscall lookups returning the referenced object's id (-ENOENT for an empty slot), deletes emptying a slot.
 * Programs cannot update or delete them (the verifier forbids it; here -EINVAL).
 */
import { BaseMap } from './base-map.js';
import { readU32Key, u32Key } from './keys.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';
import type { MapSpec } from '../../loader/spec.js';

/** FdArrayMap holds one reference of type T per index. */
export abstract class FdArrayMap<T> extends BaseMap {
  protected readonly slots: (T | undefined)[];

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.slots = new Array<T | undefined>(spec.maxEntries).fill(undefined);
  }

  /** idOf is the id syscall lookups report for a reference. */
  protected abstract idOf(ref: T): number;
  /** resolve turns an id from a syscall-side update into a reference (throwing MapError when it cannot). */
  protected abstract resolve(id: number): T;
  /** check validates a reference before it is stored (throwing MapError). */
  protected check(_ref: T): void {}

  /** at returns the reference at `index`, if any (no error for an index out of range). */
  protected at(index: number): T | undefined {
    return index < this.slots.length ? this.slots[index] : undefined;
  }

  /** set stores (or, with undefined, clears) the reference at `index`. */
  protected set(index: number, ref: T | undefined): void {
    this.checkUserWrite();
    if (!(Number.isInteger(index) && index >= 0 && index < this.slots.length)) {
      throw this.error(Errno.E2BIG, `index ${index} is out of range (max_entries ${this.slots.length})`);
    }
    if (ref !== undefined) this.check(ref);
    this.slots[index] = ref;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    this.checkKey(key);
    const ref = this.at(readU32Key(key));
    return ref === undefined ? undefined : u32Key(this.idOf(ref));
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkKey(key);
    this.checkValue(value);
    if (flags !== UpdateFlag.ANY) throw this.error(Errno.EINVAL, 'update: flags must be BPF_ANY');
    const index = readU32Key(key);
    if (index >= this.slots.length) throw this.error(Errno.E2BIG, `update: index ${index} is out of range`);
    this.set(index, this.resolve(readU32Key(value)));
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const index = readU32Key(key);
    if (index >= this.slots.length) throw this.error(Errno.E2BIG, `delete: index ${index} is out of range`);
    if (this.slots[index] === undefined) throw this.error(Errno.ENOENT, 'delete: no such element');
    this.slots[index] = undefined;
  }

  /** nextKey walks every index, set or not, as array get_next_key does. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    const index = key === undefined ? -1 : readU32Key(key);
    const next = index >= this.slots.length ? 0 : index + 1;
    return next >= this.slots.length ? undefined : u32Key(next);
  }

  /** entries lists the set slots only, with the referenced ids as values. */
  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    this.slots.forEach((ref, i) => {
      if (ref !== undefined) out.push([u32Key(i), u32Key(this.idOf(ref))]);
    });
    return out;
  }
}
