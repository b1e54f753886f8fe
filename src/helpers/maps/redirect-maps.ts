/**
 * The maps XDP programs redirect through (bpf_redirect_map), with the kernel's user-side rules (kernel/bpf/devmap.c,
 * cpumap.c, net/xdp/xskmap.c): devmap (array of devices, its values `struct bpf_devmap_val` that programs may read),
 * devmap_hash (the same keyed by any u32), cpumap (array of CPUs with a queue size) and xskmap (array of AF_XDP
 * sockets, which user space declares here since there is no socket to pass by fd). Programs attached to entries
 * (the `bpf_prog` fd of the values) are not supported and say so.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap, updateMode } from './base-map.js';
import { readU32Key, u32Key } from './keys.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';

/** The kernel's sanity limit on a cpumap entry's queue size. */
const CPUMAP_QSIZE_MAX = 16384;
const ENODEV = 19;
const EOVERFLOW = 75;

/** RedirectTarget is what a redirect map holds at a key: a device, a CPU or an AF_XDP socket's queue. */
export interface RedirectTarget {
  ifindex?: number;
  cpu?: number;
  queue?: number;
}

/**
 * RedirectMap is a map bpf_redirect_map accepts: `target(key)` is the entry the redirect would use (undefined when the
 * lookup fails), and `flagMask` the flags beyond the fallback action that the type accepts.
 */
export abstract class RedirectMap extends BaseMap {
  /** Entries: key -> value words as programs read them (ifindex/qsize/queue, then 0 for the program id). */
  protected readonly entries_ = new Map<number, RedirectTarget>();
  /** Value storage: one 8-byte `struct bpf_devmap_val`/`bpf_cpumap_val` or u32 queue id per slot, read-only to programs. */
  private readonly valueBase: number;
  private readonly slots = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  /** Says whether a device exists (devmaps refuse others with -EINVAL, as the kernel's dev_get_by_index); default: all do. */
  deviceExists: ((ifindex: number) => boolean) | undefined;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.valueBase = this.region('values', 8 * spec.maxEntries, false).start;
    for (let s = spec.maxEntries - 1; s >= 0; s--) this.freeSlots.push(s);
  }

  /** flagMask is the BPF_F_* flags bpf_redirect_map accepts for this type besides the fallback action. */
  abstract readonly flagMask: number;

  /** target returns the entry at `key` a redirect goes to, or undefined. */
  target(key: number): RedirectTarget | undefined {
    return this.entries_.get(key >>> 0);
  }

  /** targets lists the entries in key order, for listings. */
  targets(): [number, RedirectTarget][] {
    return [...this.entries_].sort((a, b) => a[0] - b[0]);
  }

  /** valueWords is what an entry's value holds (8 bytes: two u32). */
  protected abstract valueWords(t: RedirectTarget): [number, number];

  /** store puts (or with undefined removes) an entry, keeping its value in guest memory. */
  protected store(key: number, t: RedirectTarget | undefined): void {
    const old = this.slots.get(key);
    if (!t) {
      if (old !== undefined) this.freeSlots.push(old);
      this.slots.delete(key);
      this.entries_.delete(key);
      return;
    }
    const slot = old ?? this.freeSlots.pop()!;
    this.slots.set(key, slot);
    this.entries_.set(key, t);
    const [a, b] = this.valueWords(t);
    this.ctx.mem.dv.setUint32(this.valueBase + 8 * slot, a, true);
    this.ctx.mem.dv.setUint32(this.valueBase + 8 * slot + 4, b, true);
  }

  override lookupElem(keyAddr: number): number {
    this.ctx.mem.check(keyAddr, 4, false);
    const slot = this.slots.get(this.ctx.mem.dv.getUint32(keyAddr, true));
    return slot === undefined ? 0 : this.valueBase + 8 * slot;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    this.checkKey(key);
    const t = this.entries_.get(readU32Key(key));
    if (!t) return undefined;
    const out = new Uint8Array(this.spec.valueSize);
    const dv = new DataView(out.buffer);
    const [a, b] = this.valueWords(t);
    dv.setUint32(0, a, true);
    if (out.length >= 8) dv.setUint32(4, b, true);
    return out;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return this.targets().map(([k]) => [u32Key(k), this.lookup(u32Key(k))!]);
  }

  /** progFd returns the program fd of an 8-byte value (0 without one), refusing programs, which are not supported. */
  protected progFd(value: Uint8Array): number {
    const fd = value.length >= 8 ? new DataView(value.buffer, value.byteOffset).getInt32(4, true) : 0;
    if (fd > 0) throw this.error(Errno.EOPNOTSUPP, `update: programs attached to ${this.spec.name} entries (bpf_prog.fd ${fd}) are not supported`);
    return fd;
  }

  /** arrayUpdateChecks are the checks of the array-style types: flags, index range, BPF_NOEXIST (always -EEXIST). */
  protected arrayIndex(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkUserWrite();
    this.checkKey(key);
    this.checkValue(value);
    const mode = updateMode(flags);
    const index = readU32Key(key);
    if (mode < 0 || flags & UpdateFlag.LOCK) throw this.error(Errno.EINVAL, `update: invalid flags ${flags}`);
    if (index >= this.spec.maxEntries) throw this.error(Errno.E2BIG, `update: index ${index} is out of range (max_entries ${this.spec.maxEntries})`);
    if (mode === UpdateFlag.NOEXIST) throw this.error(Errno.EEXIST, 'update: every index of an array exists (BPF_NOEXIST)');
    return index;
  }

  /** delete of the array-style types: an index out of range is -EINVAL, an empty one is not an error. */
  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const index = readU32Key(key);
    if (index >= this.spec.maxEntries) throw this.error(Errno.EINVAL, `delete: index ${index} is out of range`);
    this.store(index, undefined);
  }

  /** nextKey walks every index, as array get_next_key does. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    const index = key === undefined ? -1 : readU32Key(key);
    const next = index >= this.spec.maxEntries ? 0 : index + 1;
    return next >= this.spec.maxEntries ? undefined : u32Key(next);
  }

  /** device reads an ifindex from a value and checks the device exists (-EINVAL otherwise, as dev_get_by_index). */
  protected device(value: Uint8Array): number {
    const ifindex = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    if (ifindex === 0 || (this.deviceExists && !this.deviceExists(ifindex))) {
      throw this.error(Errno.EINVAL, `update: no device with ifindex ${ifindex} (declare it in the network's interfaces)`);
    }
    return ifindex;
  }
}

