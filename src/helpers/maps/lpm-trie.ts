/**
 * Longest-prefix-match maps (lpm_trie.c). A key is a host-order u32 prefix length followed by data bytes in network
 * bit order. Lookups (program and syscall side alike) return the value of the longest stored prefix that matches the
 * key's first `prefixlen` bits; updates and deletes address one exact prefix. A prefix length beyond the data is
 * -EINVAL on update and delete, a new prefix in a full map is -ENOSPC. Iteration is the kernel's post-order.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap, roundUp8 } from './base-map.js';
import { LPM_PREFIXLEN_SIZE } from './constants.js';
import { LpmTrie, type LpmNode } from './lpm-trie-nodes.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';

const BYTE_BITS = 8;

/** LpmTrieMap is an lpm_trie map. */
export class LpmTrieMap extends BaseMap {
  /** Bits of key data: the largest valid prefix length. */
  readonly maxPrefixlen: number;
  private readonly trie = new LpmTrie();
  private readonly stride: number;
  private readonly base: number;
  private readonly free: number[] = [];
  private count = 0;
  /** Post-order of value nodes and each node's position in it, rebuilt after a change (only user space iterates). */
  private order: LpmNode[] | undefined;
  private position = new Map<LpmNode, number>();

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.maxPrefixlen = (spec.keySize - LPM_PREFIXLEN_SIZE) * BYTE_BITS;
    this.stride = roundUp8(spec.valueSize);
    this.base = this.region('values', this.stride * spec.maxEntries, this.progWritable).start;
    for (let s = spec.maxEntries - 1; s >= 0; s--) this.free.push(s);
  }

  /** size is the number of stored prefixes. */
  get size(): number {
    return this.count;
  }

  override lookupElem(keyAddr: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, this.spec.keySize, false);
    const prefixlen = Math.min(mem.dv.getUint32(keyAddr, true), this.maxPrefixlen);
    const node = this.trie.longest(mem.u8, keyAddr + LPM_PREFIXLEN_SIZE, prefixlen);
    return node === null ? 0 : this.valueAddr(node.slot);
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, this.spec.keySize, false);
    mem.check(valueAddr, this.spec.valueSize, false);
    if (!this.progWritable) return -Errno.EPERM;
    const slot = this.upsert(mem.u8.slice(keyAddr, keyAddr + this.spec.keySize), flags);
    if (slot < 0) return slot;
    mem.u8.copyWithin(this.valueAddr(slot), valueAddr, valueAddr + this.spec.valueSize);
    return 0;
  }

  override deleteElem(keyAddr: number): number {
    const mem = this.ctx.mem;
    mem.check(keyAddr, this.spec.keySize, false);
    if (!this.progWritable) return -Errno.EPERM;
    return this.remove(mem.u8, keyAddr);
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    this.checkKey(key);
    const prefixlen = Math.min(readPrefixlen(key), this.maxPrefixlen);
    const node = this.trie.longest(key, LPM_PREFIXLEN_SIZE, prefixlen);
    if (node === null) return undefined;
    const at = this.valueAddr(node.slot);
    return this.ctx.mem.u8.slice(at, at + this.spec.valueSize);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkKey(key);
    this.checkValue(value);
    const slot = this.upsert(key.slice(), flags);
    this.fail(slot, 'update');
    this.ctx.mem.u8.set(value, this.valueAddr(slot));
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    this.fail(this.remove(key, 0), 'delete');
  }

  /** nextKey follows post-order; an absent key (or one with too long a prefix) restarts from the first. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const order = this.postOrder();
    let next = 0;
    if (key !== undefined) {
      this.checkKey(key);
      const prefixlen = readPrefixlen(key);
      const node = prefixlen <= this.maxPrefixlen ? this.trie.exact(key, LPM_PREFIXLEN_SIZE, prefixlen) : null;
      if (node !== null) next = this.position.get(node)! + 1;
    }
    return next < order.length ? this.keyOf(order[next]) : undefined;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    const u8 = this.ctx.mem.u8;
    return this.postOrder().map((n) => {
      const at = this.valueAddr(n.slot);
      return [this.keyOf(n), u8.slice(at, at + this.spec.valueSize)];
    });
  }

  /** upsert returns the slot an update of `key` (prefixlen + data) writes, or -errno, in the kernel's check order. */
  private upsert(key: Uint8Array, flags: number): number {
    if (!(flags >= 0 && flags <= UpdateFlag.EXIST)) return -Errno.EINVAL;
    const prefixlen = readPrefixlen(key);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.subarray(LPM_PREFIXLEN_SIZE);
    const node = this.trie.exact(data, 0, prefixlen);
    if (node !== null) return flags === UpdateFlag.NOEXIST ? -Errno.EEXIST : node.slot;
    if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (this.count === this.spec.maxEntries) return -Errno.ENOSPC;
    const slot = this.free.pop()!;
    this.trie.insert(data, prefixlen, slot);
    this.count++;
    this.order = undefined;
    return slot;
  }

  private remove(u8: Uint8Array, keyAt: number): number {
    const prefixlen = new DataView(u8.buffer, u8.byteOffset).getUint32(keyAt, true);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const node = this.trie.exact(u8, keyAt + LPM_PREFIXLEN_SIZE, prefixlen);
    if (node === null) return -Errno.ENOENT;
    // Read the slot first: removing a node with two children turns it into an intermediate node (slot -1).
    this.free.push(node.slot);
    this.trie.remove(u8, keyAt + LPM_PREFIXLEN_SIZE, prefixlen);
    this.count--;
    this.order = undefined;
    return 0;
  }

  private postOrder(): LpmNode[] {
    if (this.order === undefined) {
      this.order = this.trie.postOrder();
      this.position = new Map(this.order.map((n, i) => [n, i]));
    }
    return this.order;
  }

  private keyOf(node: LpmNode): Uint8Array {
    const key = new Uint8Array(this.spec.keySize);
    new DataView(key.buffer).setUint32(0, node.prefixlen, true);
    key.set(node.data, LPM_PREFIXLEN_SIZE);
    return key;
  }

  private valueAddr(slot: number): number {
    return this.base + slot * this.stride;
  }
}

/** readPrefixlen reads the host-order (little-endian here) u32 prefix length at the start of an LPM key. */
function readPrefixlen(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(0, true);
}
