// Ring buffers: reserve/submit/discard/output/query, record headers in guest memory, the consumer's order, busy and
// discarded records, wrap-around with padding, and refusal of reservations that do not fit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, RingbufFlag, RingbufHeader, RingbufQuery, RingBufMap } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, Machine, spec } from './maps-support.js';

const PAGE = 4096;

function ring(size = PAGE, m = new Machine()): { m: Machine; rb: RingBufMap } {
  return { m, rb: m.create<RingBufMap>(spec({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: size })) };
}

/** fill writes a recognisable byte pattern into a sample. */
function fill(m: Machine, addr: number, n: number, tag: number): void {
  for (let i = 0; i < n; i++) m.mem.u8[addr + i] = (tag + i) & 0xff;
}
const pattern = (n: number, tag: number): number[] => Array.from({ length: n }, (_, i) => (tag + i) & 0xff);

describe('ring buffer map', () => {
  it('reserves samples with busy headers in guest memory, and submit makes them visible in order', () => {
    const { m, rb } = ring();
    const c = rb.consumer();
    const a = rb.reserve(5, 0);
    expect(a).toBe(rb.dataStart + RingbufHeader.SIZE);
    expect(m.mem.dv.getUint32(a - 8, true)).toBe((5 | RingbufHeader.BUSY_BIT) >>> 0);
    const b = rb.reserve(3, 0);
    expect(b - a).toBe(16); // 8-byte header + 5 bytes rounded up to 8
    fill(m, a, 5, 10);
    fill(m, b, 3, 20);
    rb.submit(b, 0);
    expect(c.next()).toBeUndefined(); // a is still being written
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(32);
    rb.submit(a, 0);
    expect(m.mem.dv.getUint32(a - 8, true)).toBe(5);
    expect(c.drain().map((r) => [...r])).toEqual([pattern(5, 10), pattern(3, 20)]);
    expect(rb.query(RingbufQuery.CONS_POS)).toBe(32);
    expect(rb.query(RingbufQuery.PROD_POS)).toBe(32);
    expect(rb.query(RingbufQuery.RING_SIZE)).toBe(PAGE);
    expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(0);
    expect(rb.query(99)).toBe(0);
  });

  it('skips discarded records and supports output', () => {
    const { m, rb } = ring();
    const a = rb.reserve(8, 0);
    rb.discard(a, 0);
    expect(m.mem.dv.getUint32(a - 8, true)).toBe((8 | RingbufHeader.DISCARD_BIT) >>> 0);
    const src = m.put([1, 2, 3]);
    expect(rb.output(src, 3, 0)).toBe(0);
    expect(rb.output(src, 3, 4)).toBe(-Errno.EINVAL);
    expect(rb.consumer().drain().map((r) => [...r])).toEqual([[1, 2, 3]]);
  });

  it('refuses bad flags, oversized and non-fitting reservations, and double submits', () => {
    const { m, rb } = ring();
    expect(rb.reserve(8, 1)).toBe(0);
    expect(rb.reserve(PAGE, 0)).toBe(0);
    expect(rb.reserve(PAGE - 8, 0)).toBe(0); // would fill the ring completely
    const a = rb.reserve(PAGE - 16, 0);
    expect(a).not.toBe(0);
    expect(rb.reserve(1, 0)).toBe(0);
    expect(rb.output(m.put([1]), 1, 0)).toBe(-Errno.EAGAIN);
    rb.submit(a, 0);
    expect(() => rb.submit(a, 0)).toThrow(/not reserved/);
    expect(() => rb.submit(m.put([0]), 0)).toThrow(/not a sample/);
    expect(rb.consumer().next()!.length).toBe(PAGE - 16);
    expect(rb.reserve(100, 0)).not.toBe(0);
  });

  it('wraps around with a padding record so every record is contiguous', () => {
    const { m, rb } = ring();
    const c = rb.consumer();
    for (let i = 0; i < 3; i++) {
      const a = rb.reserve(1000, 0);
      fill(m, a, 1000, i);
      rb.submit(a, 0);
    }
    expect(c.next()![0]).toBe(0);
    expect(c.next()![0]).toBe(1);
    // 3 * 1008 bytes used, 1072 left before the end: a 2000-byte record goes to the start after padding.
    const big = rb.reserve(2000, 0);
    expect(big).toBe(rb.dataStart + RingbufHeader.SIZE);
    expect(m.mem.dv.getUint32(rb.dataStart + 3 * 1008, true)).toBe((1064 | RingbufHeader.DISCARD_BIT) >>> 0);
    fill(m, big, 2000, 7);
    rb.submit(big, 0);
    expect(c.drain().map((r) => [r.length, r[0]])).toEqual([
      [1000, 2],
      [2000, 7],
    ]);
    expect(rb.query(RingbufQuery.PROD_POS)).toBe(PAGE + 2008);
  });

  it('notifies the consumer as the kernel does', () => {
    const { m, rb } = ring();
    let calls = 0;
    rb.onWakeup = () => calls++;
    const a = rb.reserve(8, 0);
    const b = rb.reserve(8, 0);
    rb.submit(b, 0); // the consumer is not at b
    expect(rb.wakeups).toBe(0);
    rb.submit(a, RingbufFlag.NO_WAKEUP);
    expect(rb.wakeups).toBe(0);
    expect(rb.output(m.put([1]), 1, RingbufFlag.FORCE_WAKEUP)).toBe(0);
    expect(rb.wakeups).toBe(1);
    rb.consumer().drain();
    rb.submit(rb.reserve(8, 0), 0); // the consumer has caught up
    expect(rb.wakeups).toBe(2);
    expect(calls).toBe(2);
  });

  it('refuses map operations with ENOTSUPP', () => {
    const { m, rb } = ring();
    expect(errnoOf(() => rb.lookup(new Uint8Array(0)))).toBe(Errno.ENOTSUPP);
    expect(errnoOf(() => rb.update(new Uint8Array(0), new Uint8Array(0)))).toBe(Errno.ENOTSUPP);
    expect(rb.lookupElem(m.put([0]))).toBe(0);
  });

  it('delivers exactly the submitted records, in order, under random traffic', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('reserve', 'commit', 'consume'),
            size: fc.integer({ min: 0, max: 1500 }),
            discard: fc.boolean(),
            pick: fc.nat(),
          }),
          { maxLength: 80 },
        ),
        (ops) => {
          const { m, rb } = ring(2 * PAGE);
          const c = rb.consumer();
          let tag = 0;
          const pending: { addr: number; size: number; tag: number; discard: boolean; done: boolean }[] = [];
          const expected: { size: number; tag: number }[] = [];
          for (const o of ops) {
            if (o.op === 'reserve') {
              const size = 2 * PAGE;
              const prod = rb.query(RingbufQuery.PROD_POS);
              const cons = rb.query(RingbufQuery.CONS_POS);
              const a = rb.reserve(o.size, 0);
              if (a === 0) {
                // Refused only when the record, plus padding to the end when it would wrap, does not fit.
                const len = Math.ceil((o.size + 8) / 8) * 8;
                const tail = size - (prod % size);
                expect(prod + (len > tail ? tail : 0) + len - cons).toBeGreaterThan(size - 1);
                continue;
              }
              expect(a - rb.dataStart + o.size).toBeLessThanOrEqual(2 * PAGE);
              fill(m, a, o.size, ++tag);
              pending.push({ addr: a, size: o.size, tag, discard: o.discard, done: false });
            } else if (o.op === 'commit') {
              const open = pending.filter((x) => !x.done);
              if (open.length === 0) continue;
              const p = open[o.pick % open.length];
              p.done = true;
              if (p.discard) rb.discard(p.addr, 0);
              else rb.submit(p.addr, 0);
            } else {
              for (const r of c.drain()) {
                const e = expected.shift() ?? { size: -1, tag: -1 };
                expect([r.length, r[0]]).toEqual([e.size, e.size > 0 ? e.tag & 0xff : undefined]);
              }
            }
            // What the consumer may see: committed records before the first busy one.
            while (pending.length > 0 && pending[0].done) {
              const p = pending.shift()!;
              if (!p.discard) expected.push({ size: p.size, tag: p.tag });
            }
          }
          for (const p of pending) if (!p.done) rb.submit(p.addr, 0);
          for (const p of pending) if (p.done ? !p.discard : true) expected.push({ size: p.size, tag: p.tag });
          expect(c.drain().map((r) => r.length)).toEqual(expected.map((e) => e.size));
          expect(rb.query(RingbufQuery.AVAIL_DATA)).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
