/**
 * Maps of maps (array_of_maps, hash_of_maps). Values are inner maps, set from user space (`setInner`, or `update`
 * with an inner map id as the syscall takes an fd) and checked against the spec's inner map template like the
 * kernel's `bpf_map_meta_equal`: same type, key size, value size and flags, and the same max_entries unless the
 * template has BPF_F_INNER_MAP. A program lookup returns the inner map's handle (or 0), which the program then
 * passes to map helpers. Programs can do nothing else with these maps.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap, mapError, typeName, updateMode } from './base-map.js';
import { ARRAY_KEY_SIZE, CreateFlag, FD_SIZE } from './constants.js';
import { FdArrayMap } from './fd-array.js';
import { readU32Key, u32Key } from './keys.js';
import { MapTable } from './map-table.js';
import { SlotStore } from './slot-store.js';
import { type BpfMap, Errno, type MapContext, UpdateFlag } from './types.js';

/** MapOfMaps is the user-side API both map-in-map types share. */
export interface MapOfMaps extends BpfMap {
  /** setInner stores an inner map under `key` (undefined removes it); throws MapError(EINVAL) when incompatible. */
  setInner(key: Uint8Array, inner: BpfMap | undefined, flags?: number): void;
  /** inner returns the map stored under `key`. */
  inner(key: Uint8Array): BpfMap | undefined;
}

/** innerMismatch explains why `inner` cannot be stored in a map whose inner template is `template`. */
export function innerMismatch(template: MapSpec, inner: MapSpec): string | undefined {
  if (inner.innerMap !== undefined) return 'an inner map cannot itself hold maps';
  const diff = (what: string, a: number, b: number) => `inner map ${what} ${b} differs from the template's ${a}`;
  if (inner.type !== template.type) {
    return `inner map type ${typeName(inner.type)} differs from the template's ${typeName(template.type)}`;
  }
  if (inner.keySize !== template.keySize) return diff('key size', template.keySize, inner.keySize);
  if (inner.valueSize !== template.valueSize) return diff('value size', template.valueSize, inner.valueSize);
  if (inner.flags !== template.flags) return diff('flags', template.flags, inner.flags);
  if ((template.flags & CreateFlag.INNER_MAP) === 0 && inner.maxEntries !== template.maxEntries) {
    return diff('max_entries', template.maxEntries, inner.maxEntries);
  }
  return undefined;
}

/** checkInner throws MapError(EINVAL) naming both maps when `inner` does not fit the outer map's template. */
function checkInner(outer: MapSpec, inner: BpfMap): void {
  const why = innerMismatch(outer.innerMap!, inner.spec);
  if (why !== undefined) throw mapError(outer, Errno.EINVAL, `inner map "${inner.spec.name}": ${why}`);
}

/** ArrayOfMapsMap is an array_of_maps map. */
export class ArrayOfMapsMap extends FdArrayMap<BpfMap> implements MapOfMaps {
  constructor(
    spec: MapSpec,
    ctx: MapContext,
    handle: number,
    id: number,
    private readonly table: MapTable,
  ) {
    super(spec, ctx, handle, id);
  }

  override lookupElem(keyAddr: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, ARRAY_KEY_SIZE, false);
    return this.at(mem.dv.getUint32(keyAddr, true))?.handle ?? 0;
  }

  setInner(key: Uint8Array, inner: BpfMap | undefined, flags: number = UpdateFlag.ANY): void {
    this.checkKey(key);
    if (flags !== UpdateFlag.ANY) throw this.error(Errno.EINVAL, 'update: flags must be BPF_ANY');
    this.set(readU32Key(key), inner);
  }

  inner(key: Uint8Array): BpfMap | undefined {
    this.checkKey(key);
    return this.at(readU32Key(key));
  }

  protected idOf(ref: BpfMap): number {
    return MapTable.idOf(ref.handle);
  }

  protected resolve(id: number): BpfMap {
    const map = this.table.byId(id);
    if (map === undefined) throw this.error(Errno.EINVAL, `update: no map with id ${id}`);
    return map;
  }

  protected override check(ref: BpfMap): void {
    checkInner(this.spec, ref);
  }
}

/** HashOfMapsMap is a hash_of_maps map: hash semantics for keys (NOEXIST, EXIST, -E2BIG when full). */
export class HashOfMapsMap extends BaseMap implements MapOfMaps {
  private readonly store: SlotStore;
  private readonly refs: (BpfMap | undefined)[];

  constructor(
    spec: MapSpec,
    ctx: MapContext,
    handle: number,
    id: number,
    private readonly table: MapTable,
  ) {
    super(spec, ctx, handle, id);
    this.store = new SlotStore(ctx.mem, {
      keySize: spec.keySize,
      valueSize: FD_SIZE,
      maxEntries: spec.maxEntries,
      copies: 1,
      keys: (n) => this.region('keys', n, false),
      values: (n) => this.region('values', n, false),
    });
    this.refs = new Array<BpfMap | undefined>(spec.maxEntries).fill(undefined);
  }

  override lookupElem(keyAddr: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, this.spec.keySize, false);
    const slot = this.store.find(keyAddr);
    return slot < 0 ? 0 : this.refs[slot]!.handle;
  }

  setInner(key: Uint8Array, inner: BpfMap | undefined, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkKey(key);
    if (inner === undefined) {
      const slot = this.store.findBytes(key);
      if (slot >= 0) this.release(slot);
      return;
    }
    checkInner(this.spec, inner);
    const mode = updateMode(flags);
    if (mode < 0) throw this.error(Errno.EINVAL, `update: invalid flags ${flags}`);
    let slot = this.store.findBytes(key);
    if (slot >= 0 && mode === UpdateFlag.NOEXIST) throw this.error(Errno.EEXIST, 'update: element exists');
    if (slot < 0 && mode === UpdateFlag.EXIST) throw this.error(Errno.ENOENT, 'update: no such element');
    if (slot < 0) {
      slot = this.store.alloc(this.store.stage(key));
      if (slot < 0) throw this.error(Errno.E2BIG, 'update: map is full');
    }
    this.refs[slot] = inner;
    this.ctx.mem.dv.setUint32(this.store.valueAddr(slot, 0), MapTable.idOf(inner.handle), true);
  }

  inner(key: Uint8Array): BpfMap | undefined {
    this.checkKey(key);
    const slot = this.store.findBytes(key);
    return slot < 0 ? undefined : this.refs[slot];
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    const inner = this.inner(key);
    return inner === undefined ? undefined : u32Key(MapTable.idOf(inner.handle));
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkValue(value);
    const id = readU32Key(value);
    const map = this.table.byId(id);
    if (map === undefined) throw this.error(Errno.EINVAL, `update: no map with id ${id}`);
    this.setInner(key, map, flags);
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const slot = this.store.findBytes(key);
    if (slot < 0) throw this.error(Errno.ENOENT, 'delete: no such element');
    this.release(slot);
  }

  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    return this.store.nextKeyAfter(key);
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let s = this.store.nextUsed(0); s >= 0; s = this.store.nextUsed(s + 1)) {
      out.push([this.store.keyBytes(s), u32Key(MapTable.idOf(this.refs[s]!.handle))]);
    }
    return out;
  }

  private release(slot: number): void {
    this.store.release(slot);
    this.refs[slot] = undefined;
  }
}
