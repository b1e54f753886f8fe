// Hash maps (hash, percpu_hash, lru_hash, lru_percpu_hash): kernel semantics, error codes, per-CPU values, iteration,
// and an exact LRU model for LRU maps (the model of plain hashes, for every key size, is maps-hash-keys.property.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno, HashMap, UpdateFlag } from '../src/helpers/maps/index.js';
import { MapType } from '../src/loader/spec.js';
import { errnoOf, hex, Machine, readU64, spec, u32, u64 } from './maps-support.js';

const { ANY, NOEXIST, EXIST, LOCK } = UpdateFlag;

describe('hash map', () => {
  it('looks up, updates and deletes from programs with the kernel error codes', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash, maxEntries: 2 }));
    const k1 = m.put(u32(1));
    const v = m.put(u64(42));
    expect(map.lookupElem(k1)).toBe(0);
    expect(map.updateElem(k1, v, EXIST)).toBe(-Errno.ENOENT);
    expect(map.updateElem(k1, v, NOEXIST)).toBe(0);
    expect(map.updateElem(k1, v, NOEXIST)).toBe(-Errno.EEXIST);
    expect(map.updateElem(k1, v, EXIST)).toBe(0);
    expect(map.updateElem(k1, v, 3)).toBe(-Errno.EINVAL);
    expect(map.updateElem(k1, v, 8)).toBe(-Errno.EINVAL);
    expect(map.updateElem(k1, v, 2 ** 32)).toBe(-Errno.EINVAL);
    expect(map.updateElem(m.put(u32(2)), v, ANY)).toBe(0);
    expect(map.updateElem(m.put(u32(3)), v, ANY)).toBe(-Errno.E2BIG);
    // Updating an existing key in a full map is fine.
    expect(map.updateElem(k1, m.put(u64(7)), ANY | LOCK)).toBe(0);
    expect(readU64(m.read(map.lookupElem(k1), 8))).toBe(7n);
    expect(map.deleteElem(k1)).toBe(0);
    expect(map.deleteElem(k1)).toBe(-Errno.ENOENT);
    expect(map.lookupElem(k1)).toBe(0);
    expect(map.updateElem(m.put(u32(3)), v, ANY)).toBe(0);
  });

  it('returns an address the program writes through, and lookup sees the write', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash }));
    map.update(u32(5), u64(1));
    const addr = map.lookupElem(m.put(u32(5)));
    expect(m.mem.regionAt(addr)?.name).toBe('map:m:values');
    m.mem.dv.setBigUint64(addr, 0xdead_beefn, true);
    expect(readU64(map.lookup(u32(5))!)).toBe(0xdead_beefn);
    expect(m.mem.ok(addr, 8, true)).toBe(true);
  });

  it('throws MapError on the user side', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash, maxEntries: 1 }));
    map.update(u32(1), u64(1));
    expect(errnoOf(() => map.update(u32(1), u64(1), NOEXIST))).toBe(Errno.EEXIST);
    expect(errnoOf(() => map.update(u32(2), u64(1), EXIST))).toBe(Errno.ENOENT);
    expect(errnoOf(() => map.update(u32(2), u64(1)))).toBe(Errno.E2BIG);
    expect(errnoOf(() => map.update(u32(1), u64(1), 3))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.update(new Uint8Array(3), u64(1)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.update(u32(1), new Uint8Array(4)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => map.delete(u32(9)))).toBe(Errno.ENOENT);
    expect(() => map.delete(u32(9))).toThrow('map "m": delete: no such element');
    expect(map.lookup(u32(9))).toBeUndefined();
  });

  it('keeps a stable iteration order shared by nextKey, entries and forEachElem', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash, maxEntries: 64 }));
    for (const k of [9, 3, 27, 1, 12]) map.update(u32(k), u64(k * 10));
    map.delete(u32(27));
    map.update(u32(40), u64(400));
    const chain: string[] = [];
    for (let k = map.nextKey(undefined); k !== undefined; k = map.nextKey(k)) chain.push(hex(k)!);
    expect(chain).toEqual(map.entries().map(([k]) => hex(k)));
    expect(map.entries().map(([k]) => hex(k))).toEqual(chain);
    const visited: string[] = [];
    expect(
      map.forEachElem((ka, va) => {
        visited.push(hex(m.read(ka, 4))!);
        expect(readU64(m.read(va, 8))).toBe(BigInt(m.mem.dv.getUint32(ka, true) * 10));
        return true;
      }),
    ).toBe(5);
    expect(visited).toEqual(chain);
    // An absent key restarts iteration from the first key, as the kernel does.
    expect(hex(map.nextKey(u32(1234)))).toBe(chain[0]);
    expect(map.nextKey(Uint8Array.from(Buffer.from(chain.at(-1)!, 'hex')))).toBeUndefined();
  });

  it('stops forEachElem when the callback says so and allows deleting the visited element', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash }));
    for (let k = 0; k < 6; k++) map.update(u32(k), u64(k));
    expect(map.forEachElem(() => false)).toBe(1);
    const n = map.forEachElem((ka) => {
      expect(map.deleteElem(ka)).toBe(0);
      return true;
    });
    expect(n).toBe(6);
    expect(map.entries()).toEqual([]);
  });

  it('handles 8-byte keys, including ones beyond 2^53, and odd sizes', () => {
    for (const keySize of [1, 3, 8, 12, 16, 64]) {
      const m = new Machine();
      const map = m.create(spec({ type: MapType.hash, keySize, maxEntries: 32 }));
      const keys = [0n, 1n, 2n ** 32n, 2n ** 60n + 5n, 2n ** 64n - 1n, 2n ** 63n].map((n) => {
        const k = new Uint8Array(keySize);
        for (let i = 0; i < keySize && i < 8; i++) k[i] = Number((n >> BigInt(8 * i)) & 0xffn);
        if (keySize > 8) k[keySize - 1] = 0x5a;
        return k;
      });
      const unique = [...new Map(keys.map((k) => [hex(k), k])).values()];
      unique.forEach((k, i) => map.update(k, u64(i)));
      unique.forEach((k, i) => {
        expect(readU64(map.lookup(k)!)).toBe(BigInt(i));
        expect(readU64(m.read(map.lookupElem(m.put(k)), 8))).toBe(BigInt(i));
      });
      expect(map.entries().length).toBe(unique.length);
    }
  });

  it('refuses program writes to read-only maps', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.hash, flags: 1 << 7 }));
    map.update(u32(1), u64(1));
    expect(map.updateElem(m.put(u32(1)), m.put(u64(2)), ANY)).toBe(-Errno.EPERM);
    expect(map.deleteElem(m.put(u32(1)))).toBe(-Errno.EPERM);
    expect(m.mem.ok(map.lookupElem(m.put(u32(1))), 8, true)).toBe(false);
  });

  it('enforces user-side access flags and freezing', () => {
    const m = new Machine();
    const ro = m.create(spec({ type: MapType.hash, flags: 1 << 3 }));
    expect(errnoOf(() => ro.update(u32(1), u64(1)))).toBe(Errno.EPERM);
    const wo = m.create(spec({ type: MapType.hash, flags: 1 << 4 }));
    wo.update(u32(1), u64(1));
    expect(errnoOf(() => wo.lookup(u32(1)))).toBe(Errno.EPERM);
    const fz = m.create<HashMap>(spec({ type: MapType.hash }));
    fz.freeze();
    expect(errnoOf(() => fz.update(u32(1), u64(1)))).toBe(Errno.EPERM);
  });
});

