/**
 * What every map type shares: identity, error construction, guest-memory regions, flag checks and the defaults for
 * operations a type does not support (-EINVAL on the program side, MapError on the user side, as the kernel's
 * `bpf_map_ops` without that operation).
 */
import { ExecError } from '../../errors.js';
import { MAP_TYPES, type MapEntry, type MapSpec } from '../../loader/spec.js';
import type { Region } from '../../memory/guest-memory.js';
import { CreateFlag, VALUE_ALIGN } from './constants.js';
import { type BpfMap, Errno, type MapContext, MapError, UpdateFlag } from './types.js';

/** roundUp8 rounds a size up to the kernel's 8-byte element alignment. */
export const roundUp8 = (n: number): number => Math.ceil(n / VALUE_ALIGN) * VALUE_ALIGN;

/** typeName is the bpftool name of a map type (`hash`, `lru_percpu_hash`...). */
export const typeName = (type: number): string => MAP_TYPES[type] ?? `type ${type}`;

/** aMap names a map type with its article, for messages: `a hash map`, `an lpm_trie map`. */
export const aMap = (type: number): string => {
  const name = typeName(type);
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} map`;
};

/** mapError builds the MapError of a map operation, prefixed with the map's name as every map message is. */
export function mapError(spec: MapSpec, errno: number, message: string): MapError {
  return new MapError(errno, `map "${spec.name}": ${message}`);
}

/** UPDATE_FLAGS_MAX is the largest valid combination of bpf_map_update_elem flags. */
const UPDATE_FLAGS_MAX = UpdateFlag.EXIST | UpdateFlag.LOCK;

/**
 * updateMode returns the BPF_ANY/NOEXIST/EXIST part of update flags, or -1 when the flags are invalid (the kernel's
 * `(flags & ~BPF_F_LOCK) > BPF_EXIST`, which also rejects any bit above the low three).
 */
export function updateMode(flags: number): number {
  if (!(flags >= 0 && flags <= UPDATE_FLAGS_MAX)) return -1;
  const mode = flags & ~UpdateFlag.LOCK;
  return mode > UpdateFlag.EXIST ? -1 : mode;
}

/** BaseMap implements the parts of BpfMap common to all types; each type overrides what it supports. */
export abstract class BaseMap implements BpfMap {
  /** Frozen maps (BPF_MAP_FREEZE, as libbpf does for `.rodata`) refuse user-side writes. */
  protected frozen = false;
  /** True while `initialize` writes the spec's contents, which access flags do not restrict. */
  private initializing = false;
  /** False for maps programs may only read (BPF_F_RDONLY_PROG, `.rodata`): their values are read-only memory. */
  protected readonly progWritable: boolean;

  constructor(
    readonly spec: MapSpec,
    protected readonly ctx: MapContext,
    readonly handle: number,
    /** The map's id (what bpftool prints and map-in-map values hold). */
    readonly id: number,
  ) {
    this.progWritable = !spec.readOnly && (spec.flags & CreateFlag.RDONLY_PROG) === 0;
  }

  /** name is the map's name from its spec. */
  get name(): string {
    return this.spec.name;
  }

  /**
   * initialize writes the spec's byte-valued initial contents (global data, declared `.values`); program and map
   * references are the runtime's to set through the type's own API.
   */
  initialize(contents: readonly MapEntry[]): void {
    this.initializing = true;
    try {
      for (const e of contents) if (e.value instanceof Uint8Array) this.update(e.key, e.value);
    } finally {
      this.initializing = false;
    }
  }

  /** freeze makes user-side updates and deletes fail with EPERM from now on; programs are unaffected. */
  freeze(): void {
    this.frozen = true;
  }

  lookupElem(_keyAddr: number): number {
    return 0;
  }
  lookupPercpuElem(_keyAddr: number, _cpu: number): number {
    return 0;
  }
  updateElem(_keyAddr: number, _valueAddr: number, _flags: number): number {
    return -Errno.EINVAL;
  }
  deleteElem(_keyAddr: number): number {
    return -Errno.EINVAL;
  }
  pushElem(_valueAddr: number, _flags: number): number {
    return -Errno.EINVAL;
  }
  popElem(_valueAddr: number): number {
    return -Errno.EINVAL;
  }
  peekElem(_valueAddr: number): number {
    return -Errno.EINVAL;
  }
  forEachElem(_fn: (keyAddr: number, valueAddr: number) => boolean): number {
    return -Errno.EINVAL;
  }

  lookup(_key: Uint8Array): Uint8Array | undefined {
    throw this.unsupported('lookup');
  }
  update(_key: Uint8Array, _value: Uint8Array, _flags?: number): void {
    throw this.unsupported('update');
  }
  delete(_key: Uint8Array): void {
    throw this.unsupported('delete');
  }
  nextKey(_key: Uint8Array | undefined): Uint8Array | undefined {
    throw this.unsupported('next key');
  }
  entries(): [Uint8Array, Uint8Array][] {
    return [];
  }

  /** unsupportedErrno is what the user side reports for an operation this type lacks. */
  protected unsupportedErrno(): number {
    return Errno.EINVAL;
  }

  /** unsupported is the error of a user-side operation this type lacks. */
  protected unsupported(op: string): MapError {
    return this.error(this.unsupportedErrno(), `${op} is not supported by ${aMap(this.spec.type)}`);
  }

  /** error builds a MapError naming this map. */
  protected error(errno: number, message: string): MapError {
    return mapError(this.spec, errno, message);
  }

  /** fail turns a negative errno from a program-side operation into the user side's MapError. */
  protected fail(ret: number, op: string): void {
    if (ret >= 0) return;
    const errno = -ret;
    const why: Record<number, string> = {
      [Errno.ENOENT]: 'no such element',
      [Errno.EEXIST]: 'element exists',
      [Errno.E2BIG]: 'map is full or index out of range',
      [Errno.EINVAL]: 'invalid argument',
      [Errno.ENOSPC]: 'map is full',
    };
    throw this.error(errno, `${op}: ${why[errno] ?? `errno ${errno}`}`);
  }

  /** checkKey rejects a user-side key of the wrong size. */
  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.spec.keySize) {
      throw this.error(Errno.EINVAL, `key has ${key.length} bytes, the map's keys have ${this.spec.keySize}`);
    }
  }

  /** checkValue rejects a user-side value of the wrong size. */
  protected checkValue(value: Uint8Array, size = this.spec.valueSize): void {
    if (value.length !== size) {
      throw this.error(Errno.EINVAL, `value has ${value.length} bytes, ${size} expected`);
    }
  }

  /** checkUserRead enforces BPF_F_WRONLY (the syscall side may not read). */
  protected checkUserRead(): void {
    if (this.spec.flags & CreateFlag.WRONLY) throw this.error(Errno.EPERM, 'map is write-only from user space');
  }

  /** checkUserWrite enforces BPF_F_RDONLY and freezing (the syscall side may not write). */
  protected checkUserWrite(): void {
    if (this.initializing) return;
    if (this.spec.flags & CreateFlag.RDONLY) throw this.error(Errno.EPERM, 'map is read-only from user space');
    if (this.frozen) throw this.error(Errno.EPERM, 'map is frozen');
  }

  /** region maps a guest-memory region `map:<name>:<what>`, turning exhaustion into MapError(ENOMEM). */
  protected region(what: string, bytes: number, writable: boolean): Region {
    try {
      return this.ctx.mem.addRegion(`map:${this.spec.name}:${what}`, Math.max(bytes, 1), { writable });
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      const err = this.error(Errno.ENOMEM, `cannot allocate ${bytes} bytes of ${what}: ${e.message}`);
      err.cause = e;
      throw err;
    }
  }

  /** readGuest copies `size` bytes at a guest address after checking the access. */
  protected readGuest(addr: number, size: number): Uint8Array {
    return this.ctx.mem.bytes(addr, size).slice();
  }
}
