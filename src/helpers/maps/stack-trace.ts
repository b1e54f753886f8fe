/**
 * Stack trace maps (stackmap.c): buckets keyed by a u32 stack id, each holding a stack of instruction pointers
 * (value_size / 8 of them), filled by bpf_get_stackid and read from user space by id. The bucket of a stack is its
 * hash modulo the bucket count; a bucket holding another stack is -EEXIST unless BPF_F_REUSE_STACKID replaces it.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap } from './base-map.js';
import { Errno, type MapContext } from './types.js';

/** StackIdFlag are the flags of bpf_get_stackid. */
export const StackIdFlag = { SKIP_MASK: 0xff, USER_STACK: 1 << 8, FAST_STACK_CMP: 1 << 9, REUSE_STACKID: 1 << 10 } as const;
const IP_SIZE = 8;

function hashStack(ips: readonly bigint[]): number {
  let h = 0x811c9dc5;
  for (const ip of ips) {
    for (let k = 0n; k < 64n; k += 8n) h = Math.imul(h ^ Number((ip >> k) & 0xffn), 0x01000193) >>> 0;
  }
  return h;
}

/** StackTraceMap is a stack_trace map. */
export class StackTraceMap extends BaseMap {
  private readonly start: number;
  private readonly lengths: Uint32Array;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.start = this.region('stacks', spec.maxEntries * spec.valueSize, false).start;
    this.lengths = new Uint32Array(spec.maxEntries);
  }

  /** record stores `ips` (after skipping `flags & SKIP_MASK` frames) and returns the stack id, or -errno. */
  record(ips: readonly bigint[], flags: number): number {
    const frames = ips.slice(flags & StackIdFlag.SKIP_MASK, this.spec.valueSize / IP_SIZE);
    if (frames.length === 0) return -Errno.EFAULT;
    const id = hashStack(frames) % this.spec.maxEntries;
    const at = this.start + id * this.spec.valueSize;
    const dv = this.ctx.mem.dv;
    const same = this.lengths[id] === frames.length && frames.every((ip, k) => dv.getBigUint64(at + k * IP_SIZE, true) === ip);
    if (this.lengths[id] !== 0 && !same && (flags & StackIdFlag.REUSE_STACKID) === 0) return -Errno.EEXIST;
    this.ctx.mem.u8.fill(0, at, at + this.spec.valueSize);
    frames.forEach((ip, k) => dv.setBigUint64(at + k * IP_SIZE, ip, true));
    this.lengths[id] = frames.length;
    return id;
  }

  private index(key: Uint8Array): number {
    this.checkKey(key);
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    const id = this.index(key);
    if (id >= this.spec.maxEntries || this.lengths[id] === 0) return undefined;
    return this.readGuest(this.start + id * this.spec.valueSize, this.spec.valueSize);
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    const id = this.index(key);
    if (id >= this.spec.maxEntries || this.lengths[id] === 0) throw this.error(Errno.ENOENT, 'delete: no such stack id');
    this.lengths[id] = 0;
  }

  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    let id = key === undefined ? 0 : this.index(key) + 1;
    while (id < this.spec.maxEntries && this.lengths[id] === 0) id++;
    if (id >= this.spec.maxEntries) return undefined;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, id, true);
    return out;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (let k = this.nextKey(undefined); k; k = this.nextKey(k)) out.push([k, this.lookup(k)!]);
    return out;
  }
}
