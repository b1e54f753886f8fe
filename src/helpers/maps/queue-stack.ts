/**
 * Queue (FIFO) and stack (LIFO) maps (queue_stack_maps.c): keyless, values pushed, popped and peeked. A full map
 * refuses a push with -E2BIG unless the push has BPF_EXIST, which drops the oldest element to make room (for both
 * kinds). Pop and peek on an empty map are -ENOENT. Elements live in a guest-memory ring of max_entries slots.
 */
import { MapType, type MapSpec } from '../../loader/spec.js';
import { BaseMap, roundUp8 } from './base-map.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';

/** QueueStackMap is a queue or stack map; the syscall side is `push`/`pop`/`peek` (or update/lookup with any key). */
export class QueueStackMap extends BaseMap {
  readonly lifo: boolean;
  private readonly stride: number;
  private readonly base: number;
  /** Slot of the oldest element. */
  private tail = 0;
  private count = 0;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.lifo = spec.type === MapType.stack;
    this.stride = roundUp8(spec.valueSize);
    this.base = this.region('values', this.stride * spec.maxEntries, false).start;
  }

  /** size is the number of elements held. */
  get size(): number {
    return this.count;
  }

  override pushElem(valueAddr: number, flags: number): number {
    this.ctx.mem.check(valueAddr, this.spec.valueSize, false);
    const slot = this.pushSlot(flags);
    if (slot < 0) return slot;
    const at = this.addr(slot);
    this.ctx.mem.u8.copyWithin(at, valueAddr, valueAddr + this.spec.valueSize);
    return 0;
  }

  override popElem(valueAddr: number): number {
    return this.take(valueAddr, true);
  }

  override peekElem(valueAddr: number): number {
    return this.take(valueAddr, false);
  }

  /** push is the syscall-side BPF_MAP_UPDATE_ELEM; throws E2BIG when full without BPF_EXIST. */
  push(value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkValue(value);
    const slot = this.pushSlot(flags);
    this.fail(slot, 'push');
    this.ctx.mem.u8.set(value, this.addr(slot));
  }

  /** pop is BPF_MAP_LOOKUP_AND_DELETE_ELEM: the next element (oldest for a queue, newest for a stack), removed. */
  pop(): Uint8Array | undefined {
    this.checkUserWrite();
    const v = this.peek();
    if (v !== undefined) this.drop();
    return v;
  }

  /** peek is BPF_MAP_LOOKUP_ELEM: the next element without removing it. */
  peek(): Uint8Array | undefined {
    this.checkUserRead();
    if (this.count === 0) return undefined;
    const at = this.addr(this.nextSlot());
    return this.ctx.mem.u8.slice(at, at + this.spec.valueSize);
  }

  /** lookup peeks; the key is ignored, as the syscall passes none. */
  override lookup(_key: Uint8Array): Uint8Array | undefined {
    return this.peek();
  }

  /** update pushes; the key is ignored. */
  override update(_key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.push(value, flags);
  }

  /** entries lists the elements in pop order, with empty keys (queues and stacks have none). */
  override entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    const u8 = this.ctx.mem.u8;
    for (let i = 0; i < this.count; i++) {
      const slot = this.lifo ? this.ring(this.tail + this.count - 1 - i) : this.ring(this.tail + i);
      out.push([new Uint8Array(0), u8.slice(this.addr(slot), this.addr(slot) + this.spec.valueSize)]);
    }
    return out;
  }

  /** pushSlot checks push flags like the kernel (NOEXIST or unknown bits: -EINVAL) and returns the slot to write. */
  private pushSlot(flags: number): number {
    if (!(flags >= 0 && flags <= UpdateFlag.EXIST) || (flags & UpdateFlag.NOEXIST) !== 0) return -Errno.EINVAL;
    if (this.count === this.spec.maxEntries) {
      if ((flags & UpdateFlag.EXIST) === 0) return -Errno.E2BIG;
      // Overwrite: the oldest element goes, whichever end pops.
      this.tail = this.ring(this.tail + 1);
      this.count--;
    }
    const slot = this.ring(this.tail + this.count);
    this.count++;
    return slot;
  }

  private take(valueAddr: number, remove: boolean): number {
    this.ctx.mem.check(valueAddr, this.spec.valueSize, true);
    if (this.count === 0) return -Errno.ENOENT;
    const at = this.addr(this.nextSlot());
    this.ctx.mem.u8.copyWithin(valueAddr, at, at + this.spec.valueSize);
    if (remove) this.drop();
    return 0;
  }

  /** nextSlot is the slot pop and peek read: the newest for a stack, the oldest for a queue. */
  private nextSlot(): number {
    return this.lifo ? this.ring(this.tail + this.count - 1) : this.tail;
  }

  private drop(): void {
    if (!this.lifo) this.tail = this.ring(this.tail + 1);
    this.count--;
  }

  private ring(i: number): number {
    return i % this.spec.maxEntries;
  }

  private addr(slot: number): number {
    return this.base + slot * this.stride;
  }
}