/** DevMap is a devmap: an array of devices, ifindex 0 clearing a slot. */
export class DevMap extends RedirectMap {
  /** BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS. */
  readonly flagMask = (1 << 3) | (1 << 4);

  protected valueWords(t: RedirectTarget): [number, number] {
    return [t.ifindex ?? 0, 0];
  }

  /** setDevice puts device `ifindex` at `index` (0 clears it). */
  setDevice(index: number, ifindex: number): void {
    const key = u32Key(index);
    const value = new Uint8Array(this.spec.valueSize);
    new DataView(value.buffer).setUint32(0, ifindex, true);
    this.update(key, value);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    const index = this.arrayIndex(key, value, flags);
    const ifindex = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    this.progFd(value);
    this.store(index, ifindex === 0 ? undefined : { ifindex: this.device(value) });
  }
}

/** DevHashMap is a devmap_hash: devices keyed by any u32 (usually the ifindex). */
export class DevHashMap extends DevMap {
  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkKey(key);
    this.checkValue(value);
    const mode = updateMode(flags);
    if (mode < 0 || flags & UpdateFlag.LOCK) throw this.error(Errno.EINVAL, `update: invalid flags ${flags}`);
    const k = readU32Key(key);
    const exists = this.entries_.has(k);
    if (exists && mode === UpdateFlag.NOEXIST) throw this.error(Errno.EEXIST, 'update: element exists');
    this.progFd(value);
    const ifindex = this.device(value);
    if (!exists && this.entries_.size >= this.spec.maxEntries) throw this.error(Errno.E2BIG, 'update: map is full');
    this.store(k, { ifindex });
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    const k = readU32Key(key);
    if (!this.entries_.has(k)) throw this.error(Errno.ENOENT, 'delete: no such element');
    this.store(k, undefined);
  }

  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    const keys = this.targets().map(([k]) => k);
    const at = key === undefined ? -1 : keys.indexOf(readU32Key(key));
    const next = keys[at + 1];
    return next === undefined ? undefined : u32Key(next);
  }
}

/** CpuMap is a cpumap: an array of CPUs with the queue size of each (0 clears a slot). */
export class CpuMap extends RedirectMap {
  readonly flagMask = 0;

  protected valueWords(t: RedirectTarget): [number, number] {
    return [t.queue ?? 0, 0];
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    const cpu = this.arrayIndex(key, value, flags);
    if (cpu >= this.ctx.ncpus) throw this.error(ENODEV, `update: cpu ${cpu} is not a possible CPU (${this.ctx.ncpus})`);
    const qsize = new DataView(value.buffer, value.byteOffset).getUint32(0, true);
    if (qsize > CPUMAP_QSIZE_MAX) throw this.error(EOVERFLOW, `update: queue size ${qsize} is above ${CPUMAP_QSIZE_MAX}`);
    this.progFd(value);
    this.store(cpu, qsize === 0 ? undefined : { cpu, queue: qsize });
  }

  /** lookupElem: programs may only redirect through a cpumap (the verifier refuses lookups). */
  override lookupElem(): number {
    return 0;
  }
}

/**
 * XskMap is an xskmap: an array of AF_XDP sockets. User space cannot pass one by fd here; `setSocket(index, queue)`
 * declares the socket bound to that queue. Programs looking an entry up read `struct bpf_xdp_sock { u32 queue_id; }`.
 */
export class XskMap extends RedirectMap {
  readonly flagMask = 0;

  protected valueWords(t: RedirectTarget): [number, number] {
    return [t.queue ?? 0, 0];
  }

  /** setSocket declares an AF_XDP socket bound to receive queue `queue` at `index` (undefined clears it). */
  setSocket(index: number, queue: number | undefined): void {
    this.checkUserWrite();
    if (!(Number.isInteger(index) && index >= 0 && index < this.spec.maxEntries)) {
      throw this.error(Errno.E2BIG, `index ${index} is out of range (max_entries ${this.spec.maxEntries})`);
    }
    this.store(index, queue === undefined ? undefined : { queue });
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.arrayIndex(key, value, flags);
    throw this.error(Errno.EBADF, `update: fd ${readU32Key(value)} is not an AF_XDP socket; declare sockets with setSocket(index, queue)`);
  }

  override lookup(_key: Uint8Array): Uint8Array | undefined {
    throw this.error(Errno.EOPNOTSUPP, 'lookup: xskmap entries cannot be read from user space');
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return [];
  }
}
