/**
 * The user-space side of a ring buffer, as libbpf's `ring_buffer__consume` reads it: records in order, discarded
 * ones (and wrap padding) skipped, stopping at the first record still being written, whose successors stay unread
 * until it is submitted or discarded. Reading a record releases its space to the producer.
 */
import type { GuestMemory } from '../../memory/guest-memory.js';
import { roundUp8 } from './base-map.js';
import { RingbufHeader } from './constants.js';
import type { RingState } from './ringbuf.js';

const LEN_MASK = ~(RingbufHeader.BUSY_BIT | RingbufHeader.DISCARD_BIT) >>> 0;

/** RingBufConsumer reads submitted records from one ring buffer map. */
export class RingBufConsumer {
  constructor(
    private readonly mem: GuestMemory,
    private readonly dataStart: number,
    private readonly size: number,
    private readonly state: RingState,
  ) {}

  /** next returns a copy of the next submitted record and consumes it, or undefined (empty, or next one busy). */
  next(): Uint8Array | undefined {
    const state = this.state;
    const mask = this.size - 1;
    while (state.consumerPos < state.producerPos) {
      const hdr = this.dataStart + (state.consumerPos & mask);
      const len = this.mem.dv.getUint32(hdr, true);
      if ((len & RingbufHeader.BUSY_BIT) !== 0) return undefined;
      const sampleLen = len & LEN_MASK;
      state.consumerPos += roundUp8(sampleLen + RingbufHeader.SIZE);
      if ((len & RingbufHeader.DISCARD_BIT) === 0) {
        const at = hdr + RingbufHeader.SIZE;
        return this.mem.u8.slice(at, at + sampleLen);
      }
    }
    return undefined;
  }

  /** drain consumes and returns every record available now, in order. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let r = this.next(); r !== undefined; r = this.next()) out.push(r);
    return out;
  }

  /** pending is the number of bytes between the consumer and the producer (records, headers and padding). */
  get pending(): number {
    return this.state.producerPos - this.state.consumerPos;
  }
}