describe('per-CPU hash map', () => {
  it('keeps one value per CPU; programs see their own, the syscall side all of them padded to 8 bytes', () => {
    const m = new Machine(3);
    const map = m.create(spec({ type: MapType.percpu_hash, valueSize: 4 }));
    m.cpu = 1;
    expect(map.updateElem(m.put(u32(7)), m.put(u32(0xaabbccdd)), ANY)).toBe(0);
    const all = map.lookup(u32(7))!;
    expect(all.length).toBe(24);
    expect(hex(all)).toBe('00000000' + '00000000' + 'ddccbbaa' + '00000000' + '00000000' + '00000000');
    // Another CPU's update changes only its copy.
    m.cpu = 2;
    const a2 = map.lookupElem(m.put(u32(7)));
    m.mem.dv.setUint32(a2, 5, true);
    expect(m.mem.dv.getUint32(map.lookupPercpuElem(m.put(u32(7)), 1), true)).toBe(0xaabbccdd);
    expect(m.mem.dv.getUint32(map.lookupPercpuElem(m.put(u32(7)), 2), true)).toBe(5);
    expect(map.lookupPercpuElem(m.put(u32(7)), 3)).toBe(0);
    // The syscall side writes every CPU, or broadcasts a single value.
    map.update(u32(8), Uint8Array.from([1, 0, 0, 0, 9, 9, 9, 9, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]));
    expect(hex(map.lookup(u32(8)))).toBe('01000000000000000200000000000000' + '0300000000000000');
    map.update(u32(9), u32(4));
    expect(hex(map.lookup(u32(9)))).toBe('0400000000000000'.repeat(3));
    expect(errnoOf(() => map.update(u32(9), new Uint8Array(12)))).toBe(Errno.EINVAL);
  });

  it('zeroes the other CPUs when a program creates an element in a reused slot', () => {
    const m = new Machine(2);
    const map = m.create(spec({ type: MapType.percpu_hash, maxEntries: 1 }));
    map.update(u32(1), u64(0xffn));
    map.delete(u32(1));
    expect(map.updateElem(m.put(u32(2)), m.put(u64(3)), ANY)).toBe(0);
    expect(hex(map.lookup(u32(2)))).toBe('0300000000000000' + '0000000000000000');
  });
});

