// Queue, stack and bloom filter maps: push/pop/peek semantics against array models, flags, and the bloom filter's
// no-false-negatives guarantee.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bloomBits, BloomFilterMap, Errno, QueueStackMap, UpdateFlag } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, Machine, spec, u32 } from './maps-support.js';

const { ANY, NOEXIST, EXIST } = UpdateFlag;

describe('queue and stack maps', () => {
  it('push, pop and peek from programs with the kernel error codes', () => {
    const m = new Machine();
    const q = m.create(spec({ type: MapType.queue, keySize: 0, valueSize: 4, maxEntries: 2 }));
    const out = m.alloc(4);
    expect(q.popElem(out)).toBe(-Errno.ENOENT);
    expect(q.peekElem(out)).toBe(-Errno.ENOENT);
    expect(q.pushElem(m.put(u32(1)), ANY)).toBe(0);
    expect(q.pushElem(m.put(u32(2)), ANY)).toBe(0);
    expect(q.pushElem(m.put(u32(3)), ANY)).toBe(-Errno.E2BIG);
    expect(q.pushElem(m.put(u32(3)), NOEXIST)).toBe(-Errno.EINVAL);
    expect(q.pushElem(m.put(u32(3)), 4)).toBe(-Errno.EINVAL);
    expect(q.pushElem(m.put(u32(3)), EXIST)).toBe(0); // drops 1
    expect(q.peekElem(out)).toBe(0);
    expect(m.mem.dv.getUint32(out, true)).toBe(2);
    expect(q.popElem(out)).toBe(0);
    expect(m.mem.dv.getUint32(out, true)).toBe(2);
    expect(q.popElem(out)).toBe(0);
    expect(m.mem.dv.getUint32(out, true)).toBe(3);
    expect(q.lookupElem(m.put(u32(0)))).toBe(0);
    expect(q.updateElem(m.put(u32(0)), m.put(u32(0)), 0)).toBe(-Errno.EINVAL);
    expect(q.deleteElem(m.put(u32(0)))).toBe(-Errno.EINVAL);
  });

  it('has a syscall side: update pushes, lookup peeks, pop removes', () => {
    const m = new Machine();
    const s = m.create<QueueStackMap>(spec({ type: MapType.stack, keySize: 0, valueSize: 4, maxEntries: 3 }));
    s.update(new Uint8Array(0), u32(1));
    s.push(u32(2));
    expect(s.entries().map(([, v]) => v[0])).toEqual([2, 1]);
    expect(s.lookup(new Uint8Array(0))![0]).toBe(2);
    expect(s.pop()![0]).toBe(2);
    expect(s.pop()![0]).toBe(1);
    expect(s.pop()).toBeUndefined();
    expect(errnoOf(() => s.delete(new Uint8Array(0)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.nextKey(undefined))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.push(u32(1), NOEXIST))).toBe(Errno.EINVAL);
  });

  for (const type of [MapType.queue, MapType.stack]) {
    it(`${type === MapType.queue ? 'queue' : 'stack'} matches an array model`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              op: fc.constantFrom('push', 'pop', 'peek', 'userPush', 'userPop'),
              value: fc.integer({ min: 0, max: 0xffff }),
              flags: fc.constantFrom(ANY, EXIST),
            }),
            { maxLength: 60 },
          ),
          (ops) => {
            const m = new Machine();
            const max = 4;
            const map = m.create<QueueStackMap>(spec({ type, keySize: 0, valueSize: 4, maxEntries: max }));
            const model: number[] = []; // oldest first
            const next = () => (type === MapType.queue ? model[0] : model[model.length - 1]);
            const take = () => (type === MapType.queue ? model.shift() : model.pop());
            const out = m.alloc(4);
            for (const o of ops) {
              if (o.op === 'push' || o.op === 'userPush') {
                let expected = 0;
                if (model.length === max) {
                  if (o.flags === EXIST) model.shift();
                  else expected = Errno.E2BIG;
                }
                if (expected === 0) model.push(o.value);
                const got =
                  o.op === 'push'
                    ? -map.pushElem(m.put(u32(o.value)), o.flags) || 0
                    : errnoOf(() => map.push(u32(o.value), o.flags));
                expect(got).toBe(expected);
              } else if (o.op === 'userPop') {
                const v = map.pop();
                expect(v === undefined ? undefined : new DataView(v.buffer).getUint32(0, true)).toBe(take());
              } else {
                const expected = next();
                const ret = o.op === 'pop' ? map.popElem(out) : map.peekElem(out);
                if (o.op === 'pop') take();
                expect(ret).toBe(expected === undefined ? -Errno.ENOENT : 0);
                if (expected !== undefined) expect(m.mem.dv.getUint32(out, true)).toBe(expected);
              }
            }
            expect(map.size).toBe(model.length);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});

describe('bloom filter map', () => {
  it('sizes its bit array like the kernel and defaults to 5 hashes', () => {
    const m = new Machine();
    const b = m.create<BloomFilterMap>(spec({ type: MapType.bloom_filter, keySize: 0, valueSize: 4, maxEntries: 100 }));
    expect(b.hashes).toBe(5);
    expect(b.bits).toBe(1024); // 100 * 5 / 5 * 7 = 700, rounded up to a power of two
    expect(bloomBits(1, 1)).toBe(64);
    expect(bloomBits(2 ** 31, 15)).toBe(2 ** 32);
    const b3 = m.create<BloomFilterMap>(
      spec({ type: MapType.bloom_filter, keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 3n }),
    );
    expect(b3.hashes).toBe(3);
  });

  it('answers 0 for pushed values, -ENOENT for most others, and refuses pop, flags and keyed operations', () => {
    const m = new Machine();
    const b = m.create<BloomFilterMap>(spec({ type: MapType.bloom_filter, keySize: 0, valueSize: 4, maxEntries: 1000 }));
    for (let i = 0; i < 100; i++) expect(b.pushElem(m.put(u32(i * 7919)), ANY)).toBe(0);
    for (let i = 0; i < 100; i++) expect(b.peekElem(m.put(u32(i * 7919)))).toBe(0);
    let absent = 0;
    for (let i = 0; i < 1000; i++) if (b.peekElem(m.put(u32(0x1000_0000 + i))) === -Errno.ENOENT) absent++;
    expect(absent).toBeGreaterThan(950);
    expect(b.pushElem(m.put(u32(1)), EXIST)).toBe(-Errno.EINVAL);
    expect(b.popElem(m.alloc(4))).toBe(-Errno.EOPNOTSUPP);
    expect(b.lookupElem(m.put(u32(1)))).toBe(0);
    expect(b.updateElem(m.put(u32(1)), m.put(u32(1)), 0)).toBe(-Errno.EINVAL);
    b.update(new Uint8Array(0), u32(424242));
    expect(b.has(u32(424242))).toBe(true);
    expect(errnoOf(() => b.add(u32(1), EXIST))).toBe(Errno.EINVAL);
    expect(errnoOf(() => b.lookup(new Uint8Array(0)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => b.delete(new Uint8Array(0)))).toBe(Errno.EINVAL);
    expect(b.entries()).toEqual([]);
  });

  it('never gives a false negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 15 }),
        fc.array(fc.uint8Array({ minLength: 6, maxLength: 6 }), { maxLength: 200 }),
        (hashes, values) => {
          const m = new Machine();
          const b = m.create<BloomFilterMap>(
            spec({ type: MapType.bloom_filter, keySize: 0, valueSize: 6, maxEntries: 50, mapExtra: BigInt(hashes) }),
          );
          for (const v of values) b.add(v);
          for (const v of values) expect(b.peekElem(m.put(v))).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
