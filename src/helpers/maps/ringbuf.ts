/**
 * Ring buffer maps (ringbuf.c), producer side: bpf_ringbuf_reserve/submit/discard/output/query. Records live in a
 * guest-memory data area of max_entries bytes, each an 8-byte header (u32 length with BUSY and DISCARD bits, u32 page
 * offset) followed by the sample, rounded up to 8 bytes. Producer and consumer positions only grow; offsets are taken
 * modulo the size.
 *
 * The kernel maps the data area twice in a row so a record may wrap; guest memory cannot, so a record that would wrap
 * is preceded by a discarded padding record filling the rest of the area, and every record is contiguous. As in the
 * kernel, the producer may not get a full ring ahead of the consumer (`new_prod - cons > mask` fails), and a
 * reservation that does not fit fails (NULL, or -EAGAIN for output) instead of overwriting.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap, roundUp8 } from './base-map.js';
import { PAGE_SIZE } from '../../memory/guest-memory.js';
import { RINGBUF_MAX_RECORD_SZ, RingbufFlag, RingbufHeader, RingbufQuery } from './constants.js';
import { RingBufConsumer } from './ringbuf-consumer.js';
import { Errno, type MapContext } from './types.js';

const LEN_MASK = ~(RingbufHeader.BUSY_BIT | RingbufHeader.DISCARD_BIT) >>> 0;
const PG_OFF_FIELD = 4;

/** RingState is the producer and consumer positions, shared by the map and its consumer. */
export interface RingState {
  consumerPos: number;
  producerPos: number;
}

/** RingBufMap is a ringbuf map: the helpers' producer side plus `consumer()` for user space. */
export class RingBufMap extends BaseMap {
  /** Size of the data area in bytes (max_entries). */
  readonly size: number;
  /** Guest address of the data area. */
  readonly dataStart: number;
  readonly state: RingState = { consumerPos: 0, producerPos: 0 };
  /** Number of consumer notifications the kernel would have sent (epoll wakeups). */
  wakeups = 0;
  /** Called on each notification, after `wakeups` is incremented. */
  onWakeup: (() => void) | undefined;
  private readonly mask: number;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
    this.size = spec.maxEntries;
    this.mask = this.size - 1;
    this.dataStart = this.region('data', this.size, true).start;
  }

  /** reserve is bpf_ringbuf_reserve: the address of a `size`-byte sample to fill, or 0 (bad flags, no room). */
  reserve(size: number, flags: number): number {
    if (flags !== 0 || !(size >= 0 && size <= RINGBUF_MAX_RECORD_SZ)) return 0;
    const len = roundUp8(size + RingbufHeader.SIZE);
    if (len > this.size) return 0;
    const { consumerPos, producerPos } = this.state;
    const off = producerPos & this.mask;
    const tail = this.size - off;
    const pad = len > tail ? tail : 0;
    const newProducerPos = producerPos + pad + len;
    if (newProducerPos - consumerPos > this.mask) return 0;
    if (pad > 0) this.writeHeader(off, (pad - RingbufHeader.SIZE) | RingbufHeader.DISCARD_BIT);
    const recOff = (producerPos + pad) & this.mask;
    this.writeHeader(recOff, size | RingbufHeader.BUSY_BIT);
    this.state.producerPos = newProducerPos;
    return this.dataStart + recOff + RingbufHeader.SIZE;
  }

  /** submit is bpf_ringbuf_submit: the record becomes visible to the consumer. */
  submit(sampleAddr: number, flags: number): void {
    this.commit(sampleAddr, flags, false);
  }

  /** discard is bpf_ringbuf_discard: the record's space is released unread. */
  discard(sampleAddr: number, flags: number): void {
    this.commit(sampleAddr, flags, true);
  }

  /** output is bpf_ringbuf_output: copy `size` bytes at `dataAddr` into a new record; 0, -EINVAL or -EAGAIN. */
  output(dataAddr: number, size: number, flags: number): number {
    if ((flags & ~(RingbufFlag.NO_WAKEUP | RingbufFlag.FORCE_WAKEUP)) !== 0) return -Errno.EINVAL;
    this.ctx.mem.check(dataAddr, size, false);
    const sample = this.reserve(size, 0);
    if (sample === 0) return -Errno.EAGAIN;
    this.ctx.mem.u8.copyWithin(sample, dataAddr, dataAddr + size);
    this.commit(sample, flags, false);
    return 0;
  }

  /** query is bpf_ringbuf_query: available bytes, size, consumer or producer position; 0 for other selectors. */
  query(flags: number): number {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA:
        return this.state.producerPos - this.state.consumerPos;
      case RingbufQuery.RING_SIZE:
        return this.size;
      case RingbufQuery.CONS_POS:
        return this.state.consumerPos;
      case RingbufQuery.PROD_POS:
        return this.state.producerPos;
      default:
        return 0;
    }
  }

  /** consumer returns a reader of submitted records (the map has one consumer position; readers share it). */
  consumer(): RingBufConsumer {
    return new RingBufConsumer(this.ctx.mem, this.dataStart, this.size, this.state);
  }

  /** Lookups, updates, deletes and iteration are -ENOTSUPP on a ring buffer, as in the kernel. */
  protected override unsupportedErrno(): number {
    return Errno.ENOTSUPP;
  }

  private commit(sampleAddr: number, flags: number, discard: boolean): void {
    const hdr = sampleAddr - RingbufHeader.SIZE;
    const recOff = hdr - this.dataStart;
    const dv = this.ctx.mem.dv;
    if (!(recOff >= 0 && recOff <= this.size - RingbufHeader.SIZE && recOff % RingbufHeader.SIZE === 0)) {
      throw this.error(Errno.EINVAL, `0x${sampleAddr.toString(16)} is not a sample of this ring buffer`);
    }
    const len = dv.getUint32(hdr, true);
    if ((len & RingbufHeader.BUSY_BIT) === 0) {
      throw this.error(Errno.EINVAL, `sample at 0x${sampleAddr.toString(16)} is not reserved (submitted twice?)`);
    }
    const done = (len & LEN_MASK) | (discard ? RingbufHeader.DISCARD_BIT : 0);
    dv.setUint32(hdr, done >>> 0, true);
    if (flags & RingbufFlag.FORCE_WAKEUP || ((flags & RingbufFlag.NO_WAKEUP) === 0 && this.consumerAt(recOff))) {
      this.wakeups++;
      this.onWakeup?.();
    }
  }

  /** consumerAt tells whether the consumer has caught up to this record (possibly through its padding record). */
  private consumerAt(recOff: number): boolean {
    const { consumerPos, producerPos } = this.state;
    if (consumerPos === producerPos) return false;
    const consOff = consumerPos & this.mask;
    if (consOff === recOff) return true;
    const len = this.ctx.mem.dv.getUint32(this.dataStart + consOff, true);
    const skip = roundUp8((len & LEN_MASK) + RingbufHeader.SIZE);
    const padding = (len & RingbufHeader.DISCARD_BIT) !== 0 && consOff + skip === this.size;
    return padding && recOff === 0;
  }

  private writeHeader(off: number, len: number): void {
    const dv = this.ctx.mem.dv;
    dv.setUint32(this.dataStart + off, len >>> 0, true);
    // pg_off lets the kernel find the ring from a sample; here it is the record's page within the data area.
    dv.setUint32(this.dataStart + off + PG_OFF_FIELD, Math.floor(off / PAGE_SIZE), true);
  }
}