describe('LRU hash map', () => {
  it('evicts the least recently used element; program lookups and updates refresh recency', () => {
    const m = new Machine();
    const map = m.create(spec({ type: MapType.lru_hash, maxEntries: 3 }));
    for (const k of [1, 2, 3]) map.update(u32(k), u64(k));
    expect(map.lookupElem(m.put(u32(1)))).not.toBe(0); // 1 is now the most recent
    map.lookup(u32(2)); // syscall lookups do not count
    map.update(u32(4), u64(4)); // evicts 2
    expect(map.lookup(u32(2))).toBeUndefined();
    expect(map.updateElem(m.put(u32(3)), m.put(u64(30)), EXIST)).toBe(0); // 3 refreshed
    map.update(u32(5), u64(5)); // evicts 1
    const keys = map.entries().map(([k]) => new DataView(k.buffer).getUint32(0, true));
    expect(keys.sort((a, b) => a - b)).toEqual([3, 4, 5]);
    // Never -E2BIG, even with NOEXIST.
    expect(map.updateElem(m.put(u32(6)), m.put(u64(6)), NOEXIST)).toBe(0);
  });

  it('matches an exact LRU model', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ op: fc.constantFrom('update', 'lookup', 'delete', 'sysLookup'), key: fc.integer({ min: 0, max: 9 }) }),
          { maxLength: 100 },
        ),
        (ops) => {
          const m = new Machine(2);
          const max = 4;
          const map = m.create(spec({ type: MapType.lru_percpu_hash, maxEntries: max }));
          let order: number[] = []; // most recent last
          const touch = (k: number) => {
            order = order.filter((x) => x !== k);
            order.push(k);
          };
          for (const o of ops) {
            const key = m.put(u32(o.key));
            const has = order.includes(o.key);
            if (o.op === 'update') {
              if (!has && order.length === max) order.shift();
              touch(o.key);
              expect(map.updateElem(key, m.put(u64(o.key)), ANY)).toBe(0);
            } else if (o.op === 'lookup') {
              if (has) touch(o.key);
              expect(map.lookupElem(key) !== 0).toBe(has);
            } else if (o.op === 'sysLookup') {
              expect(map.lookup(u32(o.key)) !== undefined).toBe(has);
            } else {
              expect(map.deleteElem(key)).toBe(has ? 0 : -Errno.ENOENT);
              order = order.filter((x) => x !== o.key);
            }
          }
          const keys = map.entries().map(([k]) => new DataView(k.buffer).getUint32(0, true));
          expect(keys.sort()).toEqual([...order].sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});
