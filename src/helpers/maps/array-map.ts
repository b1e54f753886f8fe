/**
 * Array maps (arraymap.c): array and percpu_array. Every index below max_entries always exists, zero-initialised;
 * deleting is -EINVAL, BPF_NOEXIST is -EEXIST and an index out of range is -E2BIG on update. Global data sections
 * (`.data`, `.rodata`, `.bss`) are one-element arrays whose value programs address directly (`directValueAddr`).
 */
import { MapType, type MapSpec } from '../../loader/spec.js';
import { BaseMap, roundUp8, updateMode } from './base-map.js';
import { ARRAY_KEY_SIZE } from './constants.js';
import { readU32Key, u32Key } from './keys.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';
import {
  acceptsUserValue,
  readUserValue,
  userValueSize,
  type ValueLayout,
  writeProgValue,
  writeUserValue,
} from './values.js';

/** ArrayMap is an array or percpu_array map. */
export class ArrayMap extends BaseMap implements ValueLayout {
  readonly percpu: boolean;
  readonly valueSize: number;
  readonly valueStride: number;
  readonly copies: number;
  private readonly elemStride: number;
  private readonly valueBase: number;
  /** Keys region holding each index as a u32, so for-each callbacks get a real key address. */
  private readonly keyBase: number;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.percpu = spec.type === MapType.percpu_array;
    this.copies = this.percpu ? ctx.ncpus : 1;
    this.valueSize = spec.valueSize;
    this.valueStride = roundUp8(spec.valueSize);
    this.elemStride = this.valueStride * this.copies;
    this.valueBase = this.region('values', this.elemStride * spec.maxEntries, this.progWritable).start;
    this.keyBase = this.region('keys', ARRAY_KEY_SIZE * spec.maxEntries, false).start;
    const dv = ctx.mem.dv;
    for (let i = 0; i < spec.maxEntries; i++) dv.setUint32(this.keyBase + i * ARRAY_KEY_SIZE, i, true);
  }

  /** valueAddr is the guest address of element `index`'s copy for `cpu`. */
  valueAddr(index: number, cpu = 0): number {
    return this.valueBase + index * this.elemStride + cpu * this.valueStride;
  }

  /**
   * directValueAddr is the address of the value for `lddw map_value` (BPF_PSEUDO_MAP_VALUE) at `offset`; like the
   * kernel's `map_direct_value_addr`, only single-element plain arrays have one.
   */
  directValueAddr(offset = 0): number {
    if (this.percpu || this.spec.maxEntries !== 1) {
      throw this.error(Errno.ENOTSUPP, 'direct value access needs an array map with one element');
    }
    if (!(offset >= 0 && offset < this.valueSize)) {
      throw this.error(Errno.EINVAL, `direct value offset ${offset} is outside the ${this.valueSize}-byte value`);
    }
    return this.valueBase + offset;
  }

  override lookupElem(keyAddr: number): number {
    const index = this.indexAt(keyAddr);
    if (index >= this.spec.maxEntries) return 0;
    return this.valueAddr(index, this.percpu ? this.ctx.currentCpu() : 0);
  }

  override lookupPercpuElem(keyAddr: number, cpu: number): number {
    if (!this.percpu || !(cpu >= 0 && cpu < this.copies)) return 0;
    const index = this.indexAt(keyAddr);
    return index >= this.spec.maxEntries ? 0 : this.valueAddr(index, cpu);
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    const index = this.indexAt(keyAddr);
    this.ctx.mem.check(valueAddr, this.valueSize, false);
    if (!this.progWritable) return -Errno.EPERM;
    const ret = this.checkUpdate(index, flags);
    if (ret < 0) return ret;
    const cpu = this.percpu ? this.ctx.currentCpu() : 0;
    writeProgValue(this.ctx.mem, this.valueAddr(index), this, valueAddr, cpu, false);
    return 0;
  }

  /** deleteElem is always -EINVAL: array elements cannot be removed. */
  override deleteElem(keyAddr: number): number {
    this.indexAt(keyAddr);
    return -Errno.EINVAL;
  }

  override forEachElem(fn: (keyAddr: number, valueAddr: number) => boolean): number {
    const cpu = this.percpu ? this.ctx.currentCpu() : 0;
    let visited = 0;
    for (let i = 0; i < this.spec.maxEntries; i++) {
      visited++;
      if (!fn(this.keyBase + i * ARRAY_KEY_SIZE, this.valueAddr(i, cpu))) break;
    }
    return visited;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    const index = this.userIndex(key);
    if (index >= this.spec.maxEntries) return undefined;
    return readUserValue(this.ctx.mem.u8, this.valueAddr(index), this);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    const index = this.userIndex(key);
    if (!acceptsUserValue(this, value.length)) this.checkValue(value, userValueSize(this));
    this.fail(this.checkUpdate(index, flags), 'update');
    writeUserValue(this.ctx.mem.u8, this.valueAddr(index), this, value);
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.userIndex(key);
    throw this.error(Errno.EINVAL, 'delete: array elements cannot be deleted');
  }

  /** nextKey walks indexes in order; an index out of range restarts at 0, as the kernel does. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const index = key === undefined ? -1 : this.userIndex(key);
    const next = index >= this.spec.maxEntries ? 0 : index + 1;
    return next >= this.spec.maxEntries ? undefined : u32Key(next);
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const u8 = this.ctx.mem.u8;
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.spec.maxEntries; i++) out.push([u32Key(i), readUserValue(u8, this.valueAddr(i), this)]);
    return out;
  }

  private checkUpdate(index: number, flags: number): number {
    const mode = updateMode(flags);
    if (mode < 0) return -Errno.EINVAL;
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    if (mode === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    return 0;
  }

  private indexAt(keyAddr: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, ARRAY_KEY_SIZE, false);
    return mem.dv.getUint32(keyAddr, true);
  }

  private userIndex(key: Uint8Array): number {
    this.checkKey(key);
    return readU32Key(key);
  }
}

