/**
 * A map in a session's shared-memory segment, seen from the control plane. Its user-facing shape is the user side
 * of the TypeScript maps (`BpfMap` in src/helpers/maps: lookup/update/delete/nextKey/entries with byte arrays,
 * MapError carrying the kernel's errno), so code printing or checking maps works on either. Ring buffer and perf
 * buffer maps add their consumers (and the producer side, as programs use it, for tools and tests).
 */
import { mapError } from '../helpers/maps/base-map.js';
import { Errno, MapError, UpdateFlag } from '../helpers/maps/types.js';
import { MapType, type MapSpec } from '../loader/spec.js';
import type { ShmAddon, ShmHandle, ShmMapInfo } from './addon.js';

/** Why a failed operation failed, per errno, as the TypeScript maps word it. */
const WHY: Readonly<Record<number, string>> = {
  [Errno.ENOENT]: 'no such element',
  [Errno.EEXIST]: 'element exists',
  [Errno.E2BIG]: 'map is full or index out of range',
  [Errno.EINVAL]: 'invalid argument',
  [Errno.EPERM]: 'operation not permitted',
  [Errno.EAGAIN]: 'no room',
  [Errno.ENOSPC]: 'no room',
  [Errno.EOPNOTSUPP]: 'not supported by this map type',
  [Errno.ENOTSUPP]: 'not supported by this map type',
};

/** NativePerfSample is one sample read from a perf event array's buffers. */
export interface NativePerfSample {
  cpu: number;
  data: Uint8Array;
}

/** NativeMap is one map of a segment; it stays valid while its session is open. */
export class NativeMap {
  /** The map's spec as the TypeScript maps describe theirs (for messages and printing). */
  readonly spec: MapSpec;

  constructor(
    private readonly addon: ShmAddon,
    private readonly handle: ShmHandle,
    /** The table entry when the map was opened (count is live: see `size`). */
    readonly info: ShmMapInfo,
  ) {
    this.spec = {
      name: info.name,
      type: info.type,
      keySize: info.keySize,
      valueSize: info.valueSize,
      maxEntries: info.maxEntries,
      flags: info.flags,
      pinning: 0,
      numaNode: 0,
      mapExtra: 0n,
      contents: [],
      origin: 'maps',
      section: '',
      readOnly: false,
    };
  }

  /** id is the map's id in the segment (its table index + 1). */
  get id(): number {
    return this.info.id;
  }

  /** name is the map's name (up to 15 bytes, as the kernel keeps). */
  get name(): string {
    return this.info.name;
  }

  /** size is the number of elements now (hash maps), max_entries for arrays, 0 for rings. */
  get size(): number {
    return this.addon.mapInfo(this.handle, this.id).count;
  }

  /** lookup returns the value (per-CPU maps: every CPU's, padded to 8 bytes), or undefined when absent. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const out = new Uint8Array(this.info.userValueSize);
    const r = this.addon.mapLookup(this.handle, this.id, key, out);
    if (r === -Errno.ENOENT) return undefined;
    this.fail(r, 'lookup');
    return out;
  }

  /** update writes a value (per-CPU maps: every CPU's, or the same value into each); throws MapError. */
  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkKey(key);
    const ok = value.length === this.info.userValueSize || (this.info.ncpus > 1 && value.length === this.info.valueSize);
    if (!ok && this.isElementMap()) {
      throw this.error(Errno.EINVAL, `value has ${value.length} bytes, ${this.info.userValueSize} expected`);
    }
    this.fail(this.addon.mapUpdate(this.handle, this.id, key, value, flags), 'update');
  }

  /** delete removes an element; throws MapError(ENOENT) when absent. */
  delete(key: Uint8Array): void {
    this.checkKey(key);
    this.fail(this.addon.mapDelete(this.handle, this.id, key), 'delete');
  }

  /** nextKey is the key after `key` (the first when undefined or absent), or undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    const out = new Uint8Array(this.info.keySize);
    const r = this.addon.mapNextKey(this.handle, this.id, key ?? null, out);
    if (r === -Errno.ENOENT) return undefined;
    this.fail(r, 'next key');
    return out;
  }

  /** entries returns every key and value in iteration order. */
  entries(): [Uint8Array, Uint8Array][] {
    return this.addon.mapEntries(this.handle, this.id);
  }

  /** consume reads and consumes the submitted records of a ring buffer, in order (at most `max`, 0: all). */
  consume(max = 0): Uint8Array[] {
    this.expect(MapType.ringbuf, 'consume');
    return this.addon.ringbufConsume(this.handle, this.id, max);
  }

  /** output writes a ring buffer record as bpf_ringbuf_output does; throws MapError (EAGAIN: full). */
  output(data: Uint8Array, flags = 0): void {
    this.expect(MapType.ringbuf, 'output');
    this.fail(this.addon.ringbufOutput(this.handle, this.id, data, flags), 'output');
  }

  /** query is bpf_ringbuf_query (RingbufQuery selectors). */
  query(flags: number): number {
    this.expect(MapType.ringbuf, 'query');
    return this.addon.ringbufQuery(this.handle, this.id, flags);
  }

  /** openReader makes every CPU's perf buffer readable (outputs to it succeed from now on), emptied. */
  openReader(): void {
    this.expect(MapType.perf_event_array, 'open a reader');
    this.addon.perf(this.handle, this.id, 'open');
  }

  /** closeReader removes the perf buffers' reader: outputs fail with ENOENT again. */
  closeReader(): void {
    this.expect(MapType.perf_event_array, 'close a reader');
    this.addon.perf(this.handle, this.id, 'close');
  }

  /** readPerf consumes the samples of every CPU's buffer (CPU 0's first, each CPU's in order). */
  readPerf(): NativePerfSample[] {
    this.expect(MapType.perf_event_array, 'read');
    return this.addon.perf(this.handle, this.id, 'consume');
  }

  /** perfLost is the number of samples dropped for lack of room, on one CPU or on all. */
  perfLost(cpu?: number): number {
    this.expect(MapType.perf_event_array, 'count losses');
    return this.addon.perf(this.handle, this.id, 'lost', cpu);
  }

  /** perfOutput is bpf_perf_event_output from this thread: 0 or -errno (ENOENT, EOPNOTSUPP, ENOSPC, E2BIG). */
  perfOutput(flags: number | bigint, data: Uint8Array): number {
    this.expect(MapType.perf_event_array, 'output');
    return this.addon.perf(this.handle, this.id, 'output', flags, data);
  }

  private isElementMap(): boolean {
    const t = this.info.type;
    return t !== MapType.ringbuf && t !== MapType.perf_event_array;
  }

  private expect(type: number, op: string): void {
    if (this.info.type !== type) throw this.error(Errno.EINVAL, `${op}: not a ${type === MapType.ringbuf ? 'ringbuf' : 'perf_event_array'} map`);
  }

  private checkKey(key: Uint8Array): void {
    if (key.length !== this.info.keySize) {
      throw this.error(Errno.EINVAL, `key has ${key.length} bytes, the map's keys have ${this.info.keySize}`);
    }
  }

  private fail(ret: number, op: string): void {
    if (ret >= 0) return;
    throw this.error(-ret, `${op}: ${WHY[-ret] ?? `errno ${-ret}`}`);
  }

  private error(errno: number, message: string): MapError {
    return mapError(this.spec, errno, message);
  }
}
