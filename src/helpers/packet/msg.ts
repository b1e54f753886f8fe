/**
 * The message of an sk_msg program (include/linux/skmsg.h): the bytes a sendmsg() queued, held by the kernel in a
 * ring of scatterlist elements, of which the program's data..data_end shows one: the first element at entry and after
 * bpf_msg_push_data/pop_data (sk_msg_compute_data_pointers), the pulled range after bpf_msg_pull_data. The element
 * layout follows net/core/filter.c's helpers element by element (splits, a private copy when the ring is full,
 * merges on pull), so a program sees the same data_end - data as in the kernel. The bytes themselves lie contiguous
 * in one guest region; element boundaries are lengths kept here. What the kernel leaves uninitialised in the space
 * bpf_msg_push_data opens (a fresh page) is zero here.
 */
import type { ContextLayout } from '../../loader/contexts.js';
import type { GuestMemory, Region } from '../../memory/guest-memory.js';

/** MAX_MSG_FRAGS is the number of scatterlist elements a message may use (CONFIG_MAX_SKB_FRAGS, 17 by default). */
export const MAX_MSG_FRAGS = 17;
/** MSG_ROOM is how far a message may grow here by bpf_msg_push_data (beyond it: -ENOMEM). */
export const MSG_ROOM = 1 << 20;
const EINVAL = -22;
const ENOMEM = -12;

/** SkMsg is the message of one sk_msg run. */
export class SkMsg {
  /** Element lengths from the ring's start. */
  elems: number[];
  /** The window the program sees, as offsets into the message (-1: none). */
  private window: [number, number] = [-1, -1];
  /** bpf_msg_apply_bytes and bpf_msg_cork_bytes: the last value set (undefined when never called). */
  applyBytes: number | undefined;
  corkBytes: number | undefined;

  constructor(
    private readonly mem: GuestMemory,
    readonly region: Region,
    private readonly ctxAddr: number,
    private readonly layout: ContextLayout,
    /** The message's elements (one per sendmsg() chunk; usually one). */
    segments: readonly Uint8Array[],
  ) {
    const nonEmpty = segments.filter((s) => s.length > 0);
    this.elems = nonEmpty.map((s) => s.length);
    mem.setLength(region, this.size);
    let at = region.start;
    for (const s of nonEmpty) {
      mem.u8.set(s, at);
      at += s.length;
    }
    this.computeDataPointers();
  }

  /** regionSize is the capacity of a region for a message of `length` bytes. */
  static regionSize(length: number): number {
    return length + MSG_ROOM;
  }

  /** size is the message's length (msg->sg.size). */
  get size(): number {
    return this.elems.reduce((a, b) => a + b, 0);
  }

  /** bytes returns a copy of the message. */
  bytes(): Uint8Array {
    return this.mem.u8.slice(this.region.start, this.region.start + this.size);
  }

  /** find returns the element holding byte `start` and its offset, or the position past the last one. */
  private find(start: number): { i: number; offset: number } {
    let offset = 0;
    for (let i = 0; i < this.elems.length; i++) {
      if (start < offset + this.elems[i]) return { i, offset };
      offset += this.elems[i];
    }
    return { i: this.elems.length, offset };
  }

  /** computeDataPointers shows the first element (sk_msg_compute_data_pointers). */
  private computeDataPointers(): void {
    this.window = this.elems.length ? [0, this.elems[0]] : [0, 0];
    this.sync();
  }

  /** sync writes data, data_end and size into the context. */
  private sync(): void {
    this.mem.setLength(this.region, this.size);
    const dv = this.mem.dv;
    for (const f of this.layout.fields) {
      const v = f.name === 'data' ? this.region.start + this.window[0] : f.name === 'data_end' ? this.region.start + this.window[1] : f.name === 'size' ? this.size : undefined;
      if (v === undefined) continue;
      if (f.size === 8) dv.setBigUint64(this.ctxAddr + f.offset, BigInt(v), true);
      else dv.setUint32(this.ctxAddr + f.offset, v, true);
    }
  }

  /** pull makes bytes start..end one element's and shows them (bpf_msg_pull_data); 0 or a negated errno. */
  pull(start: number, end: number, flags: bigint): number {
    if (flags !== 0n || end <= start) return EINVAL;
    const { i, offset } = this.find(start);
    if (i >= this.elems.length) return EINVAL;
    const total = start - offset + (end - start);
    if (total > this.elems[i]) {
      // Linearise the elements the range spans into one.
      let copy = 0;
      let last = i;
      while (last < this.elems.length && copy < total) copy += this.elems[last++];
      if (copy < total) return EINVAL;
      this.elems.splice(i, last - i, copy);
    }
    this.window = [start, end];
    this.sync();
    return 0;
  }

  /** push opens `len` bytes at `start` (bpf_msg_push_data); 0 or a negated errno. */
  push(start: number, len: number, flags: bigint): number {
    if (flags !== 0n) return EINVAL;
    if (len === 0) return 0;
    let { i, offset } = this.find(start);
    // Pushing at the very end extends the last element's position (the kernel steps back to it).
    if (i >= this.elems.length) {
      if (start > offset || this.elems.length === 0) return EINVAL;
      i = this.elems.length - 1;
      offset -= this.elems[i];
    }
    if (this.size + len > this.region.capacity) return ENOMEM;
    const space = MAX_MSG_FRAGS - this.elems.length;
    const front = start - offset;
    if (!space || (space === 1 && front !== 0)) {
      // No free slot: the element is copied into one new page around the pushed bytes.
      this.elems[i] += len;
    } else if (front !== 0) {
      const back = this.elems[i] - front;
      this.elems.splice(i, 1, front, len, ...(back ? [back] : []));
    } else {
      this.elems.splice(i, 0, len);
    }
    const at = this.region.start + start;
    this.mem.setLength(this.region, this.size);
    this.mem.u8.copyWithin(at + len, at, this.region.start + this.size - len);
    this.mem.u8.fill(0, at, at + len);
    this.computeDataPointers();
    return 0;
  }

  /** pop removes `len` bytes at `start` (bpf_msg_pop_data); 0 or a negated errno. */
  pop(start: number, len: number, flags: bigint): number {
    if (flags !== 0n) return EINVAL;
    if (len === 0) return 0;
    let { i, offset } = this.find(start);
    if (i >= this.elems.length || start + len > this.size) return EINVAL;
    let pop = len;
    if (start !== offset) {
      const a = start - offset;
      const l = this.elems[i];
      if (pop < l - a) {
        const b = l - pop - a;
        // With a free slot the element is split around the popped bytes, else copied into one.
        if (MAX_MSG_FRAGS - this.elems.length > 0) this.elems.splice(i, 1, a, b);
        else this.elems[i] = a + b;
        pop = 0;
      } else {
        pop -= l - a;
        this.elems[i] = a;
      }
      i++;
    }
    while (pop > 0) {
      if (pop < this.elems[i]) {
        this.elems[i] -= pop;
        pop = 0;
      } else {
        pop -= this.elems[i];
        this.elems.splice(i, 1);
      }
    }
    const at = this.region.start + start;
    this.mem.u8.copyWithin(at, at + len, this.region.start + this.size + len);
    this.computeDataPointers();
    return 0;
  }
}
